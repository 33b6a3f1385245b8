"""Claiming due phases: the beat's part. Placing them is placing.py, in the workers.

A claim sets the phase to DISPATCHING with a lease. Workers that die leave the lease to expire;
the next run claims the phase again, and placing.py then sees any order row the dead worker left
in SENDING and treats it as an unknown outcome rather than sending it twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.boosts.models import BoostPhase, OrderStatus, PhaseStatus

# Phases of an order that ended (failed, canceled) are never claimed, whatever their status.
LIVE_ORDERS = (OrderStatus.SCHEDULED, OrderStatus.RUNNING)


def claim_due_phases(*, limit: int | None = None) -> list[tuple[int, str]]:
    """Claim up to LIMIT due phases; returns (phase id, lease) pairs for the workers.

    skip_locked lets several beats or manual runs claim side by side without waiting on each
    other or taking the same phase twice.
    """
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.BOOST_LEASE_SECONDS)
    due = Q(status=PhaseStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=PhaseStatus.DISPATCHING, lease_until__lt=now
    )
    with transaction.atomic():
        ids = list(
            BoostPhase.objects.select_for_update(skip_locked=True)
            .filter(due, order__status__in=LIVE_ORDERS)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[: limit or settings.BOOST_DISPATCH_BATCH]
        )
        # Each claim is an attempt (the backoff after errors grows with it).
        BoostPhase.objects.filter(pk__in=ids).update(
            status=PhaseStatus.DISPATCHING, lease_until=lease_until, attempts=F("attempts") + 1
        )
    lease = lease_until.isoformat()
    return [(pk, lease) for pk in ids]
