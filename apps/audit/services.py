"""Recording audit events: the one way an event enters the log.

Call ``record_event`` inside the same ``transaction.atomic()`` block as the change it
describes, after taking the other row locks the change needs: it locks the chain head until
commit, and taking the head last keeps the lock order the same everywhere (no deadlocks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from apps.audit.actors import as_actor
from apps.audit.chain import event_hash, to_json_value
from apps.audit.models import AuditChainHead, AuditEvent, AuditSearchTerm
from apps.common.correlation import get_correlation_id
from apps.common.request_context import get_client_ip

ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MIN_TERM_LENGTH = 3
MAX_TERM_LENGTH = 128


class AuditError(ValueError):
    """An event that cannot be recorded as given."""


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
    actor = as_actor(actor)
    if not ACTION_PATTERN.match(action):
        raise AuditError(f"Action {action!r} must be a dotted name such as 'withdrawal.approved'.")
    with transaction.atomic():
        head = _locked_head()
        event = AuditEvent(
            sequence=head.sequence + 1,
            occurred_at=timezone.now(),
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
            prev_hash=head.hash,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=head.pk).update(sequence=event.sequence, hash=event.hash)
        _index_terms(event, search_terms)
    return event


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # First event ever (the migration normally creates the row; a flushed test DB may not).
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def _index_terms(event: AuditEvent, extra: Iterable) -> None:
    terms = search_terms_of(event) | {_term(value) for value in extra}
    terms.discard(None)
    AuditSearchTerm.objects.bulk_create(
        AuditSearchTerm(event=event, term=term) for term in sorted(terms)
    )


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
    return text if len(text) >= MIN_TERM_LENGTH else None
