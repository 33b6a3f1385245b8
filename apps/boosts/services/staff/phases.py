"""Staff retrying a waiting phase, and resolving an order whose outcome is unknown."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.boosts.models import (
    BoostOrder,
    BoostPhase,
    OrderStatus,
    PhaseStatus,
    ProviderOrder,
    ProviderOrderStatus,
)
from apps.boosts.services.staff.common import (
    CLOSED_ORDER_STATUSES,
    OPEN_ORDER_STATUSES,
    BoostActionRefused,
    _act_check,
    _reason,
    _terms,
    order_ref,
)


def order_retry_refusal(order: BoostOrder) -> str:
    """Why no phase of ORDER can be retried ("" when its phases may be)."""
    if order.status == OrderStatus.FAILED:
        if order.credit_returned:
            return (
                f"{order_ref(order.pk)} failed and the credit was returned; the user can submit "
                "the link again."
            )
        return f"{order_ref(order.pk)} failed; it is not retried."
    if order.status in CLOSED_ORDER_STATUSES:
        return f"{order_ref(order.pk)} is {order.get_status_display().lower()}; nothing to retry."
    return ""


def retry_refusal(phase: BoostPhase) -> str:
    """Why PHASE cannot be retried now ("" when it can); the admin shows it before asking."""
    refusal = order_retry_refusal(phase.order)
    if refusal:
        return refusal
    if phase.status != PhaseStatus.PENDING:
        return (
            f"Phase {phase.number} is {phase.get_status_display().lower()}; only a phase waiting "
            "after errors can be retried."
        )
    if not (phase.attempts or phase.last_error or phase.failed_providers):
        due = timezone.localtime(phase.next_attempt_at).strftime("%Y-%m-%d %H:%M")
        return f"Phase {phase.number} has not been tried yet; it goes out at its time ({due})."
    return ""


def retry_phase(phase: BoostPhase, *, actor, reason: str) -> BoostPhase:
    """Try a phase waiting after errors again now, on every provider (e.g. after a top-up)."""
    _act_check(actor, "retry boost phases")
    reason = _reason(reason)
    with transaction.atomic():
        phase = BoostPhase.objects.select_related("order__user").get(pk=phase.pk)
        refusal = retry_refusal(phase)
        if refusal:
            raise BoostActionRefused(refusal)
        now = timezone.now()
        moved = BoostPhase.objects.filter(
            pk=phase.pk, status=PhaseStatus.PENDING, order__status__in=OPEN_ORDER_STATUSES
        ).update(next_attempt_at=now, failed_providers=[])
        if moved != 1:
            raise BoostActionRefused(
                f"Phase {phase.number} changed meanwhile; reload the page and look again."
            )
        record_event(
            actor=actor,
            action="boost.phase_retried",
            object_type="boosts.phase",
            object_id=phase.pk,
            before={
                "order": order_ref(phase.order_id),
                "phase": phase.number,
                "next_attempt_at": phase.next_attempt_at,
                "failed_providers": phase.failed_providers,
            },
            after={"next_attempt_at": now, "failed_providers": []},
            reason=reason,
            search_terms=_terms(phase.order),
        )
    phase.refresh_from_db()
    return phase


@dataclass
class Resolution:
    provider_order: ProviderOrder
    phase_reopened: bool


def resolve_unknown(
    provider_order: ProviderOrder, *, actor, reason: str, provider_order_id: str = ""
) -> Resolution:
    """Staff looked at the panel: the order exists there (its id) or was never placed.

    With an id the order is followed by polling like any other; without, it counts as not
    placed. Once its phase has no unknown order left, the phase goes back to the dispatcher,
    which places whatever is still missing.
    """
    _act_check(actor, "resolve boost orders of unknown outcome")
    reason = _reason(reason)
    provider_order_id = (provider_order_id or "").strip()
    if len(provider_order_id) > 64:
        raise BoostActionRefused("A provider order id has at most 64 characters.")
    with transaction.atomic():
        # Lock order: the phase, then its provider order.
        phase = (
            BoostPhase.objects.select_for_update(of=("self",))
            .select_related("order__user")
            .get(pk=provider_order.phase_id)
        )
        current = ProviderOrder.objects.select_for_update().get(pk=provider_order.pk)
        if current.status != ProviderOrderStatus.UNKNOWN:
            raise BoostActionRefused(
                f"{current.provider_name} order {current.pk} is "
                f"{current.get_status_display().lower()}, not unknown; nothing to resolve."
            )
        if provider_order_id:
            taken = (
                ProviderOrder.objects.filter(
                    provider_name=current.provider_name, provider_order_id=provider_order_id
                )
                .exclude(pk=current.pk)
                .select_related("phase")
                .first()
            )
            if taken is not None:
                raise BoostActionRefused(
                    f"{current.provider_name} order #{provider_order_id} is already recorded "
                    f"for {order_ref(taken.phase.order_id)} phase {taken.phase.number}."
                )
            changes = {
                "status": ProviderOrderStatus.PENDING,
                "provider_order_id": provider_order_id,
                "placed_at": current.placed_at or current.created_at,
            }
        else:
            changes = {"status": ProviderOrderStatus.NOT_PLACED, "finished_at": timezone.now()}
        moved = ProviderOrder.objects.filter(
            pk=current.pk, status=ProviderOrderStatus.UNKNOWN
        ).update(**changes)
        if moved != 1:
            raise BoostActionRefused("The order changed meanwhile; reload the page.")
        reopened = False
        still_unknown = phase.orders.filter(status=ProviderOrderStatus.UNKNOWN).exists()
        if not still_unknown and phase.order.status in OPEN_ORDER_STATUSES:
            reopened = bool(
                BoostPhase.objects.filter(pk=phase.pk, status=PhaseStatus.CHECKING).update(
                    status=PhaseStatus.PENDING, next_attempt_at=timezone.now(), lease_until=None
                )
            )
        record_event(
            actor=actor,
            action="boost.provider_order_resolved",
            object_type="boosts.provider_order",
            object_id=current.pk,
            before={
                "order": order_ref(phase.order_id),
                "phase": phase.number,
                "provider": current.provider_name,
                "status": current.status,
                "provider_order_id": current.provider_order_id,
            },
            after={
                "status": changes["status"],
                "provider_order_id": provider_order_id,
                "phase_back_to_dispatcher": reopened,
            },
            reason=reason,
            search_terms=[
                *_terms(phase.order),
                *([provider_order_id] if provider_order_id else []),
            ],
        )
    current.refresh_from_db()
    return Resolution(provider_order=current, phase_reopened=reopened)
