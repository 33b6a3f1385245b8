"""Following placed provider orders to Completed / Partial / Canceled (the beat's part).

One `status` call per 100 orders of a panel. A phase whose orders are all final is delivered,
unless a shortfall is to be re-ordered once: then it goes back to pending and the dispatcher
places the remainder.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.boosts.clients.smm import SmmError, build_smm_client
from apps.boosts.models import (
    BoostPhase,
    OrderStatus,
    PhaseStatus,
    ProviderOrder,
    ProviderOrderStatus,
)
from apps.boosts.models.orders import ACTIVE_ORDER_STATUSES
from apps.boosts.services import outcomes
from apps.boosts.services.outstanding import outstanding
from apps.common.db.connections import release_connection

logger = logging.getLogger(__name__)
POLL_CHUNK = 100
STATUS_MAP = {
    "Pending": ProviderOrderStatus.PENDING,
    "Processing": ProviderOrderStatus.IN_PROGRESS,
    "In progress": ProviderOrderStatus.IN_PROGRESS,
    "Completed": ProviderOrderStatus.COMPLETED,
    "Partial": ProviderOrderStatus.PARTIAL,
    "Canceled": ProviderOrderStatus.CANCELED,
}
FINAL = (ProviderOrderStatus.COMPLETED, ProviderOrderStatus.PARTIAL, ProviderOrderStatus.CANCELED)


def poll_provider_orders() -> int:
    """Ask each panel about its open orders; returns how many orders changed status."""
    changed = 0
    for panel, orders in _open_orders_by_panel().items():
        changed += _poll_panel(panel, orders)
    return changed


def _open_orders_by_panel() -> dict[tuple, list[ProviderOrder]]:
    panels = defaultdict(list)
    open_orders = ProviderOrder.objects.filter(status__in=ACTIVE_ORDER_STATUSES).exclude(
        provider_order_id=""
    )
    for order in open_orders.order_by("id"):
        panels[(order.provider_name, order.api_url, order.api_key_env)].append(order)
    return panels


def _poll_panel(panel: tuple, orders: list[ProviderOrder]) -> int:
    name, api_url, api_key_env = panel
    changed = 0
    release_connection()
    try:
        with build_smm_client(name=name, api_url=api_url, api_key_env=api_key_env) as client:
            for start in range(0, len(orders), POLL_CHUNK):
                chunk = orders[start : start + POLL_CHUNK]
                answers = client.status([o.provider_order_id for o in chunk])
                changed += sum(
                    _apply(order, answers.get(order.provider_order_id)) for order in chunk
                )
    except SmmError as error:
        logger.warning("status poll of %s failed: %s", name, error)
    return changed


def _apply(order: ProviderOrder, answer) -> bool:
    now = timezone.now()
    if answer is None or answer.error:
        ProviderOrder.objects.filter(pk=order.pk).update(checked_at=now)
        return False
    status = STATUS_MAP.get(answer.status, order.status)
    fields = {"status": status, "checked_at": now, "remains": answer.remains}
    if answer.charge is not None:
        fields["charge"] = answer.charge
    if status in FINAL:
        fields["finished_at"] = now
    ProviderOrder.objects.filter(pk=order.pk).update(**fields)
    if status in FINAL:
        _settle_phase(order.phase_id)
    return status != order.status


def _settle_phase(phase_id: int) -> None:
    """When every order of the phase is final: re-order a shortfall once, or finish it."""
    phase = BoostPhase.objects.select_related("order").get(pk=phase_id)
    orders = list(phase.orders.all())
    if phase.status != PhaseStatus.PLACED or any(
        o.status not in FINAL and o.status != ProviderOrderStatus.NOT_PLACED for o in orders
    ):
        return
    # A shortfall of an order staff canceled (or that failed) is not ordered again.
    live = phase.order.status in (OrderStatus.SCHEDULED, OrderStatus.RUNNING)
    if live and outstanding(phase, orders):
        _reorder_remainder(phase)
    else:
        outcomes.finish_phase_if_done(phase)


def _reorder_remainder(phase: BoostPhase) -> None:
    with transaction.atomic():
        updated = BoostPhase.objects.filter(pk=phase.pk, status=PhaseStatus.PLACED).update(
            status=PhaseStatus.PENDING, next_attempt_at=timezone.now()
        )
        if updated:
            record_event(
                actor=outcomes.POLLER,
                action="boost.remainder_ordered",
                object_type="boosts.phase",
                object_id=phase.pk,
                after={"order": phase.order_id, "number": phase.number},
                search_terms=[f"B-{phase.order_id}"],
            )
