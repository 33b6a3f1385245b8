"""Every write of the fake SMM panels, for their endpoint, the admin, tests and the seed.

Orders run on the clock, not on a worker: an order is Pending for the panel's seconds_to_start,
In progress until seconds_to_complete, then Completed -- or Partial when the panel's
partial_percent is above 0. order_state() computes that when read; settle_order() writes the end
once (compare-and-swap on final_status), refunding a Partial remainder to the balance exactly
once. Tests move an order's clock with age_order() instead of sleeping.

Balances move by F() expressions, so concurrent requests never lose an update; the only read-
then-write (is the balance enough for this add?) holds the panel row lock for that moment only.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.sandbox.smm import catalogue
from apps.sandbox.smm.models import SmmPanel, SmmPanelOrder, SmmPanelRefill, SmmPanelService

Final = SmmPanelOrder.FinalStatus
PANEL_CENT = Decimal("0.00001")
PENDING, IN_PROGRESS = "Pending", "In progress"
# The panel texts of external-apis.md §3.
INVALID_KEY = "Invalid API key"
INCORRECT_REQUEST = "Incorrect request"
INCORRECT_SERVICE = "Incorrect service ID"
INCORRECT_ORDER = "Incorrect order ID"
NOT_ENOUGH_FUNDS = "Not enough funds on balance"
NOT_REFILLABLE = "Order not eligible for refill."
NOT_CANCELABLE = "Order not eligible for cancel."
REFILL_NOT_FOUND = "Refill not found"


class PanelRefusal(ValueError):
    """The panel answers {"error": <this text>}; nothing was changed."""


@dataclass(frozen=True)
class OrderState:
    """An order as `action=status` reports it now."""

    status: str
    remains: int
    charge: Decimal
    start_count: int


# --- panels ----------------------------------------------------------------------------------


def ensure_panel(name: str, **fields) -> SmmPanel:
    """Panel NAME with its catalogue's services (created if missing), FIELDS applied."""
    with transaction.atomic():
        panel, created = SmmPanel.objects.get_or_create(
            name=name,
            defaults={
                "api_key": settings.SANDBOX_SMM_API_KEY,
                "balance": catalogue.START_BALANCE,
                "currency": catalogue.CURRENCY,
            },
        )
        if created:
            rows = catalogue.service_rows(name)
            SmmPanelService.objects.bulk_create(SmmPanelService(panel=panel, **r) for r in rows)
        if fields:
            for field, value in fields.items():
                setattr(panel, field, value)
            panel.full_clean()
            panel.save()
    return panel


# --- orders ----------------------------------------------------------------------------------


def charge_for(rate: Decimal, quantity: int) -> Decimal:
    return (rate * quantity / 1000).quantize(PANEL_CENT, ROUND_HALF_EVEN)


def place_order(
    panel: SmmPanel,
    *,
    service_id: int | None,
    link: str,
    quantity: int | None,
    now: datetime | None = None,
) -> SmmPanelOrder:
    """Charge the panel's balance and store the order, or raise PanelRefusal with its text."""
    service = panel.services.filter(service_id=service_id).first() if service_id else None
    if service is None:
        raise PanelRefusal(INCORRECT_SERVICE)
    if quantity is None:
        raise PanelRefusal(INCORRECT_REQUEST)
    if quantity < service.min_quantity:
        raise PanelRefusal(f"Quantity less than minimal {service.min_quantity}")
    if quantity > service.max_quantity:
        raise PanelRefusal(f"Quantity more than maximal {service.max_quantity}")
    if not link:
        raise PanelRefusal(INCORRECT_REQUEST)
    charge = charge_for(service.rate, quantity)
    with transaction.atomic():
        order = SmmPanelOrder.objects.create(
            panel=panel,
            service_id=service.service_id,
            link=link,
            quantity=quantity,
            charge=charge,
            start_count=zlib.crc32(link.encode()) % 5000,
            created_at=now or timezone.now(),
        )
        # The debit last: the panel row stays locked only until the commit right after it.
        _debit(panel, charge)  # refusing rolls the order back too
        return order


def _debit(panel: SmmPanel, amount: Decimal) -> None:
    """Take AMOUNT from the balance in one conditional UPDATE, never going below zero."""
    debited = SmmPanel.objects.filter(pk=panel.pk, balance__gte=amount).update(
        balance=F("balance") - amount
    )
    if not debited:
        raise PanelRefusal(NOT_ENOUGH_FUNDS)


def _credit(panel_id: int, amount: Decimal) -> None:
    if amount:
        SmmPanel.objects.filter(pk=panel_id).update(balance=F("balance") + amount)


def _age(created_at: datetime, now: datetime | None) -> float:
    return ((now or timezone.now()) - created_at).total_seconds()


def _outcome(order: SmmPanelOrder) -> tuple[str, int, Decimal]:
    """How a finished order ends: (status, remains, refund)."""
    remains = order.quantity * order.panel.partial_percent // 100
    if remains <= 0:
        return Final.COMPLETED, 0, Decimal(0)
    refund = (order.charge * remains / order.quantity).quantize(PANEL_CENT, ROUND_HALF_EVEN)
    return Final.PARTIAL, remains, refund


