"""Payouts through the fake Flutterwave: paid once, never sent twice, settled exactly once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.ledger.models import Hold
from apps.ledger.selectors import balances_for
from apps.sandbox.failures import inject_failure
from apps.sandbox.flutterwave.transfers import set_balance, settle_transfer
from apps.sandbox.models import FlutterwaveTransfer
from apps.withdrawals.errors import WithdrawalRefused
from apps.withdrawals.models import PayoutAttempt, Status, Withdrawal
from apps.withdrawals.services import payouts
from apps.withdrawals.services.approvals import refund_failed, retry_payout

pytestmark = pytest.mark.django_db(transaction=True)


def _state(withdrawal) -> str:
    return Withdrawal.objects.get(pk=withdrawal.pk).status


def _transfers() -> list:
    return list(FlutterwaveTransfer.objects.all())


def test_payout_is_sent_then_paid_and_the_hold_settled(approved, earner):
    assert payouts.send_payout(approved.pk) == "sent"
    transfer = FlutterwaveTransfer.objects.get()
    assert (transfer.reference, transfer.amount) == (f"VCW-{approved.pk}-1", Decimal("150000.00"))
    assert transfer.bank_code == "044" and transfer.account_number == "0690000031"
    settle_transfer(transfer.reference, "SUCCESSFUL")
    assert payouts.sync_payout(approved.pk) == "paid"
    assert _state(approved) == Status.PAID
    assert Hold.objects.get(reference=approved.hold_reference).status == "settled"
    assert balances_for(earner)["affiliate_usd"] == Decimal("200.00")
    events = AuditEvent.objects.filter(object_type="withdrawals.withdrawal").order_by("sequence")
    actions = list(events.values_list("action", flat=True))
    assert actions == [
        "withdrawal.requested",
        "withdrawal.approved",
        "withdrawal.sending",
        "withdrawal.sent",
        "withdrawal.paid",
    ]


def test_running_the_task_twice_sends_once(approved):
    assert payouts.send_payout(approved.pk) == "sent"
    assert payouts.send_payout(approved.pk) == "not_due"
    assert len(_transfers()) == 1


@pytest.mark.parametrize("kind", ["delay_seconds", "http_500", "http_502"])
def test_no_clear_answer_is_looked_up_by_reference_never_resent(approved, kind):
    inject_failure(
        "flutterwave.transfers.create", kind, delay=2 if kind == "delay_seconds" else None
    )
    assert payouts.send_payout(approved.pk) == "sent"
    assert len(_transfers()) == 1
    attempt = PayoutAttempt.objects.get()
    assert attempt.transfer_id and attempt.provider_status in ("NEW", "PENDING")
    actions = AuditEvent.objects.filter(action__startswith="withdrawal.").values_list(
        "action", flat=True
    )
    assert "withdrawal.unknown" in list(actions)


def test_a_crash_after_the_send_is_finished_by_the_status_sync(approved):
    inject_failure("flutterwave.transfers.create", "http_500")
    attempt = payouts._claim(approved.pk)  # the claim commits; the worker "dies" after the call
    from apps.purchases.clients.flutterwave import build_flutterwave_client

    with pytest.raises(Exception), build_flutterwave_client() as client:  # noqa: B017
        client.create_transfer(
            reference=attempt.reference,
            bank_code="044",
            account_number="0690000031",
            amount_ngn=Decimal("150000.00"),
            narration="x",
        )
    assert _state(approved) == Status.SENDING
    settle_transfer(attempt.reference, "SUCCESSFUL")
    later = Withdrawal.objects.get(pk=approved.pk).sent_at + payouts.STALE_SENDING
    assert payouts.due_for_sync(later) == [approved.pk]
    assert payouts.sync_payout(approved.pk, now=later) == "paid"
    assert payouts.sync_payout(approved.pk, now=later) == "not_due"
    assert len(_transfers()) == 1
    assert Hold.objects.get(reference=approved.hold_reference).status == "settled"


def test_a_definite_refusal_fails_then_retry_uses_a_new_reference(approved, finance_clerk, earner):
    set_balance(Decimal("1000.00"))
    assert payouts.send_payout(approved.pk) == "failed"
    failed = Withdrawal.objects.get(pk=approved.pk)
    assert failed.status == Status.FAILED and "Insufficient funds" in failed.reason
    set_balance(None)
    retried = retry_payout(withdrawal=failed, actor=finance_clerk)
    assert retried.status == Status.APPROVED
    assert payouts.send_payout(approved.pk) == "sent"
    assert [t.reference for t in _transfers()] == [f"VCW-{approved.pk}-2"]


def test_retry_is_refused_until_the_failure_is_confirmed(approved, finance_clerk):
    inject_failure("flutterwave.transfers.create", "http_500")
    inject_failure("flutterwave.transfers.list", "http_500", times=10)
    payouts.send_payout(approved.pk)
    assert _state(approved) == Status.UNKNOWN
    Withdrawal.objects.filter(pk=approved.pk).update(status=Status.FAILED)  # as if marked by hand
    with pytest.raises(WithdrawalRefused, match="has not confirmed"):
        retry_payout(withdrawal=Withdrawal.objects.get(pk=approved.pk), actor=finance_clerk)


def test_a_transfer_failing_later_can_be_refunded_once(approved, finance_clerk, earner):
    payouts.send_payout(approved.pk)
    settle_transfer(f"VCW-{approved.pk}-1", "FAILED", message="DISBURSE FAILED: account closed")
    assert payouts.sync_payout(approved.pk) == "failed"
    failed = Withdrawal.objects.get(pk=approved.pk)
    refund_failed(withdrawal=failed, actor=finance_clerk)
    with pytest.raises(WithdrawalRefused):
        refund_failed(withdrawal=Withdrawal.objects.get(pk=approved.pk), actor=finance_clerk)
    assert balances_for(earner)["affiliate_usd"] == Decimal("300.00")
    assert Hold.objects.get(reference=approved.hold_reference).status == "released"


def test_a_dropped_connection_leaves_the_outcome_unknown_and_nothing_is_resent(
    approved, settings, flutterwave
):
    real = settings.FLUTTERWAVE_BASE_URL
    settings.FLUTTERWAVE_BASE_URL = "http://127.0.0.1:9/sandbox/flutterwave"  # nothing listens
    assert payouts.send_payout(approved.pk) == "provider_down"
    assert _state(approved) == Status.UNKNOWN
    settings.FLUTTERWAVE_BASE_URL = real
    assert payouts.send_payout(approved.pk) == "not_due"  # unknown is never sent again
    assert payouts.sync_payout(approved.pk) == "waiting"  # Flutterwave has no such transfer yet
    later = Withdrawal.objects.get(pk=approved.pk).sent_at + payouts.NOT_FOUND_GRACE
    assert payouts.sync_payout(approved.pk, now=later) == "failed"
    assert PayoutAttempt.objects.get().provider_status == "NOT_FOUND"
    assert _transfers() == []


def test_the_daily_cap_holds_payouts_back(approved, settings):
    settings.WITHDRAWAL_DAILY_PAYOUT_CAP_NGN = Decimal("100000.00")
    assert payouts.send_payout(approved.pk) == "daily_cap"
    assert _state(approved) == Status.APPROVED
    assert _transfers() == []


def test_the_per_minute_pace_holds_payouts_back(approved, settings):
    settings.FLUTTERWAVE_PAYOUTS_PER_MINUTE = 1
    from django.core.cache import cache

    minute = int(timezone.now().timestamp() // 60)
    for each in (minute, minute + 1):  # the test may straddle a minute boundary
        cache.set(f"withdrawals:payouts:{each}", 1, 120)
    assert payouts.send_payout(approved.pk) == "rate_limited"
    assert _transfers() == []


def test_the_sweeper_finds_approved_payouts_whose_task_was_lost(approved):
    from datetime import timedelta

    soon = Withdrawal.objects.get(pk=approved.pk).approved_at + timedelta(seconds=30)
    assert payouts.lost_approvals(soon) == []
    later = soon + timedelta(minutes=1)
    assert payouts.lost_approvals(later) == [approved.pk]
    payouts.send_payout(approved.pk)
    assert payouts.lost_approvals(later) == []


def test_an_open_circuit_breaker_sends_nothing_and_the_payout_goes_back_to_approved(approved):
    from apps.common.http.breaker import CircuitBreaker

    breaker = CircuitBreaker("flutterwave")
    for _ in range(breaker.failure_threshold):
        breaker.record_failure()
    assert payouts.send_payout(approved.pk) == "provider_down"
    assert _state(approved) == Status.APPROVED
    assert PayoutAttempt.objects.get().provider_status == "NOT_SENT"
    assert _transfers() == []
    breaker.record_success()
    from django.core.cache import cache

    cache.clear()
    assert payouts.send_payout(approved.pk) == "sent"
    assert [t.reference for t in _transfers()] == [f"VCW-{approved.pk}-2"]
