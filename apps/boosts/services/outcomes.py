"""Where a phase (and its order) goes after an attempt: placed, waiting, checking, failed, done.

Each function runs in its own transaction with the phase row locked, and writes its audit event
in that transaction. The system actor is the job that acted.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.services import record_event
from apps.boosts import notifications
from apps.boosts.models import (
    BoostOrder,
    BoostPhase,
    OrderStatus,
    PhaseStatus,
    ProviderOrder,
    ServiceKind,
)

logger = logging.getLogger(__name__)
DISPATCHER = Actor.system("boost-dispatcher")
POLLER = Actor.system("boost-status-poller")
# Backoff after a transient error: 15 s, 30 s, 60 s … at most 10 minutes.
BACKOFF_FIRST_SECONDS = 15
BACKOFF_MAX_SECONDS = 600
# When every provider is out of funds or open, look again after this long.
NO_PROVIDER_WAIT_SECONDS = 60
ERROR_CHARS = 255


def _phase_audit(phase, action: str, actor=DISPATCHER, **after) -> None:
    record_event(
        actor=actor,
        action=action,
        object_type="boosts.phase",
        object_id=phase.pk,
        after={"order": phase.order_id, "number": phase.number, **after},
        search_terms=[f"B-{phase.order_id}"],
    )


def mark_placed(phase: BoostPhase, orders) -> None:
    """Every quantity of PHASE is with a provider; the order is running."""
    now = timezone.now()
    with transaction.atomic():
        updated = _dispatching(phase).update(
            status=PhaseStatus.PLACED,
            placed_at=now,
            lease_until=None,
            last_error="",
            failed_providers=phase.failed_providers,
        )
        if not updated:
            return  # canceled meanwhile (staff, or another phase failed the order)
        BoostOrder.objects.filter(pk=phase.order_id, status=OrderStatus.SCHEDULED).update(
            status=OrderStatus.RUNNING
        )
        _phase_audit(
            phase,
            "boost.phase_placed",
            placed=[
                f"{o.provider_name}#{o.provider_order_id} {o.quantity} {o.kind}" for o in orders
            ],
        )


def wait_and_retry(phase: BoostPhase, *, seconds: float, error: str) -> None:
    """Back to pending, tried again in SECONDS; past the give-up time the phase fails instead."""
    now = timezone.now()
    give_up_at = phase.due_at + timedelta(hours=float(settings.BOOST_GIVE_UP_HOURS))
    if now + timedelta(seconds=seconds) > give_up_at:
        fail_phase(phase, error=f"gave up after {settings.BOOST_GIVE_UP_HOURS} h: {error}")
        return
    _dispatching(phase).update(
        status=PhaseStatus.PENDING,
        next_attempt_at=now + timedelta(seconds=seconds),
        lease_until=None,
        last_error=error[:ERROR_CHARS],
        failed_providers=phase.failed_providers,
    )


def _dispatching(phase: BoostPhase):
    """PHASE, if it is still being dispatched: staff may have canceled it meanwhile."""
    return BoostPhase.objects.filter(pk=phase.pk, status=PhaseStatus.DISPATCHING)


def backoff_seconds(attempts: int) -> float:
    return min(BACKOFF_FIRST_SECONDS * 2 ** max(0, attempts - 1), BACKOFF_MAX_SECONDS)


def mark_checking(phase: BoostPhase, *, provider_name: str, error: str) -> None:
    """An add may or may not have gone through: never re-sent; staff check the panel."""
    with transaction.atomic():
        if not _dispatching(phase).update(
            status=PhaseStatus.CHECKING,
            lease_until=None,
            last_error=error[:ERROR_CHARS],
            failed_providers=phase.failed_providers,
        ):
            return
        _phase_audit(phase, "boost.phase_unknown", provider=provider_name, error=error)
        notifications.phase_needs_checking(phase, provider_name)


def fail_phase(phase: BoostPhase, *, error: str) -> None:
    """No provider can take PHASE: the order fails, its credit goes back, user and staff told."""
    from apps.boosts.services.credits import return_credit

    now = timezone.now()
    with transaction.atomic():
        order = BoostOrder.objects.select_for_update().get(pk=phase.order_id)
        _dispatching(phase).update(
            status=PhaseStatus.FAILED,
            finished_at=now,
            lease_until=None,
            last_error=error[:ERROR_CHARS],
            failed_providers=phase.failed_providers,
        )
        # Phases other workers hold stop at their next step: they find the phase canceled.
        order.phases.filter(status__in=(PhaseStatus.PENDING, PhaseStatus.DISPATCHING)).exclude(
            pk=phase.pk
        ).update(status=PhaseStatus.CANCELED, finished_at=now, lease_until=None)
        if order.status in (OrderStatus.COMPLETED, OrderStatus.FAILED, OrderStatus.CANCELED):
            return
        order.status = OrderStatus.FAILED
        order.last_error = error[:ERROR_CHARS]
        order.finished_at = now
        order.save(update_fields=["status", "last_error", "finished_at"])
        _phase_audit(phase, "boost.phase_failed", error=error)
        record_event(
            actor=DISPATCHER,
            action="boost.failed",
            object_type="boosts.order",
            object_id=order.pk,
            before={"status": "running"},
            after={"status": order.status, "error": order.last_error},
            search_terms=[order.user.telegram_id, f"B-{order.pk}"],
        )
        return_credit(order, actor=DISPATCHER, reason="the boost failed on every provider")
        notifications.order_failed(order)
    logger.warning("boost B-%s failed: %s", order.pk, error)


def finish_phase_if_done(phase: BoostPhase) -> None:
    """All of PHASE's provider orders are final and nothing is left to re-order: delivered."""
    now = timezone.now()
    with transaction.atomic():
        updated = BoostPhase.objects.filter(pk=phase.pk, status=PhaseStatus.PLACED).update(
            status=PhaseStatus.COMPLETED, finished_at=now
        )
        if updated:
            _phase_audit(phase, "boost.phase_completed", actor=POLLER)
            _finish_order_if_done(phase.order_id, now)


def _finish_order_if_done(order_id: int, now) -> None:
    order = BoostOrder.objects.select_for_update().get(pk=order_id)
    if order.status not in (OrderStatus.SCHEDULED, OrderStatus.RUNNING):
        return
    open_phases = order.phases.exclude(status__in=(PhaseStatus.COMPLETED, PhaseStatus.CANCELED))
    if open_phases.exists():
        return
    before = order.status
    order.status = OrderStatus.COMPLETED
    order.finished_at = now
    order.save(update_fields=["status", "finished_at"])
    delivered = _delivered(order)
    record_event(
        actor=POLLER,
        action="boost.completed",
        object_type="boosts.order",
        object_id=order.pk,
        before={"status": before},
        after={"status": order.status, "delivered": delivered},
        search_terms=[order.user.telegram_id, f"B-{order.pk}"],
    )
    notifications.order_completed(order, delivered)


def _delivered(order: BoostOrder) -> dict[str, int]:
    """What the panels report delivered for ORDER, per kind (views, likes)."""
    totals = dict.fromkeys(ServiceKind.values, 0)
    for provider_order in ProviderOrder.objects.filter(phase__order=order):
        totals[provider_order.kind] += provider_order.delivered()
    return totals
