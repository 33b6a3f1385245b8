"""`manage.py seed_demo`: demo staff for each role and a few bot users (idempotent, dev only)."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.audit.actors import Actor
from apps.boosts.demo import seed_demo_boosts
from apps.users.models import BotUser
from apps.users.roles import FINANCE, SENIOR_FINANCE, SUPPORT
from apps.users.services import register_bot_user
from apps.users.staff_rights import record_user_rights_change

ACTOR = Actor.system("manage.py seed_demo")

DEMO_STAFF = [
    # (username, group or None for the superuser)
    ("demo-admin", None),
    ("demo-support", SUPPORT),
    ("demo-finance", FINANCE),
    ("demo-senior", SENIOR_FINANCE),
    ("demo-senior-2", SENIOR_FINANCE),
]

# (telegram id, account kind, currency, amount, transaction kind, from system account)
DEMO_BALANCES = [
    (100000001, "affiliate", "USD", "25.00", "commission", "commissions"),
    (100000002, "earnings", "NGN", "15000.00", "adjustment", "adjustments"),
]

# (telegram id, username, first name, referrer's telegram id)
DEMO_BOT_USERS = [
    (100000001, "ada_boosts", "Ada", None),
    (100000002, "bayo_x", "Bayo", 100000001),
    (100000003, "chioma", "Chioma", 100000001),
    (100000004, "", "Dayo", 100000002),
]


class Command(BaseCommand):
    help = "Seed demo staff logins (passwords printed once, at creation) and demo bot users."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo creates known accounts; it refuses to run in production.")
        with transaction.atomic():
            created_logins = [login for login in map(self.ensure_staff, DEMO_STAFF) if login]
            bot_users_created = sum(self.ensure_bot_user(*row) for row in DEMO_BOT_USERS)
            for row in DEMO_BALANCES:
                self.ensure_balance(*row)
            providers, groups = seed_demo_boosts()
        self.report(created_logins, bot_users_created)
        self.stdout.write(f"Demo SMM providers created: {providers}; bot groups created: {groups}.")

    def ensure_staff(self, row):
        username, role = row
        users = get_user_model()
        if users.objects.filter(username=username).exists():
            return None
        password = secrets.token_urlsafe(12)
        if role is None:
            user = users.objects.create_superuser(username=username, password=password, email="")
        else:
            user = users.objects.create_user(username=username, password=password, is_staff=True)
            user.groups.add(Group.objects.get(name=role))
        record_user_rights_change(user=user, before={}, actor=ACTOR, created=True)
        return username, role or "superuser", password

    def ensure_bot_user(self, telegram_id, username, first_name, referrer_telegram_id) -> bool:
        _, created = register_bot_user(
            telegram_id=telegram_id,
            username=username,
            first_name=first_name,
            referrer_telegram_id=referrer_telegram_id,
        )
        return created

    def ensure_balance(self, telegram_id, kind, currency, amount, transaction_kind, source):
        """Credit a demo balance through the ledger; the idempotency key makes reruns no-ops."""
        from apps.ledger.services.accounts import system_account, user_account
        from apps.ledger.services.posting import transfer

        owner = BotUser.objects.get(telegram_id=telegram_id)
        transfer(
            source=system_account(kind=source, currency=currency),
            destination=user_account(owner=owner, kind=kind),
            amount=Decimal(amount),
            idempotency_key=f"seed-demo:{telegram_id}:{kind}",
            kind=transaction_kind,
            actor=ACTOR,
            memo="demo balance",
        )

    def report(self, created_logins, bot_users_created):
        if created_logins:
            self.stdout.write(
                "Demo staff logins (shown once; reset with `manage.py changepassword`):"
            )
            for username, role, password in created_logins:
                self.stdout.write(f"  {username:<16} {role:<16} {password}")
        else:
            self.stdout.write("Demo staff already exist; their passwords are unchanged.")
        self.stdout.write(f"Demo bot users created: {bot_users_created}.")
