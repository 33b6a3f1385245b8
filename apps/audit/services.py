"""Recording audit events: the one way an event enters the log.

Call ``record_event`` inside the same ``transaction.atomic()`` block as the change it
describes, after taking the other row locks the change needs: it locks the chain head until
commit, and taking the head last keeps the lock order the same everywhere (no deadlocks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.audit.actors import as_actor
from apps.audit.chain import to_json_value
from apps.audit.models import AuditEvent
from apps.audit.storage import append
from apps.common.correlation import get_correlation_id
from apps.common.request_context import get_client_ip

AMOUNT_PATTERN = re.compile(r"^-?\d+\.\d+$")
ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# Shorter values ("ok", "1") would match thousands of events and help nobody.
MIN_TERM_LENGTH = 3
MAX_TERM_LENGTH = 128


class AuditError(ValueError):
    """An event that cannot be recorded as given."""


@dataclass(frozen=True)
class PendingEvent:
    """An event with everything but its place in the chain (sequence, time, hashes)."""

    event: AuditEvent
    terms: list[str]


def record_event(
    *,
    actor,
    action: str,
    object_type: str,
    object_id="",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    search_terms: Iterable = (),
) -> AuditEvent:
    """Append one event, chained to the previous one, inside the caller's transaction.

    SEARCH_TERMS are extra keys support staff may look the event up by (a bot user's Telegram
    id, a tx hash, a payout reference); the actor, object id, correlation id and the scalar
    values of BEFORE and AFTER are indexed anyway.
    """
    return append_event(
        prepare_event(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=before,
            after=after,
            reason=reason,
            search_terms=search_terms,
        )
    )


def prepare_event(
    *,
    actor,
    action: str,
    object_type: str,
    object_id="",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    search_terms: Iterable = (),
) -> PendingEvent:
    """Validate and serialise an event without touching the chain.

    Hot paths (ledger postings) prepare before taking their row locks and append after, so the
    Python work stays out of the window in which the locks are held.
    """
    actor = as_actor(actor)
    if not ACTION_PATTERN.match(action):
        raise AuditError(f"Action {action!r} must be a dotted name such as 'withdrawal.approved'.")
    event = AuditEvent(
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=to_json_value(before),
        after=to_json_value(after),
        reason=reason,
        correlation_id=get_correlation_id() or "",
        client_ip=get_client_ip(),
    )
    return PendingEvent(event, sorted(_terms_for(event, search_terms)))


def append_event(pending: PendingEvent) -> AuditEvent:
    """Give PENDING the next place in the chain and store it, in the caller's transaction."""
    event = pending.event
    event.occurred_at = timezone.now()
    # No savepoint: the event lives and dies with the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        append(event, pending.terms)
    return event


def _terms_for(event: AuditEvent, extra: Iterable) -> set:
    terms = search_terms_of(event) | {_term(value) for value in extra}
    terms.discard(None)
    return terms


def search_terms_of(event: AuditEvent) -> set:
    values = [event.actor_id, event.actor_label, event.object_id, event.correlation_id]
    for document in (event.before, event.after):
        values.extend(_scalars(document))
    return {_term(value) for value in values} - {None}


def _scalars(document) -> Iterable:
    if isinstance(document, dict):
        for value in document.values():
            yield from _scalars(value)
    elif isinstance(document, list):
        for value in document:
            yield from _scalars(value)
    elif isinstance(document, str | int) and not isinstance(document, bool):
        yield document


def search_key(text: str) -> str:
    """How a search box's text is matched against indexed terms."""
    return text.strip().lstrip("@").lower()[:MAX_TERM_LENGTH]


def _term(value) -> str | None:
    text = search_key(str(value))
    if len(text) < MIN_TERM_LENGTH or AMOUNT_PATTERN.match(text):
        return None  # amounts are not identifiers: nobody looks a case up by "12.50"
    return text
