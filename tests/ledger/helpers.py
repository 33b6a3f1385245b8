"""Assertions shared by the ledger tests: what was written, and the audit trail in order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from apps.audit.models import AuditEvent
from apps.ledger.models import Account, Adjustment, Entry, Hold, Transaction


@dataclass(frozen=True)
class Written:
    transactions: int
    entries: int
    audit_events: int
    holds: int
    adjustments: int
    balances: dict


def written() -> Written:
    """A snapshot of everything a refused call must leave untouched."""
    return Written(
        transactions=Transaction.objects.count(),
        entries=Entry.objects.count(),
        audit_events=AuditEvent.objects.count(),
        holds=Hold.objects.count(),
        adjustments=Adjustment.objects.count(),
        balances=dict(Account.objects.values_list("pk", "balance")),
    )


@contextmanager
def nothing_written() -> Iterator[None]:
    """`with nothing_written(), pytest.raises(...):` proves a refusal wrote nothing."""
    before = written()
    yield
    assert written() == before


def last_sequence() -> int:
    return AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def audit_actions(after_sequence: int = 0) -> list[str]:
    """Actions of the audit events after AFTER_SEQUENCE, oldest first."""
    return list(
        AuditEvent.objects.filter(sequence__gt=after_sequence)
        .order_by("sequence")
        .values_list("action", flat=True)
    )
