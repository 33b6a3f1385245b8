"""The fake SMM panels in the admin: staff switch a panel off, slow it down or empty it from the
panel list; orders and refills are the fake's records, to read only.

Registered by apps/sandbox/admin.py, only while SANDBOX is on.
"""

from __future__ import annotations

from django.contrib import admin

from apps.sandbox.smm import services
from apps.sandbox.smm.models import SmmPanelOrder, SmmPanelRefill, SmmPanelService


class SmmPanelServiceInline(admin.TabularInline):
    model = SmmPanelService
    extra = 0
    fields = ("service_id", "name", "type", "category", "rate", "min_quantity", "max_quantity")
    fields += ("refill", "cancel")


class SmmPanelAdmin(admin.ModelAdmin):
    list_display = ("name", "balance", "currency", "failure_mode", "latency_ms", "partial_percent")
    list_display += ("seconds_to_start", "seconds_to_complete", "updated_at")
    list_editable = ("balance", "failure_mode", "latency_ms", "partial_percent")
    list_filter = ("failure_mode",)
    search_fields = ("name",)
    inlines = [SmmPanelServiceInline]


class _WireIdSearch:
    """Search by the id the panel gave out (7000012) as well as by the fields listed."""

    wire_base = 0

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.isdigit() and int(term) > self.wire_base:
            found |= queryset.filter(pk=int(term) - self.wire_base)
        return found, may_have_duplicates


class SmmPanelOrderAdmin(_WireIdSearch, admin.ModelAdmin):
    wire_base = SmmPanelOrder.ID_BASE
    list_display = ("wire_id", "panel", "service_id", "quantity", "charge", "status_now")
    list_display += ("remains_now", "refunded", "created_at")
    list_filter = ("panel", "final_status")
    list_select_related = ("panel",)
    search_fields = ("link",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="status now")
    def status_now(self, order):
        return services.order_state(order).status

    @admin.display(description="remains now")
    def remains_now(self, order):
        return services.order_state(order).remains


class SmmPanelRefillAdmin(_WireIdSearch, admin.ModelAdmin):
    wire_base = SmmPanelRefill.ID_BASE
    list_display = ("wire_id", "order", "status_now", "created_at")
    list_select_related = ("order__panel",)
    search_fields = ("order__link",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="status now")
    def status_now(self, refill):
        return services.refill_state(refill)
