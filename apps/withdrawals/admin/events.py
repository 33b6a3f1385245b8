"""Flutterwave webhook deliveries: read-only, looked up by the payout reference."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from apps.withdrawals.admin.withdrawals import WithdrawalsReadAccess
from apps.withdrawals.models import FlutterwaveEvent


@admin.register(FlutterwaveEvent)
class FlutterwaveEventAdmin(WithdrawalsReadAccess, admin.ModelAdmin):
    """A webhook is only a hint to re-fetch the transfer; this shows what arrived, and when."""

    list_display = ("received_at", "event", "reference", "digest")
    list_filter = ("event", "received_at")
    date_hierarchy = "received_at"
    search_fields = ("=reference",)
    search_help_text = "The payout reference (VCW-<id>-<attempt>), exactly."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = None
    fields = ("received_at", "event", "reference", "digest", "payload_shown")
    readonly_fields = fields

    @admin.display(description="Payload")
    def payload_shown(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))
