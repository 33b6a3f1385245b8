from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from apps.users.roles import FINANCE, MONEY_PERMISSIONS, ROLE_PERMISSIONS, SENIOR_FINANCE, SUPPORT

pytestmark = pytest.mark.django_db


def permission_names(group_name):
    group = Group.objects.get(name=group_name)
    return {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in group.permissions.select_related("content_type")
    }


def test_setup_roles_gives_each_group_exactly_its_permissions(roles):
    for role, names in ROLE_PERMISSIONS.items():
        assert permission_names(role) == set(names)


def test_support_holds_no_money_permission(roles):
    assert permission_names(SUPPORT) & MONEY_PERMISSIONS == set()
    assert "users.view_botuser" in permission_names(SUPPORT)


def test_only_senior_finance_gives_second_approvals_and_approves_adjustments(roles):
    for capability in ("users.second_approve_withdrawal", "users.approve_adjustment"):
        assert capability in permission_names(SENIOR_FINANCE)
        assert capability not in permission_names(FINANCE)
        assert capability not in permission_names(SUPPORT)


def test_finance_approves_withdrawals_but_cannot_manage_providers(roles):
    assert "users.approve_withdrawal" in permission_names(FINANCE)
    assert "users.manage_providers" not in permission_names(FINANCE)


def test_setup_roles_is_idempotent_and_removes_permissions_granted_by_hand(roles):
    stray = Permission.objects.get(codename="delete_botuser")
    Group.objects.get(name=SUPPORT).permissions.add(stray)
    output = StringIO()
    call_command("setup_roles", stdout=output)
    call_command("setup_roles", stdout=output)
    assert "users.delete_botuser" not in permission_names(SUPPORT)
    assert Group.objects.filter(name__in=ROLE_PERMISSIONS).count() == 3
    assert (
        f"Support: updated, {len(ROLE_PERMISSIONS[SUPPORT])} permissions (+0 -1)"
        in output.getvalue()
    )


def test_staff_member_in_support_cannot_hold_money_capabilities(support_agent):
    for capability in MONEY_PERMISSIONS:
        assert not support_agent.has_perm(capability), capability


def test_unknown_permission_in_the_table_stops_setup_roles(monkeypatch, db):
    monkeypatch.setitem(ROLE_PERMISSIONS, SUPPORT, ["users.fly_to_the_moon"])
    with pytest.raises(CommandError, match=r"users\.fly_to_the_moon does not exist"):
        call_command("setup_roles", stdout=StringIO())
    assert not Group.objects.filter(name=SUPPORT).exists()
