from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from apps.users.models import BotUser

pytestmark = pytest.mark.django_db


def seed():
    output = StringIO()
    call_command("seed_demo", stdout=output)
    return output.getvalue()


def test_seed_demo_creates_a_login_per_role_and_prints_each_password_once(roles, client):
    first = seed()
    line = next(line for line in first.splitlines() if line.strip().startswith("demo-finance"))
    password = line.split()[-1]
    assert client.login(username="demo-finance", password=password)
    assert get_user_model().objects.get(username="demo-finance").groups.get().name == "Finance"
    assert get_user_model().objects.get(username="demo-admin").is_superuser

    second = seed()
    assert password not in second
    assert "passwords are unchanged" in second
    assert get_user_model().objects.filter(username__startswith="demo-").count() == 5


def test_seed_demo_creates_bot_users_with_a_referral_chain(roles):
    seed()
    seed()
    assert BotUser.objects.count() == 4
    assert BotUser.objects.get(username="bayo_x").referrer.username == "ada_boosts"


@override_settings(IS_PRODUCTION=True)
def test_seed_demo_refuses_to_run_in_production(roles):
    with pytest.raises(CommandError, match="refuses to run in production"):
        seed()
    assert not get_user_model().objects.exists()


def test_seed_demo_gives_demo_users_balances_through_the_ledger_once(roles):
    from decimal import Decimal

    from apps.ledger.selectors import balances_for

    seed()
    seed()
    ada = BotUser.objects.get(username="ada_boosts")
    bayo = BotUser.objects.get(username="bayo_x")
    assert balances_for(ada)["affiliate_usd"] == Decimal("25.00")
    assert balances_for(bayo)["earnings_ngn"] == Decimal("15000.00")
    call_command("ledger_check", stdout=StringIO())
