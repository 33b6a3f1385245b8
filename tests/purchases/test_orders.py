"""Prices and quantities: exact totals, minimums, steps and limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.purchases.models import Plan
from apps.purchases.orders import InvalidOrder, parse_quantity, price_order

pytestmark = pytest.mark.usefixtures("catalogue")


def _plan(code):
    return Plan.objects.get(code=code)


def test_x_tier_total_is_price_per_post_times_posts():
    assert price_order(_plan("t2"), 25).amount_usd == Decimal("25.00")


def test_telegram_engagement_is_priced_per_comment():
    order = price_order(_plan("tgt"), 10, comments_per_post=15)
    assert order.amount_usd == Decimal("3.00")


def test_slow_push_total_has_no_float_error():
    # The old bot asked 0.15 / 10 * 250 = 3.7499999… USD.
    assert price_order(_plan("slow_push"), 250).amount_usd == Decimal("3.75")


@pytest.mark.parametrize(
    ("code", "quantity", "message"),
    [
        ("t1", 9, "The minimum is 10 posts."),
        ("direct_add", 999, "The minimum is 1000 followers."),
        ("slow_push", 105, "Please order a multiple of 10 followers."),
        ("t2", 100_001, "The maximum is 100,000 posts per order."),
        ("tg_premium", 49, "The minimum is 50 members."),
    ],
)
def test_bad_quantities_are_refused_with_the_rule(code, quantity, message):
    with pytest.raises(InvalidOrder, match=message):
        price_order(_plan(code), quantity)


def test_telegram_engagement_needs_an_offered_comments_choice():
    with pytest.raises(InvalidOrder, match="comments"):
        price_order(_plan("tgt"), 10, comments_per_post=7)


def test_absurdly_expensive_order_goes_to_support(settings):
    settings.MAX_INVOICE_USD = Decimal("100")
    with pytest.raises(InvalidOrder, match="support"):
        price_order(_plan("t5"), 50)


def test_inactive_plan_is_not_sold():
    plan = _plan("t1")
    plan.is_active = False
    with pytest.raises(InvalidOrder, match="no longer sold"):
        price_order(plan, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250", 250),
        (" 1,000 ", 1000),
        ("10_000", 10000),
        ("ten", None),
        ("-5", None),
        ("", None),
        ("²", None),  # isdigit() says yes, int() says no
        ("٢٥٠", None),  # Arabic-Indic 250: asked again in the digits the bot shows
    ],
)
def test_typed_quantities(text, expected):
    assert parse_quantity(text) == expected
