"""Failure injection: make the fake Bot API answer the next calls of a method with an error.

Tests call `inject_failure("sendMessage", "http_429", retry_after=7)`; staff add rows in the
admin. Failures are consumed oldest first, one per call, by every process that serves the fake.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q

from apps.sandbox.models import InjectedFailure

Kind = InjectedFailure.Kind


def inject_failure(
    method: str,
    kind: str,
    *,
    times: int = 1,
    retry_after: int | None = None,
    delay: float | None = None,
) -> InjectedFailure:
    """Answer the next `times` calls of `method` ("*" for any) with `kind`.

    kind is one of http_429 (needs retry_after), http_500, http_502, http_403_blocked,
    delay_seconds (needs delay; the call is then answered normally) and malformed_json.
    """
    if kind not in Kind.values:
        raise ValueError(f"Unknown failure kind {kind!r}; one of {', '.join(Kind.values)}.")
    if times < 1:
        raise ValueError("times must be at least 1.")
    failure = InjectedFailure(
        method=method.strip(),
        kind=kind,
        remaining=times,
        retry_after=retry_after,
        delay_seconds=delay,
    )
    try:
        failure.full_clean()
    except Exception as error:
        raise ValueError(str(error)) from None
    failure.save()
    return failure


def consume_failure(method: str) -> InjectedFailure | None:
    """Take one use of the oldest failure that matches `method`, or None.

    Compare-and-swap on `remaining`, so two processes never both consume the last use.
    """
    matching = InjectedFailure.objects.filter(
        Q(method__iexact=method) | Q(method=InjectedFailure.ANY_METHOD), remaining__gt=0
    ).order_by("id")
    for _attempt in range(5):
        failure = matching.first()
        if failure is None:
            return None
        with transaction.atomic():
            taken = InjectedFailure.objects.filter(
                pk=failure.pk, remaining=failure.remaining
            ).update(remaining=F("remaining") - 1)
        if taken == 1:
            failure.remaining -= 1
            return failure
    return None


def clear_failures() -> None:
    InjectedFailure.objects.all().delete()
