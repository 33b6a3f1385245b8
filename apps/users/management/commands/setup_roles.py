"""`manage.py setup_roles`: make the staff groups hold exactly the permissions in roles.py."""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.audit.actors import Actor
from apps.users.roles import ROLE_PERMISSIONS
from apps.users.staff_rights import record_group_rights_change, rights_of_group

ACTOR = Actor.system("manage.py setup_roles")


def resolve_permissions(names: list[str]) -> list[Permission]:
    """Permission rows for "app_label.codename" names; an unknown name is an error, not a skip."""
    found = []
    for name in names:
        app_label, codename = name.split(".", 1)
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is None:
            raise CommandError(f"Permission {name} does not exist; run `manage.py migrate` first.")
        found.append(permission)
    return found


class Command(BaseCommand):
    help = "Create or update the Finance, Senior finance and Support groups (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        for role, names in ROLE_PERMISSIONS.items():
            group, created = Group.objects.get_or_create(name=role)
            wanted = set(resolve_permissions(names))
            current = set(group.permissions.all())
            before = {} if created else rights_of_group(group)
            group.permissions.set(wanted)
            record_group_rights_change(group=group, before=before, actor=ACTOR)
            added, removed = len(wanted - current), len(current - wanted)
            verb = "created" if created else "updated"
            self.stdout.write(f"{role}: {verb}, {len(wanted)} permissions (+{added} -{removed})")
