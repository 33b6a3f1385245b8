"""The audit log's filter vocabulary: one set of parameter names and one parser for them.

The staff API's query parameters, the admin changelist's querystring and therefore the CSV
export of it all use the names in FILTER_PARAMETERS and go through `parse_filter`, so a value
the API refuses is refused (with a message) by the admin too, and all three pass the same
keyword arguments to `apps.audit.selectors.filter_events`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from django.contrib import admin, messages
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.audit.actors import ACTOR_TYPES
from apps.audit.models import AuditEvent
from apps.audit.selectors import filter_events
from apps.audit.services import ACTION_PATTERN, MIN_TERM_LENGTH, search_key

FILTER_PARAMETERS = ("action", "actor_type", "object_type", "occurred_from", "occurred_to", "q")
RANGE_PARAMETERS = ("occurred_from", "occurred_to")
OBJECT_TYPE_PATTERN = re.compile(r"^[\w.:-]{1,100}$")
# An audit log has no events before 1970; the upper bound keeps "end of day" computable.
BOUND_YEARS = range(1970, 3000)
MAX_BOUND_LENGTH = 40


class InvalidFilter(ValueError):
    """A filter value we refuse; PARAMETER names it for the caller."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter} {message}")
        self.parameter = parameter
        self.message = message


def parse_filters(params) -> dict:
    """`filter_events` keyword arguments from query parameters (a QueryDict or plain dict).

    Parameters that are absent or blank are left out; other names (page, cursor, ordering) are
    ignored. Raises InvalidFilter naming the first parameter whose value is refused.
    """
    filters = {}
    for name in FILTER_PARAMETERS:
        raw = params.get(name)
        if raw is not None and raw.strip():
            filters[name] = parse_filter(name, raw)
    _check_range(filters.get("occurred_from"), filters.get("occurred_to"))
    return filters


def parse_filter(name: str, raw: str):
    return _PARSERS[name](name, raw.strip())


def _check_range(start: date | None, end: date | None) -> None:
    if start is None or end is None:
        return
    if _as_datetime(start) > _latest_in(end):
        raise InvalidFilter("occurred_from", "must not be after occurred_to.")


def _parse_action(name: str, raw: str) -> str:
    if len(raw) > 100 or not ACTION_PATTERN.match(raw):
        raise InvalidFilter(name, "must be a dotted action name such as withdrawal.approved.")
    return raw


def _parse_actor_type(name: str, raw: str) -> str:
    allowed = [value for value, _label in ACTOR_TYPES]
    if raw not in allowed:
        raise InvalidFilter(name, f"must be one of {', '.join(allowed)}.")
    return raw


def _parse_object_type(name: str, raw: str) -> str:
    if not OBJECT_TYPE_PATTERN.match(raw):
        raise InvalidFilter(
            name, "must be up to 100 letters, digits or . _ : - characters, e.g. withdrawal."
        )
    return raw


