"""The reconciliation admin: runs and items read-only, for finance; a run's items as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

import apps.withdrawals.admin_reconciliation  # noqa: F401  (registers the admin; see its docstring)
from apps.withdrawals.reconciliation_models import (
    DiscrepancyKind,
    ReconciliationItem,
    ReconciliationRun,
)

pytestmark = pytest.mark.django_db

RUNS = "admin:withdrawals_reconciliationrun_changelist"
ITEMS = "admin:withdrawals_reconciliationitem_changelist"


@pytest.fixture
def run(db):
    now = timezone.now()
    run = ReconciliationRun.objects.create(
        day=date(2026, 3, 10),
        started_at=now,
        finished_at=now,
        actor_type="system",
        actor_label="reconciliation-daily",
        transfers_seen=3,
        payouts_checked=2,
        matched=1,
        discrepancies=2,
        ok=False,
    )
    ReconciliationItem.objects.create(
        run=run,
        kind=DiscrepancyKind.MISSING_HERE,
        reference="=HYPERLINK(1)",
        transfer_id=400_001,
        theirs="SUCCESSFUL, 5,000.00 NGN",
        note="Not a ViralCore payout reference.",
    )
    ReconciliationItem.objects.create(
        run=run,
        kind=DiscrepancyKind.AMOUNT_MISMATCH,
        reference="VCW-7-1",
        ours="149,000.00 NGN",
        theirs="150,000.00 NGN",
        note="Another amount.",
    )
    return run


@pytest.fixture
def finance_client(client, finance_clerk):
    client.force_login(finance_clerk)
    return client


def test_finance_reads_runs_and_their_page(finance_client, run, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        page = finance_client.get(reverse(RUNS))
    assert page.status_code == 200
    assert "2 to check" in page.content.decode()
    assert finance_client.get(reverse(RUNS), {"q": str(run.pk)}).status_code == 200
    assert finance_client.get(reverse(RUNS), {"q": "reconciliation-daily"}).status_code == 200
    assert finance_client.get(reverse(ITEMS), {"q": "not a number"}).status_code == 200
    change = finance_client.get(
        reverse("admin:withdrawals_reconciliationrun_change", args=[run.pk])
    )
    body = change.content.decode()
    assert change.status_code == 200
    assert "At Flutterwave, not in our records: 1" in body and "Amount differs: 1" in body
    assert f"run__id__exact={run.pk}" in body


def test_finance_reads_items_filtered_by_run_and_searched_by_reference(finance_client, run):
    listed = finance_client.get(reverse(ITEMS), {"run__id__exact": run.pk})
    assert listed.status_code == 200 and "VCW-7-1" in listed.content.decode()
    found = finance_client.get(reverse(ITEMS), {"q": "VCW-7-1"})
    assert "VCW-7-1" in found.content.decode() and "HYPERLINK" not in found.content.decode()
    item = run.items.get(reference="VCW-7-1")
    page = finance_client.get(
        reverse("admin:withdrawals_reconciliationitem_change", args=[item.pk])
    )
    assert page.status_code == 200


def test_runs_and_items_cannot_be_added_changed_or_deleted(client, superuser, run):
    client.force_login(superuser)
    assert client.get(reverse("admin:withdrawals_reconciliationrun_add")).status_code == 403
    delete = reverse("admin:withdrawals_reconciliationrun_delete", args=[run.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    item = run.items.first()
    change = reverse("admin:withdrawals_reconciliationitem_change", args=[item.pk])
    client.post(change, {"note": "edited"})
    item.refresh_from_db()
    assert item.note != "edited"
    assert ReconciliationRun.objects.filter(pk=run.pk).exists()


def test_support_reads_the_runs_and_exports_them(client, support_agent, run):
    client.force_login(support_agent)
    assert client.get(reverse(RUNS)).status_code == 200
    export = reverse("admin:withdrawals_reconciliationrun_export", args=[run.pk])
    assert client.get(export).status_code == 200


def test_staff_without_any_withdrawal_right_is_refused(client, run):
    from tests.factories import StaffUserFactory

    client.force_login(StaffUserFactory())
    assert client.get(reverse(RUNS)).status_code == 403
    export = reverse("admin:withdrawals_reconciliationrun_export", args=[run.pk])
    assert client.get(export).status_code == 403


def test_a_runs_items_export_as_csv(finance_client, run):
    response = finance_client.get(
        reverse("admin:withdrawals_reconciliationrun_export", args=[run.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"reconciliation-20260310-run{run.pk}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
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
    ]
    assert [row[2] for row in rows[1:]] == ["amount_mismatch", "missing_here"]
    assert rows[1][4:9] == ["VCW-7-1", "", "", "149,000.00 NGN", "150,000.00 NGN"]
    assert rows[2][4] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert rows[2][6] == "400001"


def test_exporting_an_unknown_run_is_404(finance_client):
    export = reverse("admin:withdrawals_reconciliationrun_export", args=[999])
    assert finance_client.get(export).status_code == 404
