"""The import's trail in the admin, read-only: runs with their reports, and legacy history.

Every staff role reads it (roles.py): finance checks the reconciliation during the cutover,
support answers "what happened to my money in the old bot" from the balance operations and
withdrawal history.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from apps.common.admin_mixins import ReadOnlyAdmin
from apps.legacy.models import (
    BalanceOperation,
    BoostSubmission,
    ImportRun,
    LegacyRecord,
    UsedHash,
    WithdrawalEvent,
)


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "kind",
        "status",
        "started_at",
        "finished_at",
        "balances_checked",
        "balances_differing",
        "started_by",
    )
    list_filter = ("kind", "status")
    fields = (
        "kind",
        "status",
        "source_dir",
        "since",
        "started_by",
        "started_at",
        "finished_at",
        "balances_checked",
        "balances_differing",
        "readable_report",
        "json_report",
    )
    readonly_fields = fields

    @admin.display(description="Report")
    def readable_report(self, run):
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', run.summary)

    @admin.display(description="JSON")
    def json_report(self, run):
        url = reverse("admin:legacy_importrun_json", args=[run.pk])
        return format_html('<a href="{}">Download the JSON report</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.download_json)
        return [
            path("<int:pk>/json/", view, name="legacy_importrun_json"),
            *super().get_urls(),
        ]

    def download_json(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(ImportRun, pk=pk)
        response = HttpResponse(
            json.dumps(run.report, indent=2, default=str), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="legacy-run-{run.pk}.json"'
        return response


@admin.register(LegacyRecord)
class LegacyRecordAdmin(ReadOnlyAdmin):
    list_display = ("source", "legacy_id", "target_type", "target_id", "run", "imported_at")
    list_filter = ("source", "target_type")
    search_fields = ("=legacy_id", "=target_id")


@admin.register(UsedHash)
class UsedHashAdmin(ReadOnlyAdmin):
    list_display = ("key", "raw", "source", "telegram_id", "imported_at")
    search_fields = ("=key", "raw", "=telegram_id")


@admin.register(BalanceOperation)
class BalanceOperationAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "telegram_id",
        "operation_type",
        "balance_type",
        "amount",
        "reason",
    )
    list_filter = ("operation_type", "balance_type")
    search_fields = ("=telegram_id", "=operation_id")


@admin.register(WithdrawalEvent)
class WithdrawalEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "withdrawal", "action", "old_status", "new_status", "reason")
    list_filter = ("action",)
    search_fields = ("=withdrawal__id", "=withdrawal__user__telegram_id")
    list_select_related = ("withdrawal",)


@admin.register(BoostSubmission)
class BoostSubmissionAdmin(ReadOnlyAdmin):
    list_display = ("source_key", "platform", "link", "status", "provider", "occurred_at")
    list_filter = ("platform", "status")
    search_fields = ("link",)
