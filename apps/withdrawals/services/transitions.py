"""One status change: a compare-and-swap along TRANSITIONS and its audit event, together.

Callers wrap it in the transaction that also settles or releases the hold, so the status, the
ledger and the audit trail can never disagree.
"""

from __future__ import annotations

from apps.audit.services import record_event
from apps.ledger.services.transitions import compare_and_swap
from apps.withdrawals.errors import NotWaiting
from apps.withdrawals.models import TRANSITIONS, Withdrawal


def move(
    withdrawal: Withdrawal,
    new: str,
    *,
    actor,
    current: str | None = None,
    **changes,
) -> Withdrawal:
    """Move WITHDRAWAL from CURRENT (default: its status as loaded) to NEW, or NotWaiting.

    CHANGES are other fields set in the same update; a "reason" among them is also the audit
    event's reason (what the user was told).
    """
    current = current or withdrawal.status
    if not compare_and_swap(
        Withdrawal, pk=withdrawal.pk, table=TRANSITIONS, current=current, new=new, **changes
    ):
        fresh = Withdrawal.objects.get(pk=withdrawal.pk)
        raise NotWaiting(
            f"Withdrawal W-{withdrawal.pk} is {fresh.get_status_display().lower()} now; "
            "someone else acted on it first."
        )
    record_event(
        actor=actor,
        action=f"withdrawal.{new}",
        object_type="withdrawals.withdrawal",
        object_id=withdrawal.pk,
        before={"status": current},
        after={"status": new, **{key: _plain(value) for key, value in changes.items()}},
        reason=changes.get("reason", "") or "",
        search_terms=[withdrawal.user.telegram_id, withdrawal.account_number[-4:]],
    )
    withdrawal.refresh_from_db()
    return withdrawal


def _plain(value):
    return value if isinstance(value, str | int | bool | type(None)) else str(value)