def _parse_bound(name: str, raw: str) -> date | datetime:
    """An ISO date (the whole day) or an ISO datetime (naive means the site's time zone)."""
    value = _iso_date_or_datetime(raw) if len(raw) <= MAX_BOUND_LENGTH else None
    if value is None:
        message = "must be an ISO date (2026-01-31) or datetime (2026-01-31T14:00:00Z)."
        if " " in raw:  # "T14:00:00 01:00": a URL's unencoded + arrives as a space
            message += " Write a time zone's + as %2B in a URL."
        raise InvalidFilter(name, message)
    if value.year not in BOUND_YEARS:
        raise InvalidFilter(name, "must be a date between 1970 and 2999.")
    if isinstance(value, datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _iso_date_or_datetime(raw: str) -> date | datetime | None:
    # The date first: parse_datetime would also read "2026-01-31" as midnight, losing "whole day".
    try:
        return parse_date(raw) or parse_datetime(raw)
    except ValueError:  # well-formed but impossible, such as 2026-02-30
        return None


def _parse_search(name: str, raw: str) -> str:
    if len(search_key(raw)) < MIN_TERM_LENGTH:
        raise InvalidFilter(
            name,
            f"must be at least {MIN_TERM_LENGTH} characters: the search matches whole ids, "
            "usernames, references and hashes, not parts of them.",
        )
    return raw


_PARSERS = {
    "action": _parse_action,
    "actor_type": _parse_actor_type,
    "object_type": _parse_object_type,
    "occurred_from": _parse_bound,
    "occurred_to": _parse_bound,
    "q": _parse_search,
}


def _as_datetime(bound: date) -> datetime:
    if isinstance(bound, datetime):
        return bound
    return timezone.make_aware(datetime(bound.year, bound.month, bound.day))


def _latest_in(bound: date) -> datetime:
    if isinstance(bound, datetime):
        return bound
    return _as_datetime(bound + timedelta(days=1)) - timedelta(microseconds=1)


# --- Admin sidebar filters: the same names and parser, applied through the same selector ---

DISTINCT_VALUES_SECONDS = 300
MAX_SIDEBAR_CHOICES = 100


def distinct_values(field: str) -> list[str]:
    """The values FIELD takes, for a sidebar; cached, as DISTINCT reads a whole index."""

    def query():
        values = AuditEvent.objects.order_by(field).values_list(field, flat=True).distinct()
        return list(values[:MAX_SIDEBAR_CHOICES])

    return cache.get_or_set(f"audit:distinct:{field}", query, DISTINCT_VALUES_SECONDS)


class _SelectorFilter(admin.SimpleListFilter):
    """One column filter whose value passes `parse_filter`; a refused value filters nothing."""

    def has_output(self) -> bool:
        # Always applied, even while the cached sidebar choices do not list the value yet: the
        # changelist must show what its export link exports.
        return True

    def queryset(self, request, queryset):
        raw = self.value()
        if not raw:
            return queryset
        try:
            value = parse_filter(self.parameter_name, raw)
        except InvalidFilter as error:
            messages.error(request, f"The filter was not applied: {error}")
            return queryset
        return filter_events(queryset, **{self.parameter_name: value})


class ActionFilter(_SelectorFilter):
    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(value, value) for value in distinct_values("action")]


class ActorTypeFilter(_SelectorFilter):
    title = "actor type"
    parameter_name = "actor_type"

    def lookups(self, request, model_admin):
        return ACTOR_TYPES


class ObjectTypeFilter(_SelectorFilter):
    title = "object type"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        return [(value, value) for value in distinct_values("object_type")]


class OccurredRangeFilter(admin.ListFilter):
    """From/to dates in the sidebar (Django has no range filter). Bad input filters nothing."""

    title = "date occurred (UTC)"
    template = "admin/audit/date_range_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        # Popping the parameters keeps the changelist from reading them as field lookups.
        for name in RANGE_PARAMETERS:
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]
        self.bounds = self._parse(request)

    def _parse(self, request) -> dict:
        try:
            bounds = parse_filters(self.used_parameters)
        except InvalidFilter as error:
            messages.error(request, f"The date filter was not applied: {error}")
            return {}
        return bounds

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return list(RANGE_PARAMETERS)

    def queryset(self, request, queryset):
        return filter_events(queryset, **self.bounds) if self.bounds else queryset

    def choices(self, changelist):
        kept = {
            name: values
            for name, values in changelist.filter_params.items()
            if name not in RANGE_PARAMETERS
        }
        yield {
            "occurred_from": self.used_parameters.get("occurred_from", ""),
            "occurred_to": self.used_parameters.get("occurred_to", ""),
            "hidden": [(name, value) for name, values in kept.items() for value in values],
            "clear_query_string": changelist.get_query_string(remove=list(RANGE_PARAMETERS)),
            "selected": bool(self.bounds),
        }
