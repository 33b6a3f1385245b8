"""Celery tasks of withdrawals: thin, idempotent wrappers around the payout services."""

from __future__ import annotations

from celery import shared_task

from apps.withdrawals.services import payouts


# Late acknowledgement: a worker that dies mid-task leaves the message to be redelivered; the
# service is safe to run again (the claim's compare-and-swap lets one run send).
@shared_task(acks_late=True)
def send_payout(withdrawal_id: int) -> str:
    outcome = payouts.send_payout(withdrawal_id)
    if outcome in ("rate_limited", "provider_down", "daily_cap"):
        # Later again; the sweeper is the safety net if this message is lost.
        send_payout.apply_async((withdrawal_id,), countdown=60)
    return outcome


@shared_task(acks_late=True)
def sync_payout(withdrawal_id: int) -> str:
    return payouts.sync_payout(withdrawal_id)


@shared_task
def sync_payouts() -> int:
    """Settle sent, unknown and stale sending payouts (beat, every minute)."""
    due = payouts.due_for_sync()
    for withdrawal_id in due:
        sync_payout.delay(withdrawal_id)
    return len(due)


@shared_task
def sweep_approved() -> int:
    """Re-enqueue approved payouts whose task was lost (beat, every minute)."""
    lost = payouts.lost_approvals()
    for withdrawal_id in lost:
        send_payout.delay(withdrawal_id)
    return len(lost)


@shared_task
def prepare_draft(telegram_id: int, data: dict, key: str) -> bool:
    from apps.withdrawals.drafts import prepare_draft as prepare

    return prepare(telegram_id=telegram_id, data=data, key=key) is not None


@shared_task
def offer_banks(telegram_id: int, data: dict, query: str, key: str) -> int:
    from apps.withdrawals.drafts import offer_banks as offer

    return offer(telegram_id=telegram_id, data=data, query=query, key=key)
