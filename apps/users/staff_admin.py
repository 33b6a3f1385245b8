"""Staff accounts and groups in the admin, with every change of rights audited."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from apps.audit.services import record_event
from apps.users.staff_rights import (
    record_group_rights_change,
    record_user_rights_change,
    rights_of_group,
    rights_of_user,
)


class AuditedStaffUserAdmin(UserAdmin):
    """Django's user admin; the change form's transaction also holds the audit event."""

    def save_model(self, request, obj, form, change):
        obj._rights_before = rights_of_user(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        record_user_rights_change(
            user=user, before=user._rights_before, actor=request.user, created=not change
        )

    def delete_model(self, request, obj):
        record_staff_removal(obj=obj, rights=rights_of_user(obj), actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            record_staff_removal(obj=user, rights=rights_of_user(user), actor=request.user)
        super().delete_queryset(request, queryset)


class AuditedGroupAdmin(GroupAdmin):
    def save_model(self, request, obj, form, change):
        obj._rights_before = rights_of_group(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        group = form.instance
        record_group_rights_change(group=group, before=group._rights_before, actor=request.user)

    def delete_model(self, request, obj):
        record_staff_removal(obj=obj, rights=rights_of_group(obj), actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            record_staff_removal(obj=group, rights=rights_of_group(group), actor=request.user)
        super().delete_queryset(request, queryset)


def record_staff_removal(*, obj, rights: dict, actor) -> None:
    """A deleted account or group loses every right it had: record what was lost."""
    kind = "staff_user" if isinstance(obj, User) else "staff_group"
    record_event(
        actor=actor,
        action="staff.deleted",
        object_type=kind,
        object_id=obj.pk,
        before=rights,
        search_terms=[str(obj)],
    )


def register(site: admin.AdminSite) -> None:
    for model, model_admin in ((User, AuditedStaffUserAdmin), (Group, AuditedGroupAdmin)):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
