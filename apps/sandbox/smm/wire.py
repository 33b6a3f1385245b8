"""The fake panels' answers as panels write them: amounts and counts as strings (§3 examples)."""

from __future__ import annotations

from decimal import Decimal

from apps.sandbox.smm.models import SmmPanelService
from apps.sandbox.smm.services import PANEL_CENT, OrderState

RATE_CENT = Decimal("0.01")


def amount(value: Decimal) -> str:
    """A balance or charge with the panel's five decimals: "50.00000", "0.00050"."""
    return format(value.quantize(PANEL_CENT), "f")


def rate(value: Decimal) -> str:
    """A rate per 1000 with at least two decimals: "0.05", "1.00", "0.0125"."""
    trimmed = value.normalize()
    if trimmed.as_tuple().exponent > -2:
        trimmed = value.quantize(RATE_CENT)
    return format(trimmed, "f")


def order_status(state: OrderState, currency: str) -> dict:
    return {
        "charge": amount(state.charge),
        "start_count": str(state.start_count),
        "status": str(state.status),
        "remains": str(state.remains),
        "currency": currency,
    }


def service(row: SmmPanelService) -> dict:
    return {
        "service": row.service_id,
        "name": row.name,
        "type": row.type,
        "category": row.category,
        "rate": rate(row.rate),
        "min": str(row.min_quantity),
        "max": str(row.max_quantity),
        "refill": row.refill,
        "cancel": row.cancel,
    }


def echoed_id(wire_id: str) -> int | str:
    """An id in a multi answer's list: a number, as panels write it, when it is one."""
    return int(wire_id) if wire_id.isdigit() else wire_id
