"""Reading the audit log: the one query the admin, the CSV export and the staff API share.

Each filter narrows on an indexed column (action, actor type, object type, occurred_at) or, for
the search key, on the indexed AuditSearchTerm table; nothing here scans JSON or runs a LIKE.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.models import AuditEvent, AuditSearchTerm
from apps.audit.services import search_key


def filter_events(
    events: QuerySet | None = None,
    *,
    action: str | None = None,
    actor_type: str | None = None,
    object_type: str | None = None,
    occurred_from: date | datetime | None = None,
    occurred_to: date | datetime | None = None,
    q: str | None = None,
) -> QuerySet:
    """Audit events matching every given filter, newest first.

    EVENTS is the queryset to narrow (the admin passes its changelist's); by default all events.
    A date bound covers its whole day (OCCURRED_TO is the end of that day); a datetime bound is
    inclusive. Q is matched exactly, after `search_key`, against the event's indexed terms.
    """
    if events is None:
        events = AuditEvent.objects.all()
    if action:
        events = events.filter(action=action)
    if actor_type:
        events = events.filter(actor_type=actor_type)
    if object_type:
        events = events.filter(object_type=object_type)
    if occurred_from is not None:
        events = events.filter(occurred_at__gte=_start_of(occurred_from))
    if occurred_to is not None:
        events = _up_to(events, occurred_to)
    if q:
        events = events.filter(pk__in=_events_with_term(search_key(q)))
    return events.order_by("-sequence")


def _events_with_term(key: str) -> QuerySet:
    # A subquery on the (term, event) index, not a join: an event holds each term once, but
    # IN keeps that true even if it ever does not, with no DISTINCT over the events.
    return AuditSearchTerm.objects.filter(term=key).values("event_id")


def _start_of(bound: date | datetime) -> datetime:
    if isinstance(bound, datetime):
        return bound
    return timezone.make_aware(datetime.combine(bound, time.min))


def _up_to(events: QuerySet, bound: date | datetime) -> QuerySet:
    if isinstance(bound, datetime):
        return events.filter(occurred_at__lte=bound)
    return events.filter(occurred_at__lt=_start_of(bound + timedelta(days=1)))
