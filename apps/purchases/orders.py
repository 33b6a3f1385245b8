"""What an order costs, and whether its quantity is one we sell. Pure: no database writes.

Totals are exact Decimal arithmetic rounded half-up to the cent (the old bot multiplied floats
and asked for 3.7499999… USD). Telegram engagement is priced per comment:
comments per post * posts * unit price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from apps.common.typed import whole_number
from apps.purchases.models import Plan, Product

CENT = Decimal("0.01")


class InvalidOrder(ValueError):
    """The order cannot be sold as asked; the message is what the user is told."""


@dataclass(frozen=True)
class Order:
    plan: Plan
    quantity: int
    comments_per_post: int | None
    amount_usd: Decimal


def price_order(plan: Plan, quantity: int, comments_per_post: int | None = None) -> Order:
    """The Order for QUANTITY of PLAN, or InvalidOrder saying what is wrong."""
    if not plan.is_active:
        raise InvalidOrder("This plan is no longer sold. Please pick another one.")
    _check_quantity(plan, quantity)
    per_unit = plan.unit_price_usd
    if plan.product == Product.TG_ENGAGEMENT:
        if comments_per_post not in plan.comments_per_post_choices:
            raise InvalidOrder("Please choose how many comments each post should get.")
        per_unit = per_unit * comments_per_post
    else:
        comments_per_post = None
    amount = (per_unit * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount > settings.MAX_INVOICE_USD:
        raise InvalidOrder(
            f"Orders above {settings.MAX_INVOICE_USD} USD are arranged with support: "
            "please contact @ViralCore_Support."
        )
    return Order(plan, quantity, comments_per_post, amount)


def parse_quantity(text: str) -> int | None:
    """A typed quantity ("250", "1,000", " 50 ") as an int, or None if it is not a number."""
    return whole_number((text or "").strip().replace(",", "").replace("_", ""), max_digits=9)


def unit_label(plan: Plan) -> str:
    """What the quantity counts, in the plural: Telegram engagement is bought by the post."""
    unit = "post" if plan.product == Product.TG_ENGAGEMENT else plan.unit
    return unit if unit.endswith("s") else f"{unit}s"


def _check_quantity(plan: Plan, quantity: int) -> None:
    unit = unit_label(plan)
    if quantity < plan.min_quantity:
        raise InvalidOrder(f"The minimum is {plan.min_quantity} {unit}.")
    if quantity > plan.max_quantity:
        raise InvalidOrder(f"The maximum is {plan.max_quantity:,} {unit} per order.")
    if quantity % plan.quantity_step:
        raise InvalidOrder(f"Please order a multiple of {plan.quantity_step} {unit}.")
