"""Plans in the admin: every edit goes through the catalogue service with a reason.

The change page shows the price history (PlanRevision). Plans are never deleted: invoices and
purchases point at them; a plan that is no longer sold is made inactive.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from apps.purchases.admin import permissions
from apps.purchases.admin.base import html_table, targets_text, when
from apps.purchases.forms import PlanForm
from apps.purchases.models import Plan
from apps.purchases.services.catalogue import create_plan, price_text, update_plan

# The change page shows this many of the newest revisions.
REVISIONS_SHOWN = 50


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    form = PlanForm
    list_display = (
        "code",
        "name",
        "platform",
        "product",
        "unit_price",
        "min_quantity",
        "targets",
        "is_active",
    )
    list_filter = ("platform", "product", "is_active")
    search_fields = ("code", "name")
    identity_fields = ("code", "platform", "product")
    selling_fieldsets = (
        ("Price and quantities", {
            "fields": (
                "unit",
                "unit_price_usd",
                ("min_quantity", "max_quantity", "quantity_step"),
                "quantity_presets",
                "comments_per_post_choices",
            )
        }),
        ("What each unit delivers", {
            "fields": (("likes", "reposts", "comments", "views"), "follow_up")
        }),
    )  # fmt: skip

    def get_fieldsets(self, request, obj=None):
        plan_fields = (*self.identity_fields, "name", "description", "is_active", "sort_order")
        if obj is not None:
            plan_fields += ("updated_at",)
        fieldsets = [("Plan", {"fields": plan_fields}), *self.selling_fieldsets]
        if obj is None or self.has_change_permission(request, obj):
            fieldsets.append(("Why", {"fields": ("reason",)}))
        if obj is not None:
            fieldsets.append(("Price history", {"fields": ("price_history",)}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else (*self.identity_fields, "updated_at", "price_history")

    def has_add_permission(self, request):
        return request.user.has_perm(permissions.EDIT_PLANS)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(permissions.EDIT_PLANS)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Never saves OBJ itself: the service writes the plan, its revision and the event."""
        reason = form.cleaned_data["reason"]
        if change:
            saved = update_plan(
                plan=obj, changes=form.plan_changes(), actor=request.user, reason=reason
            )
        else:
            saved = create_plan(values=form.plan_values(), actor=request.user, reason=reason)
        obj.__dict__.update(saved.__dict__)

    @admin.display(description="Unit price", ordering="unit_price_usd")
    def unit_price(self, plan):
        return format_html(
            "${} <span class='quiet'>/ {}</span>", price_text(plan.unit_price_usd), plan.unit
        )

    @admin.display(description="Targets per unit")
    def targets(self, plan):
        return targets_text(plan.targets())

    @admin.display(description="Price history (newest first)")
    def price_history(self, plan):
        revisions = list(plan.revisions.select_related("changed_by")[:REVISIONS_SHOWN])
        rows = []
        for newer, older in zip(revisions, [*revisions[1:], None], strict=True):
            rows.append(
                (
                    when(newer.created_at),
                    newer.changed_by or "System",
                    f"${price_text(newer.unit_price_usd)}",
                    ", ".join(_changed_fields(newer.snapshot, older.snapshot if older else None)),
                    newer.reason,
                )
            )
        return html_table(("When", "Who", "Unit price", "Changed", "Reason"), rows)


def _changed_fields(snapshot: dict, previous: dict | None) -> list[str]:
    """Fields that differ from the previous revision ("created" for the first one).

    Compared as text: the seeded revisions stored every value as a string.
    """
    if previous is None:
        return ["created"]
    return [
        name
        for name, value in snapshot.items()
        if name in previous and str(value) != str(previous[name])
    ]
