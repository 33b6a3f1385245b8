"""Recompute the audit hash chain and find the first event that does not fit."""

from __future__ import annotations

from dataclasses import dataclass

from apps.audit.chain import GENESIS_HASH, event_hash
from apps.audit.models import AuditChainHead, AuditEvent

CHUNK = 5000


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    kind: str  # "edited", "missing", "reordered", "head"
    detail: str

    def __str__(self) -> str:
        return f"event #{self.sequence}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain() -> ChainReport:
    """Walk every event in sequence order; stop at the first one that breaks the chain."""
    expected_sequence, expected_prev = 1, GENESIS_HASH
    checked = 0
    events = AuditEvent.objects.order_by("sequence").iterator(chunk_size=CHUNK)
    for event in events:
        problem = _check(event, expected_sequence, expected_prev)
        if problem:
            return ChainReport(checked, problem)
        checked += 1
        expected_sequence, expected_prev = event.sequence + 1, event.hash
    return ChainReport(checked, _check_head(expected_sequence - 1, expected_prev))


def _check(event, expected_sequence: int, expected_prev: str) -> ChainProblem | None:
    if event.sequence != expected_sequence:
        missing = f"{expected_sequence}..{event.sequence - 1}"
        return ChainProblem(expected_sequence, "missing", f"events {missing} are not in the log")
    if event.prev_hash != expected_prev:
        return ChainProblem(
            event.sequence, "reordered", "its prev_hash does not match the event before it"
        )
    if event_hash(event) != event.hash:
        return ChainProblem(
            event.sequence, "edited", f"its content no longer matches its hash ({event.action})"
        )
    return None


def _check_head(last_sequence: int, last_hash: str) -> ChainProblem | None:
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or (head.sequence == last_sequence and head.hash == last_hash):
        return None
    return ChainProblem(
        last_sequence + 1,
        "missing",
        f"the chain head records #{head.sequence} but the log ends at #{last_sequence}",
    )
