"""Staff cancelling a boost order, and asking the panels to refill one."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import OperationalError, transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.boosts import notifications
from apps.boosts.clients.smm import SmmError
from apps.boosts.models import (
    BoostOrder,
    BoostPhase,
    OrderStatus,
    PhaseStatus,
    ProviderOrder,
    ProviderOrderStatus,
)
from apps.boosts.services import credits
from apps.boosts.services.staff.common import (
    CLOSED_ORDER_STATUSES,
    ERROR_LENGTH,
    OPEN_ORDER_STATUSES,
    REFILLABLE_STATUSES,
    BoostActionRefused,
    _act_check,
    _ask_panel,
    _by_panel,
    _error_text,
    _reason,
    _terms,
    logger,
    order_ref,
)


def cancel_refusal(order: BoostOrder, phases) -> str:
    """Why ORDER cannot be canceled now ("" when it can)."""
    if order.status in CLOSED_ORDER_STATUSES:
        return f"{order_ref(order.pk)} is already {order.get_status_display().lower()}."
    if any(phase.status == PhaseStatus.DISPATCHING for phase in phases):
        return f"A phase of {order_ref(order.pk)} is being placed right now, try again in a minute."
    return ""


@dataclass
class CancelOutcome:
    order: BoostOrder
    phases_canceled: list[int] = field(default_factory=list)
    # Provider order id -> the panel's answer to `cancel` ("accepted" or its error).
    provider_answers: dict[str, str] = field(default_factory=dict)
    credit_returned: bool = False


def cancel_order(order: BoostOrder, *, actor, reason: str, return_credit: bool) -> CancelOutcome:
    """Stop ORDER: its waiting phases are canceled, running provider orders are asked to stop.

    The panels' answers to `cancel` are best effort: each one is stored on its provider order,
    and the poller records what the panel really did (Canceled, Partial, Completed).
    """
    _act_check(actor, "cancel boost orders")
    reason = _reason(reason)
    try:
        return _cancel(order, actor=actor, reason=reason, return_credit=return_credit)
    except OperationalError as busy:
        # NOWAIT found a row locked: the dispatcher or the poller is working on this order.
        logger.info("cancel of B-%s met a locked row (%s)", order.pk, busy)
        raise BoostActionRefused(
            f"{order_ref(order.pk)} is being placed or updated right now, try again in a minute."
        ) from None


def _cancel(order: BoostOrder, *, actor, reason: str, return_credit: bool) -> CancelOutcome:
    with transaction.atomic():
        # Lock order: the order, then its phases by id, never waiting (NOWAIT): a worker that
        # holds one of them is placing or finishing a phase, and the answer is "try again".
        order = BoostOrder.objects.select_for_update(nowait=True).get(pk=order.pk)
        phases = list(
            BoostPhase.objects.select_for_update(nowait=True).filter(order=order).order_by("pk")
        )
        refusal = cancel_refusal(order, phases)
        if refusal:
            raise BoostActionRefused(refusal)
        now = timezone.now()
        stopping = [p for p in phases if p.status in (PhaseStatus.PENDING, PhaseStatus.CHECKING)]
        BoostPhase.objects.filter(
            pk__in=[p.pk for p in stopping],
            status__in=(PhaseStatus.PENDING, PhaseStatus.CHECKING),
        ).update(status=PhaseStatus.CANCELED, finished_at=now, lease_until=None)
        moved = BoostOrder.objects.filter(pk=order.pk, status__in=OPEN_ORDER_STATUSES).update(
            status=OrderStatus.CANCELED, finished_at=now
        )
        if moved != 1:  # the lock makes this impossible; a clean refusal if it ever happens
            raise BoostActionRefused(f"{order_ref(order.pk)} changed meanwhile; reload the page.")
        running = list(
            ProviderOrder.objects.filter(
                phase__order=order,
                status__in=(ProviderOrderStatus.PENDING, ProviderOrderStatus.IN_PROGRESS),
            )
            .exclude(provider_order_id="")
            .order_by("pk")
        )
        record_event(
            actor=actor,
            action="boost.canceled",
            object_type="boosts.order",
            object_id=order.pk,
            before={"status": order.status},
            after={
                "status": OrderStatus.CANCELED,
                "phases_canceled": [p.number for p in stopping],
                "provider_orders_to_cancel": [po.provider_order_id for po in running],
                "return_credit": return_credit,
            },
            reason=reason,
            search_terms=_terms(order),
        )
        if return_credit:
            credits.return_credit(order, actor=actor, reason=reason)
        notifications.order_canceled(order, credit_returned=return_credit)
    outcome = CancelOutcome(
        order=BoostOrder.objects.get(pk=order.pk),
        phases_canceled=[p.number for p in stopping],
    )
    outcome.credit_returned = outcome.order.credit_returned
    outcome.provider_answers = _cancel_at_panels(order, running, actor=actor, reason=reason)
    return outcome


def _cancel_at_panels(order, provider_orders, *, actor, reason) -> dict[str, str]:
    """Ask each panel to cancel its running orders; store each answer. No transaction open."""
    answers: dict[int, str] = {}
    for panel, group in _by_panel(provider_orders).items():
        ids = [po.provider_order_id for po in group]
        replies, failure = _ask_panel(panel, "cancel", ids)
        for po in group:
            reply = replies.get(po.provider_order_id, failure or "no answer for this order")
            answers[po.pk] = "accepted" if reply is True else _error_text(reply or "refused")
    if not answers:
        return {}
    by_pk = {po.pk: po for po in provider_orders}
    with transaction.atomic():
        for pk, answer in answers.items():
            ProviderOrder.objects.filter(pk=pk).update(
                error=f"Cancel requested by staff: {answer}"[:ERROR_LENGTH]
            )
        record_event(
            actor=actor,
            action="boost.cancel_sent",
            object_type="boosts.order",
            object_id=order.pk,
            after={by_pk[pk].provider_order_id: answer for pk, answer in answers.items()},
            reason=reason,
            search_terms=_terms(order),
        )
    return {by_pk[pk].provider_order_id: answer for pk, answer in answers.items()}


def refillable(order: BoostOrder):
    """ORDER's delivered provider orders a panel can refill (they have the panel's id)."""
    return (
        ProviderOrder.objects.filter(phase__order=order, status__in=REFILLABLE_STATUSES)
        .exclude(provider_order_id="")
        .order_by("pk")
    )


def refill_order(order: BoostOrder, *, actor, reason: str) -> dict[str, str]:
    """Ask the panels to refill ORDER's delivered orders; returns order id -> refill id or error.

    Each refill id (or the panel's error) is stored on its provider order.
    """
    _act_check(actor, "refill boost orders")
    reason = _reason(reason)
    order = BoostOrder.objects.select_related("user").get(pk=order.pk)
    candidates = list(refillable(order))
    if not candidates:
        raise BoostActionRefused(
            f"{order_ref(order.pk)} has no completed or partial provider order to refill."
        )
    results: dict[int, tuple[str, str]] = {}  # pk -> (refill id, error)
    for panel, group in _by_panel(candidates).items():
        ids = [po.provider_order_id for po in group]
        replies, failure = _ask_panel(panel, "refill", ids)
        for po in group:
            reply = replies.get(po.provider_order_id)
            if failure or reply is None:
                problem = failure or "no answer for this order"
                results[po.pk] = ("", f"Refill not asked: {problem}"[:ERROR_LENGTH])
            elif isinstance(reply, SmmError):
                results[po.pk] = ("", f"Refill refused: {_error_text(reply)}"[:ERROR_LENGTH])
            else:
                results[po.pk] = (str(reply), "")
    by_pk = {po.pk: po for po in candidates}
    with transaction.atomic():
        for pk, (refill_id, error) in results.items():
            if refill_id:
                ProviderOrder.objects.filter(pk=pk).update(refill_id=refill_id[:64])
            else:
                ProviderOrder.objects.filter(pk=pk).update(error=error)
        summary = {
            by_pk[pk].provider_order_id: refill_id or error
            for pk, (refill_id, error) in results.items()
        }
        record_event(
            actor=actor,
            action="boost.refill_requested",
            object_type="boosts.order",
            object_id=order.pk,
            before={by_pk[pk].provider_order_id: by_pk[pk].refill_id or "" for pk in results},
            after=summary,
            reason=reason,
            search_terms=_terms(order),
        )
    return summary