def order_state(order: SmmPanelOrder, *, now: datetime | None = None) -> OrderState:
    """The order's status now, computed from its age; writes nothing (see settle_order)."""
    if order.final_status:
        return OrderState(
            order.final_status, order.remains or 0, order.charge - order.refunded, order.start_count
        )
    panel, age = order.panel, _age(order.created_at, now)
    if age < panel.seconds_to_start:
        return OrderState(PENDING, order.quantity, order.charge, 0)
    if age < panel.seconds_to_complete:
        running = (age - panel.seconds_to_start) / (
            panel.seconds_to_complete - panel.seconds_to_start
        )
        delivered = int(order.quantity * running)
        return OrderState(IN_PROGRESS, order.quantity - delivered, order.charge, order.start_count)
    status, remains, refund = _outcome(order)
    return OrderState(status, remains, order.charge - refund, order.start_count)


def settle_order(order: SmmPanelOrder, *, now: datetime | None = None) -> SmmPanelOrder:
    """Write the end of an order whose time is up (once: its refund must not repeat)."""
    if order.final_status or _age(order.created_at, now) < order.panel.seconds_to_complete:
        return order
    status, remains, refund = _outcome(order)
    with transaction.atomic():
        settled = SmmPanelOrder.objects.filter(pk=order.pk, final_status=Final.RUNNING).update(
            final_status=status, remains=remains, refunded=refund, finished_at=now or timezone.now()
        )
        if settled:
            _credit(order.panel_id, refund)
    order.refresh_from_db(fields=["final_status", "remains", "refunded", "finished_at"])
    return order


def cancel_order(order: SmmPanelOrder, *, now: datetime | None = None) -> SmmPanelOrder:
    """Cancel a Pending order and refund its charge; PanelRefusal for any other."""
    service = SmmPanelService.objects.filter(
        panel_id=order.panel_id, service_id=order.service_id
    ).first()
    state = order_state(order, now=now)
    if state.status != PENDING or service is None or not service.cancel:
        raise PanelRefusal(NOT_CANCELABLE)
    with transaction.atomic():
        canceled = SmmPanelOrder.objects.filter(pk=order.pk, final_status=Final.RUNNING).update(
            final_status=Final.CANCELED,
            start_count=0,  # it never started
            remains=order.quantity,
            refunded=order.charge,
            finished_at=now or timezone.now(),
        )
        if not canceled:
            raise PanelRefusal(NOT_CANCELABLE)
        _credit(order.panel_id, order.charge)
    order.refresh_from_db(
        fields=["final_status", "start_count", "remains", "refunded", "finished_at"]
    )
    return order


def request_refill(order: SmmPanelOrder, *, now: datetime | None = None) -> SmmPanelRefill:
    """A refill of a finished (Completed or Partial) order of a refillable service."""
    order = settle_order(order, now=now)
    refillable = SmmPanelService.objects.filter(
        panel_id=order.panel_id, service_id=order.service_id, refill=True
    ).exists()
    if order.final_status not in (Final.COMPLETED, Final.PARTIAL) or not refillable:
        raise PanelRefusal(NOT_REFILLABLE)
    return SmmPanelRefill.objects.create(order=order, created_at=now or timezone.now())


def refill_state(refill: SmmPanelRefill, *, now: datetime | None = None) -> str:
    panel, age = refill.order.panel, _age(refill.created_at, now)
    if age < panel.seconds_to_start:
        return PENDING
    return IN_PROGRESS if age < panel.seconds_to_complete else Final.COMPLETED.value


# --- finding and moving the clock ------------------------------------------------------------


def _pk_of(wire_id: str, base: int) -> int | None:
    wire_id = wire_id.strip()
    if not wire_id.isdigit() or int(wire_id) <= base:
        return None
    return int(wire_id) - base


def find_orders(panel: SmmPanel, wire_ids: list[str]) -> dict[str, SmmPanelOrder]:
    """The panel's orders among WIRE_IDS, keyed by the id as given (unknown ones left out)."""
    pks = {wire_id: _pk_of(wire_id, SmmPanelOrder.ID_BASE) for wire_id in wire_ids}
    found = SmmPanelOrder.objects.select_related("panel").filter(
        panel=panel, pk__in=[pk for pk in pks.values() if pk]
    )
    by_pk = {order.pk: order for order in found}
    return {wire_id: by_pk[pk] for wire_id, pk in pks.items() if pk in by_pk}


def find_refills(panel: SmmPanel, wire_ids: list[str]) -> dict[str, SmmPanelRefill]:
    pks = {wire_id: _pk_of(wire_id, SmmPanelRefill.ID_BASE) for wire_id in wire_ids}
    found = SmmPanelRefill.objects.select_related("order__panel").filter(
        order__panel=panel, pk__in=[pk for pk in pks.values() if pk]
    )
    by_pk = {refill.pk: refill for refill in found}
    return {wire_id: by_pk[pk] for wire_id, pk in pks.items() if pk in by_pk}


def age_order(order: SmmPanelOrder, seconds: float) -> SmmPanelOrder:
    """Make ORDER SECONDS older, as if that much time had passed (tests, staff demos)."""
    SmmPanelOrder.objects.filter(pk=order.pk).update(
        created_at=F("created_at") - timedelta(seconds=seconds)
    )
    order.refresh_from_db(fields=["created_at"])
    return order


def age_refill(refill: SmmPanelRefill, seconds: float) -> SmmPanelRefill:
    SmmPanelRefill.objects.filter(pk=refill.pk).update(
        created_at=F("created_at") - timedelta(seconds=seconds)
    )
    refill.refresh_from_db(fields=["created_at"])
    return refill
