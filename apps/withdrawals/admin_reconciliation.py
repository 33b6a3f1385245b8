"""Admin of payout reconciliation: runs and their discrepancies, read-only, items as CSV.

Runs are made by `manage.py reconcile_payouts` and the daily job; nobody edits them here.
Registered on import: the withdrawals admin package imports this module.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from apps.audit.export import neutralise_formula
from apps.common.typed import whole_number
from apps.withdrawals.reconciliation_models import (
    DiscrepancyKind,
    ReconciliationItem,
    ReconciliationRun,
)
from apps.withdrawals.services.approvals import APPROVE, RETRY, SECOND_APPROVE

CSV_COLUMNS = (
    "run",
    "day",
    "kind",
    "kind_label",
    "reference",
    "withdrawal",
    "transfer_id",
    "ours",
    "theirs",
    "note",
)
CHUNK_SIZE = 2000


def works_on_payouts(user) -> bool:
    """Finance (anyone deciding on withdrawals) reads reconciliation without a view right."""
    return (
        user.is_active
        and user.is_staff
        and any(user.has_perm(name) for name in (APPROVE, SECOND_APPROVE, RETRY))
    )


class ReconciliationReadOnly(admin.ModelAdmin):
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = None

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or works_on_payouts(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or works_on_payouts(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReconciliationReadOnly):
    list_display = (
        "__str__",
        "day",
        "result",
        "discrepancies",
        "transfers_seen",
        "payouts_checked",
        "actor_label",
        "started_at",
        "export_link",
    )
    list_filter = ("ok", "day", "actor_type")
    date_hierarchy = "day"
    search_fields = ("=id", "actor_label")
    search_help_text = "The run's number, or who ran it."
    list_select_related = ("staff_user",)
    fields = (
        "day",
        "result",
        "started_at",
        "finished_at",
        "actor_label",
        "actor_type",
        "staff_user",
        "transfers_seen",
        "payouts_checked",
        "matched",
        "discrepancies",
        "by_kind",
        "error",
        "items_link",
        "export_link",
    )
    readonly_fields = fields

    def get_urls(self):
        export = path(
            "<path:object_id>/export/",
            self.admin_site.admin_view(self.export_view),
            name="withdrawals_reconciliationrun_export",
        )
        return [export, *super().get_urls()]

    @admin.display(description="Result", ordering="ok")
    def result(self, run):
        if run.error:
            return format_html('<strong style="color:#ba2121">Could not run</strong>')
        if run.ok:
            return format_html('<strong style="color:#2e7d32">Clean</strong>')
        return format_html('<strong style="color:#ba2121">{} to check</strong>', run.discrepancies)

    @admin.display(description="Discrepancies by kind")
    def by_kind(self, run):
        labels = dict(DiscrepancyKind.choices)
        counts = run.items.values("kind").annotate(total=Count("pk")).order_by("kind")
        if not counts:
            return "none"
        return format_html_join(
            "", "<div>{}: {}</div>", ((labels[row["kind"]], row["total"]) for row in counts)
        )

    @admin.display(description="Items")
    def items_link(self, run):
        url = reverse("admin:withdrawals_reconciliationitem_changelist")
        return format_html('<a href="{}?run__id__exact={}">Open the items</a>', url, run.pk)

    @admin.display(description="CSV")
    def export_link(self, run):
        url = reverse("admin:withdrawals_reconciliationrun_export", args=[run.pk])
        return format_html('<a href="{}">Download CSV</a>', url)

    def export_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run_id = whole_number(str(object_id), max_digits=18)
        if run_id is None:
            raise Http404("No such run.")
        run = get_object_or_404(ReconciliationRun, pk=run_id)
        return items_csv_response(run)


@admin.register(ReconciliationItem)
class ReconciliationItemAdmin(ReconciliationReadOnly):
    list_display = ("reference", "kind", "run_link", "withdrawal_link", "ours", "theirs", "note")
    list_filter = ("kind", "run__day")
    search_fields = ("=reference", "=withdrawal__id", "=transfer_id")
    search_help_text = "The payout reference (VCW-<id>-<attempt>), a withdrawal id or transfer id."
    list_select_related = ("run",)
    fields = ("run", "kind", "reference", "withdrawal", "transfer_id", "ours", "theirs", "note")
    readonly_fields = fields

    @admin.display(description="Run", ordering="run")
    def run_link(self, item):
        url = reverse("admin:withdrawals_reconciliationrun_change", args=[item.run_id])
        return format_html('<a href="{}">{}</a>', url, item.run)

    @admin.display(description="Withdrawal", ordering="withdrawal")
    def withdrawal_link(self, item):
        if item.withdrawal_id is None:
            return "-"
        url = reverse("admin:withdrawals_withdrawal_change", args=[item.withdrawal_id])
        return format_html('<a href="{}">W-{}</a>', url, item.withdrawal_id)


# --- CSV export ----------------------------------------------------------------------------------


def items_csv_response(run: ReconciliationRun) -> StreamingHttpResponse:
    filename = f"reconciliation-{run.day:%Y%m%d}-run{run.pk}.csv"
    return StreamingHttpResponse(
        item_lines(run),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def item_lines(run: ReconciliationRun) -> Iterator[str]:
    writer = csv.writer(_LineBuffer())
    labels = dict(DiscrepancyKind.choices)
    yield writer.writerow(CSV_COLUMNS)
    items = ReconciliationItem.objects.filter(run=run).order_by("kind", "reference", "pk")
    for item in items.iterator(chunk_size=CHUNK_SIZE):
        cells = [
            str(run.pk),
            run.day.isoformat(),
            item.kind,
            labels.get(item.kind, item.kind),
            item.reference,
            f"W-{item.withdrawal_id}" if item.withdrawal_id else "",
            "" if item.transfer_id is None else str(item.transfer_id),
            item.ours,
            item.theirs,
            item.note,
        ]
        yield writer.writerow([neutralise_formula(cell) for cell in cells])


class _LineBuffer:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, line: str) -> str:
        return line
