"""Audit events for changes of staff rights: flags, groups and permissions.

Staff rights change in three places: the admin (User and Group pages), `setup_roles`, and
`seed_demo`. Each writes `staff.*` events naming who made the change, in the same transaction.
"""

from __future__ import annotations

from apps.audit.services import record_event

RIGHTS_FLAGS = ("is_active", "is_staff", "is_superuser")


def rights_of_user(user) -> dict:
    """What a staff account may do, as plain values an audit event can hold."""
    if user.pk is None:
        return {}
    return {
        **{flag: getattr(user, flag) for flag in RIGHTS_FLAGS},
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(_names(user.user_permissions.all())),
    }


def rights_of_group(group) -> dict:
    if group.pk is None:
        return {}
    return {"permissions": sorted(_names(group.permissions.all()))}


def record_user_rights_change(*, user, before: dict, actor, created: bool = False) -> None:
    after = rights_of_user(user)
    if after == before and not created:
        return
    record_event(
        actor=actor,
        action="staff.created" if created else "staff.rights_changed",
        object_type="staff_user",
        object_id=user.pk,
        before=before or None,
        after=after,
        search_terms=[user.get_username()],
    )


def record_group_rights_change(*, group, before: dict, actor) -> None:
    after = rights_of_group(group)
    if after == before:
        return
    record_event(
        actor=actor,
        action="staff.role_changed",
        object_type="staff_group",
        object_id=group.pk,
        before=before or None,
        after=after,
        search_terms=[group.name],
    )


def _names(permissions) -> list[str]:
    return [
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in permissions.select_related("content_type")
    ]
