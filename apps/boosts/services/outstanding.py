"""What a phase still needs placed: its targets minus what its provider orders cover."""

from __future__ import annotations

from django.conf import settings

from apps.boosts.models import ProviderOrderStatus, ServiceKind

SHORTFALL_STATUSES = (ProviderOrderStatus.PARTIAL, ProviderOrderStatus.CANCELED)


def outstanding(phase, orders) -> dict[str, int]:
    """{kind: quantity} still to order for PHASE given its ORDERS (kinds with nothing left out).

    A Partial or provider-canceled order leaves a shortfall, ordered again once when
    BOOST_REORDER_REMAINDER is on; after that re-order the shortfall is accepted.
    """
    needs = {}
    for kind in ServiceKind.values:
        mine = [order for order in orders if order.kind == kind]
        if _shortfall_settled(mine):
            continue
        missing = phase.target(kind) - sum(order.delivered() for order in mine)
        if missing > 0:
            needs[kind] = missing
    return needs


def is_remainder(orders, kind: str) -> bool:
    """Whether a new order of KIND re-orders a shortfall (rather than placing it first time)."""
    return any(o.kind == kind and o.status in SHORTFALL_STATUSES for o in orders)


def _shortfall_settled(orders) -> bool:
    short = any(order.status in SHORTFALL_STATUSES for order in orders)
    if not short:
        return False
    reordered = any(order.is_remainder for order in orders)
    return reordered or not settings.BOOST_REORDER_REMAINDER
