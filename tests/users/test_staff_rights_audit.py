"""Every change of staff rights is an audit event naming who made it."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from apps.audit.models import AuditEvent
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def actions():
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


def test_setup_roles_records_each_group_it_creates_or_changes_and_nothing_when_unchanged():
    call_command("setup_roles", stdout=StringIO())
    assert actions() == ["staff.role_changed"] * 3
    call_command("setup_roles", stdout=StringIO())
    assert len(actions()) == 3
    event = AuditEvent.objects.get(object_id=Group.objects.get(name="Support").pk)
    assert event.actor_label == "manage.py setup_roles"
    assert "users.view_botuser" in event.after["permissions"]


def test_seed_demo_records_each_staff_account_it_creates(roles):
    before = len(actions())
    call_command("seed_demo", stdout=StringIO())
    created = [action for action in actions()[before:] if action.startswith("staff.")]
    assert created == ["staff.created"] * 5


def test_putting_a_clerk_in_a_group_through_the_admin_is_recorded(superuser, roles, client):
    clerk = StaffUserFactory(username="newclerk")
    client.force_login(superuser)
    finance = Group.objects.get(name="Finance")
    response = client.post(
        reverse("admin:auth_user_change", args=[clerk.pk]),
        {
            "username": "newclerk",
            "is_active": "on",
            "is_staff": "on",
            "groups": [finance.pk],
            "date_joined_0": "2026-11-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.filter(action="staff.rights_changed").get()
    assert event.actor_label == superuser.username
    assert event.before["groups"] == [] and event.after["groups"] == ["Finance"]


def test_granting_a_group_a_permission_through_the_admin_is_recorded(superuser, roles, client):
    client.force_login(superuser)
    support = Group.objects.get(name="Support")
    extra = Permission.objects.get(codename="approve_withdrawal")
    wanted = [*support.permissions.values_list("pk", flat=True), extra.pk]
    response = client.post(
        reverse("admin:auth_group_change", args=[support.pk]),
        {"name": "Support", "permissions": wanted},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="staff.role_changed", actor_type="staff").get()
    assert "users.approve_withdrawal" in event.after["permissions"]
    assert "users.approve_withdrawal" not in event.before["permissions"]


def test_deleting_a_staff_account_records_the_rights_it_had(superuser, finance_clerk, client):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:auth_user_delete", args=[finance_clerk.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="staff.deleted")
    assert event.before["groups"] == ["Finance"]
