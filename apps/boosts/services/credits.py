"""Post credits spent by boosts: what a user can pick, taking one, and giving one back.

A credit belongs to a pool: the user's purchases of one product, plan and account (a custom
plan is a pool of its own). A submission names a purchase (from callback data, so untrusted)
and takes the credit from the OLDEST purchase of that pool. The old bot decremented the oldest
row of any plan for the account, and for Telegram of any account at all (spec §2.6); a pool
never lends credits to another plan, product or account.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Sum

from apps.audit.services import record_event
from apps.boosts.links import TELEGRAM, X
from apps.boosts.models import BoostOrder
from apps.common.typed import whole_number
from apps.purchases.models import Product, Purchase

PRODUCT_FOR_PLATFORM = {X: Product.X_ENGAGEMENT, TELEGRAM: Product.TG_ENGAGEMENT}
CUSTOM_PLAN_CODE = "custom"

NOT_YOURS = "That plan is not one of yours for this kind of post."
NO_CREDITS_LEFT = "That plan has no posts left."


class CreditRefused(Exception):
    """No credit was taken; MESSAGE tells the user why (plain text, not escaped)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Choice:
    """One button of the plan picker: a pool and the purchase its next credit comes from."""

    purchase_id: int
    account: str
    plan_code: str
    custom_name: str
    credits_left: int

    @property
    def is_custom(self) -> bool:
        return bool(self.custom_name)


def is_custom(purchase: Purchase) -> bool:
    return purchase.custom_plan_id is not None or purchase.plan_code == CUSTOM_PLAN_CODE


def boostable_choices(user, platform: str) -> list[Choice]:
    """The pools of USER that can boost a PLATFORM post: tier pools first, then custom plans."""
    product = PRODUCT_FOR_PLATFORM[platform]
    purchases = (
        Purchase.objects.filter(user=user, product=product, credits_remaining__gt=0)
        .select_related("custom_plan")
        .order_by("created_at", "id")
    )
    pools: dict[tuple, list[Purchase]] = {}
    for purchase in purchases:
        pools.setdefault(_pool_key(purchase), []).append(purchase)
    choices = [_choice(members) for members in pools.values()]
    return sorted(choices, key=lambda c: (c.is_custom, c.account, c.plan_code, c.purchase_id))


def _pool_key(purchase: Purchase) -> tuple:
    if is_custom(purchase):
        return ("custom", purchase.pk)
    return ("plan", purchase.account, purchase.plan_code)


def _choice(members: list[Purchase]) -> Choice:
    oldest = members[0]
    custom_name = ""
    if is_custom(oldest):
        custom_name = oldest.custom_plan.name if oldest.custom_plan_id else CUSTOM_PLAN_CODE
    return Choice(
        purchase_id=oldest.pk,
        account=oldest.account,
        plan_code=oldest.plan_code,
        custom_name=custom_name,
        credits_left=sum(member.credits_remaining for member in members),
    )


def pool_of(purchase: Purchase):
    """The purchases whose credits are interchangeable with PURCHASE's."""
    if is_custom(purchase):
        return Purchase.objects.filter(pk=purchase.pk)
    return Purchase.objects.filter(
        user_id=purchase.user_id,
        product=purchase.product,
        plan_code=purchase.plan_code,
        account=purchase.account,
        custom_plan__isnull=True,
    )


def pool_credits_left(purchase: Purchase) -> int:
    return pool_of(purchase).aggregate(left=Sum("credits_remaining"))["left"] or 0


@transaction.atomic
def consume_credit(*, user, purchase_id, platform: str) -> Purchase:
    """Take one credit of PURCHASE_ID's pool from its oldest purchase; returns that purchase.

    The pool's rows are locked in (created_at, id) order, so concurrent submissions queue
    behind each other and never take the same credit; the UPDATE is conditional as well, so a
    count can never go below zero even without the lock (SQLite).
    """
    named = _named_purchase(user, purchase_id, platform)
    pool = list(pool_of(named).select_for_update().order_by("created_at", "id"))
    locked_named = next((member for member in pool if member.pk == named.pk), None)
    if locked_named is None:  # its account changed between the read and the lock
        raise CreditRefused(NOT_YOURS)
    if locked_named.credits_remaining <= 0:
        raise CreditRefused(NO_CREDITS_LEFT)
    oldest = next(member for member in pool if member.credits_remaining > 0)
    taken = Purchase.objects.filter(pk=oldest.pk, credits_remaining__gt=0).update(
        credits_remaining=F("credits_remaining") - 1
    )
    if taken != 1:
        raise CreditRefused(NO_CREDITS_LEFT)
    oldest.refresh_from_db(fields=["credits_remaining"])
    return oldest


def _named_purchase(user, purchase_id, platform: str) -> Purchase:
    """The purchase the callback data names, if it is USER's and boosts PLATFORM posts."""
    product = PRODUCT_FOR_PLATFORM.get(platform)
    if product is None or not _is_id(purchase_id):
        raise CreditRefused(NOT_YOURS)
    purchase = Purchase.objects.filter(pk=int(purchase_id), user=user, product=product).first()
    if purchase is None or (platform == TELEGRAM and is_custom(purchase)):
        raise CreditRefused(NOT_YOURS)
    return purchase


def _is_id(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 < value < 2**63
    number = whole_number(str(value), max_digits=18)
    return number is not None and number > 0


@transaction.atomic
def return_credit(order: BoostOrder, *, actor, reason: str) -> bool:
    """Give ORDER's credit back to its purchase, once; False when it was already returned.

    The flag flips by compare-and-swap, so the failure path, a staff cancel and a retry can
    all call this and the purchase still gets exactly one credit back.
    """
    flipped = BoostOrder.objects.filter(pk=order.pk, credit_returned=False).update(
        credit_returned=True
    )
    if flipped != 1:
        return False
    purchase = Purchase.objects.select_for_update().get(pk=order.purchase_id)
    Purchase.objects.filter(pk=purchase.pk).update(credits_remaining=F("credits_remaining") + 1)
    order.credit_returned = True
    record_event(
        actor=actor,
        action="boost.credit_returned",
        object_type="boosts.order",
        object_id=order.pk,
        before={"purchase": purchase.pk, "credits_remaining": purchase.credits_remaining},
        after={"purchase": purchase.pk, "credits_remaining": purchase.credits_remaining + 1},
        reason=reason,
        search_terms=[order.user.telegram_id, f"B-{order.pk}"],
    )
    return True
