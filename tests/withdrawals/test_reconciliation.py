"""Reconciliation of payouts against the fake Flutterwave over loopback: each discrepancy kind,
the stored runs, the audit event, the admin group's alert, the command and the daily task."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.bot.models import GroupRole, OutboundMessage, TelegramGroup
from apps.sandbox.failures import inject_failure
from apps.sandbox.flutterwave import transfers as fake
from apps.sandbox.models import FlutterwaveTransfer
from apps.withdrawals.models import PayoutAttempt, Status, Withdrawal
from apps.withdrawals.reconciliation import reconcile_payouts
from apps.withdrawals.reconciliation_models import (
    DiscrepancyKind,
    ReconciliationItem,
    ReconciliationRun,
)
from apps.withdrawals.services import payouts
from apps.withdrawals.tasks_reconciliation import reconcile_yesterday

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_CHAT = -100_777


@pytest.fixture
def admin_group(db):
    return TelegramGroup.objects.create(
        chat_id=ADMIN_CHAT, title="Admins", chat_type="supergroup", role=GroupRole.ADMIN
    )


@pytest.fixture
def today():
    return timezone.now().date()


def _sent(withdrawal) -> str:
    """Pay WITHDRAWAL out to the fake; its transfer stays open until the test settles it."""
    assert payouts.send_payout(withdrawal.pk) == "sent"
    reference = f"VCW-{withdrawal.pk}-1"
    far = timezone.now() + timedelta(days=3)
    FlutterwaveTransfer.objects.filter(reference=reference).update(settles_at=far, pending_at=far)
    return reference


def _paid(withdrawal) -> str:
    reference = _sent(withdrawal)
    fake.settle_transfer(reference, "SUCCESSFUL")
    assert payouts.sync_payout(withdrawal.pk) == "paid"
    return reference


def _items(run) -> list[tuple[str, str]]:
    return sorted(run.items.values_list("kind", "reference"))


def _alerts() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(dedupe_key__startswith="reconciliation:"))


# --- a clean day ---


def test_a_clean_day_is_ok_and_alerts_nobody(approved, admin_group, finance_clerk, today):
    reference = _paid(approved)
    run = reconcile_payouts(today, actor=finance_clerk)
    assert run.ok and run.error == ""
    assert (run.transfers_seen, run.payouts_checked, run.matched, run.discrepancies) == (1, 1, 1, 0)
    assert run.day == today and run.finished_at >= run.started_at
    assert (run.actor_type, run.staff_user) == ("staff", finance_clerk)
    assert run.items.count() == 0
    assert _alerts() == []
    event = AuditEvent.objects.get(action="payouts.reconciled")
    assert event.object_id == str(run.pk)
    assert event.after["ok"] is True and event.after["kinds"] == {}
    assert reference  # the paid payout was compared, and agreed


def test_a_payout_still_in_flight_agrees_with_a_pending_transfer(approved, today):
    _sent(approved)
    run = reconcile_payouts(today, actor=payouts.SYNC)
    assert run.ok and run.matched == 1


def test_a_transfer_flutterwave_refused_is_not_missing(approved, today):
    fake.set_balance(Decimal("1000.00"))  # the payout is refused: no transfer is ever made
    assert payouts.send_payout(approved.pk) == "failed"
    run = reconcile_payouts(today, actor=payouts.SYNC)
    assert run.ok
    assert (run.transfers_seen, run.payouts_checked) == (0, 1)


def test_another_day_has_nothing_to_compare(approved, today):
    _paid(approved)
    run = reconcile_payouts(today - timedelta(days=1), actor=payouts.SYNC)
    assert run.ok and (run.transfers_seen, run.payouts_checked) == (0, 0)


# --- each kind of discrepancy ---


def test_transfers_we_did_not_make_are_missing_here(flutterwave, admin_group, today):
    fake.create_transfer(
        reference="DASH-1", bank_code="044", account_number="0690000032", amount=Decimal("5000")
    )
    fake.create_transfer(
        reference="VCW-999-1", bank_code="044", account_number="0690000033", amount=Decimal("700")
    )
    run = reconcile_payouts(today, actor=payouts.SYNC)
    assert not run.ok and run.discrepancies == 2
    assert _items(run) == [
        (DiscrepancyKind.MISSING_HERE, "DASH-1"),
        (DiscrepancyKind.MISSING_HERE, "VCW-999-1"),
    ]
    notes = dict(run.items.values_list("reference", "note"))
    assert "Not a ViralCore payout reference" in notes["DASH-1"]
    assert "no payout attempt of ours" in notes["VCW-999-1"]
    item = run.items.get(reference="DASH-1")
    assert item.withdrawal is None and item.transfer_id
    assert item.theirs.startswith("NEW, 5,000.00 NGN") or item.theirs.startswith("PENDING")


def test_a_paid_payout_flutterwave_does_not_know_is_missing_there(approved, today):
    reference = _paid(approved)
    FlutterwaveTransfer.objects.filter(reference=reference).delete()
    run = reconcile_payouts(today, actor=payouts.SYNC)
    item = run.items.get()
    assert (item.kind, item.reference, item.withdrawal_id) == (
        DiscrepancyKind.MISSING_THERE,
        reference,
        approved.pk,
    )
    assert item.ours == "paid, 150,000.00 NGN" and item.theirs == ""


def test_a_payout_being_sent_is_missing_there_only_after_the_grace(approved, today):
    attempt = payouts._claim(approved.pk)  # sending: the call to Flutterwave is under way
    assert reconcile_payouts(today, actor=payouts.SYNC).ok
    later = timezone.now() + payouts.NOT_FOUND_GRACE
    item = reconcile_payouts(today, actor=payouts.SYNC, now=later).items.get()
    assert (item.kind, item.reference) == (DiscrepancyKind.MISSING_THERE, attempt.reference)
    assert item.ours == "sending, 150,000.00 NGN"


def test_an_amount_that_differs_is_reported(approved, today):
    reference = _paid(approved)
    PayoutAttempt.objects.filter(reference=reference).update(amount_ngn=Decimal("149000.00"))
    run = reconcile_payouts(today, actor=payouts.SYNC)
    item = run.items.get()
    assert (item.kind, item.reference) == (DiscrepancyKind.AMOUNT_MISMATCH, reference)
    assert (item.ours, item.theirs) == ("149,000.00 NGN", "150,000.00 NGN")
    assert run.matched == 0 and run.payouts_checked == 1


@pytest.mark.parametrize(
    ("their_end", "our_status", "note"),
    [
        ("FAILED", Status.PAID, "did not pay it"),
        ("SUCCESSFUL", Status.FAILED, "paid twice"),
        ("SUCCESSFUL", Status.SENT, "status sync has not recorded"),
    ],
)
def test_a_status_that_differs_is_reported(approved, today, their_end, our_status, note):
    reference = _sent(approved)
    fake.settle_transfer(reference, their_end, message="DISBURSE FAILED: account closed")
    Withdrawal.objects.filter(pk=approved.pk).update(status=our_status)  # our row, edited
    run = reconcile_payouts(today, actor=payouts.SYNC)
    item = run.items.get()
    assert (item.kind, item.reference) == (DiscrepancyKind.STATUS_MISMATCH, reference)
    assert item.ours.startswith(f"{our_status}, 150,000.00 NGN")
    assert item.theirs.startswith(f"{their_end}, 150,000.00 NGN")
    assert note in item.note


def test_an_earlier_attempt_flutterwave_paid_after_all_is_a_status_mismatch(approved, today):
    reference = _sent(approved)
    fake.settle_transfer(reference, "SUCCESSFUL")
    # As if the attempt had been recorded failed and finance paid it by hand afterwards.
    Withdrawal.objects.filter(pk=approved.pk).update(status=Status.PAID_MANUALLY)
    run = reconcile_payouts(today, actor=payouts.SYNC)
    item = run.items.get()
    assert item.kind == DiscrepancyKind.STATUS_MISMATCH
    assert item.ours == f"failed, 150,000.00 NGN (W-{approved.pk} is paid_manually now)"


def test_a_payout_sent_over_a_day_ago_is_stuck(approved, today):
    reference = _sent(approved)
    long_ago = timezone.now() - timedelta(hours=25)
    Withdrawal.objects.filter(pk=approved.pk).update(sent_at=long_ago)
    run = reconcile_payouts(today, actor=payouts.SYNC)
    item = run.items.get()
    assert (item.kind, item.reference, item.withdrawal_id) == (
        DiscrepancyKind.STUCK_SENT,
        reference,
        approved.pk,
    )
    assert item.ours.startswith("sent") and item.theirs.startswith(("NEW", "PENDING"))
    assert "Sent 25 h ago" in item.note


def test_a_payout_sent_less_than_a_day_ago_is_not_stuck(approved, today):
    _sent(approved)
    Withdrawal.objects.filter(pk=approved.pk).update(sent_at=timezone.now() - timedelta(hours=23))
    assert reconcile_payouts(today, actor=payouts.SYNC).ok


def test_every_page_of_the_transfer_list_is_read(flutterwave, today):
    for number in range(23):  # the fake lists 10 a page
        fake.create_transfer(
            reference=f"DASH-{number}",
            bank_code="044",
            account_number="0690000032",
            amount=Decimal("1000"),
        )
    run = reconcile_payouts(today, actor=payouts.SYNC)
    assert run.transfers_seen == 23
    assert run.items.filter(kind=DiscrepancyKind.MISSING_HERE).count() == 23


# --- runs, alerts, audit ---


def test_discrepancies_alert_the_admin_group_once_per_run(approved, admin_group, today):
    reference = _paid(approved)
    FlutterwaveTransfer.objects.filter(reference=reference).delete()
    first = reconcile_payouts(today, actor=payouts.SYNC)
    second = reconcile_payouts(today, actor=payouts.SYNC)
    assert ReconciliationRun.objects.count() == 2 and first.pk != second.pk
    alerts = _alerts()
    assert sorted(alert.dedupe_key for alert in alerts) == sorted(
        f"reconciliation:{run.pk}:{ADMIN_CHAT}" for run in (first, second)
    )
    text = alerts[0].payload["text"]
    assert alerts[0].chat_id == ADMIN_CHAT and alerts[0].method == "sendMessage"
    assert "1 discrepancy" in text and "In our records, not at Flutterwave: 1" in text
    assert reference.replace("-", "\\-") in text
    assert "/admin/withdrawals/reconciliationrun/" in text
    event = AuditEvent.objects.get(action="payouts.reconciled", object_id=str(first.pk))
    assert event.after["kinds"] == {"missing_there": 1} and event.after["ok"] is False


def test_flutterwave_down_is_a_failed_run_never_a_clean_one(flutterwave, admin_group, today):
    inject_failure("flutterwave.transfers.list", "http_500", times=20)
    run = reconcile_payouts(today, actor=payouts.SYNC)
    assert not run.ok and "Flutterwave could not be read" in run.error
    assert run.items.count() == 0
    assert "Could not complete" in _alerts()[0].payload["text"]


# --- the command ---


def test_the_command_prints_a_clean_day_and_exits_0(approved, today):
    _paid(approved)
    out = io.StringIO()
    call_command("reconcile_payouts", "--date", today.isoformat(), stdout=out)
    printed = out.getvalue()
    assert f"Payout reconciliation of {today.isoformat()}" in printed
    assert "Flutterwave transfers: 1, our payouts checked: 1, matched: 1" in printed
    assert "Clean" in printed
    run = ReconciliationRun.objects.get()
    assert run.actor_label == "manage.py reconcile_payouts" and run.staff_user is None


def test_the_command_lists_discrepancies_and_exits_1(approved, admin_group, today):
    reference = _paid(approved)
    PayoutAttempt.objects.filter(reference=reference).update(amount_ngn=Decimal("1.00"))
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 discrepancy found in run #") as raised:
        call_command("reconcile_payouts", "--date", today.isoformat(), stdout=out)
    assert raised.value.returncode == 1
    printed = out.getvalue()
    assert "Amount differs: 1" in printed
    assert f"AMOUNT_MISMATCH {reference} W-{approved.pk} | ours: 1.00 NGN" in printed
    assert len(_alerts()) == 1


def test_the_command_defaults_to_yesterday_utc(flutterwave, today):
    call_command("reconcile_payouts", stdout=io.StringIO())
    assert ReconciliationRun.objects.get().day == today - timedelta(days=1)


def test_the_command_exits_1_when_flutterwave_is_down(flutterwave, today):
    inject_failure("flutterwave.transfers.list", "http_500", times=20)
    with pytest.raises(CommandError, match="could not complete") as raised:
        call_command("reconcile_payouts", "--date", today.isoformat(), stdout=io.StringIO())
    assert raised.value.returncode == 1


def test_the_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("reconcile_payouts", "--date", "31/01/2026", stdout=io.StringIO())
    assert not ReconciliationRun.objects.exists()


# --- the daily task ---


def test_the_daily_task_reconciles_yesterday_once(flutterwave, today):
    first = reconcile_yesterday()
    assert first["day"] == (today - timedelta(days=1)).isoformat() and first["ok"] is True
    assert reconcile_yesterday() == {"day": first["day"], "skipped": True}
    run = ReconciliationRun.objects.get()
    assert (run.actor_type, run.actor_label) == ("system", "reconciliation-daily")
    assert not ReconciliationItem.objects.exists()
