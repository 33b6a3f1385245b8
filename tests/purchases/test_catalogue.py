"""Editing the catalogue: revisions, audit events, the selling rules, and open invoices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.purchases.models import Plan, PlanRevision
from apps.purchases.orders import price_order
from apps.purchases.services.catalogue import (
    PlanEditDenied,
    PlanRefused,
    create_plan,
    price_text,
    update_plan,
)
from apps.purchases.services.invoices import request_invoice
from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def t2(catalogue):
    return Plan.objects.get(code="t2")


def written() -> tuple:
    return (
        PlanRevision.objects.count(),
        AuditEvent.objects.count(),
        list(Plan.objects.order_by("pk").values()),
    )


def test_a_price_edit_saves_a_revision_and_an_audit_event_with_before_and_after(
    t2, second_approver
):
    update_plan(
        plan=t2,
        changes={"unit_price_usd": Decimal("1.25"), "likes": 60},
        actor=second_approver,
        reason="supplier raised prices",
    )
    t2.refresh_from_db()
    assert t2.unit_price_usd == Decimal("1.25")
    revision = t2.revisions.first()
    assert (revision.unit_price_usd, revision.changed_by, revision.reason) == (
        Decimal("1.25"),
        second_approver,
        "supplier raised prices",
    )
    assert revision.snapshot["unit_price_usd"] == "1.25"
    assert revision.snapshot["likes"] == 60
    event = AuditEvent.objects.get(action="plan.updated")
    assert event.object_id == "t2"
    assert event.before == {"unit_price_usd": "1.00", "likes": 50}
    assert event.after == {"unit_price_usd": "1.25", "likes": 60}
    assert event.reason == "supplier raised prices"
    assert event.actor_label == second_approver.get_username()


def test_an_open_invoice_keeps_its_price_when_the_plan_price_changes(t2, second_approver):
    buyer = BotUserFactory()
    before = request_invoice(user=buyer, order=price_order(t2, 10), method="usdt_bep20")
    assert before.amount_usd == Decimal("10.00")

    update_plan(
        plan=t2, changes={"unit_price_usd": "2.00"}, actor=second_approver, reason="new price"
    )

    before.refresh_from_db()
    assert before.amount_usd == Decimal("10.00")
    assert Decimal(before.plan_snapshot["unit_price_usd"]) == Decimal("1.00")
    t2.refresh_from_db()
    after = request_invoice(user=buyer, order=price_order(t2, 10), method="usdt_bep20")
    assert after.amount_usd == Decimal("20.00")
    assert Decimal(after.plan_snapshot["unit_price_usd"]) == Decimal("2.00")


@pytest.mark.parametrize("price", ["0", "-1.00", "0.0000001", "abc", "NaN"])
def test_a_price_that_is_not_more_than_zero_is_refused_and_nothing_is_written(
    t2, second_approver, price
):
    before = written()
    with pytest.raises(PlanRefused) as refusal:
        update_plan(plan=t2, changes={"unit_price_usd": price}, actor=second_approver)
    assert "unit_price_usd" in refusal.value.errors
    assert written() == before


def test_a_zero_price_is_refused_with_a_clear_message(t2, second_approver):
    with pytest.raises(PlanRefused, match=r"A price must be more than 0\."):
        update_plan(plan=t2, changes={"unit_price_usd": Decimal("0")}, actor=second_approver)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_quantity": 5}, "max_quantity"),
        ({"quantity_presets": [5, 10]}, "quantity_presets"),
        ({"quantity_presets": ["ten"]}, "quantity_presets"),
        ({"quantity_step": 0}, "quantity_step"),
        ({"follow_up": "carrier_pigeon"}, "follow_up"),
        ({"name": ""}, "name"),
    ],
)
def test_plans_that_cannot_be_sold_are_refused(t2, second_approver, changes, field):
    before = written()
    with pytest.raises(PlanRefused) as refusal:
        update_plan(plan=t2, changes=changes, actor=second_approver, reason="r")
    assert field in refusal.value.errors
    assert written() == before


def test_telegram_engagement_keeps_its_comments_per_post_choices(catalogue, second_approver):
    tgt = Plan.objects.get(code="tgt")
    with pytest.raises(PlanRefused, match="comments-per-post choices"):
        update_plan(plan=tgt, changes={"comments_per_post_choices": []}, actor=second_approver)


@pytest.mark.parametrize("field", ["code", "platform", "product", "id", "updated_at"])
def test_code_platform_and_product_are_fixed_once_a_plan_exists(t2, second_approver, field):
    before = written()
    with pytest.raises(PlanRefused, match="cannot be changed"):
        update_plan(plan=t2, changes={field: "x"}, actor=second_approver)
    assert written() == before


def test_saving_the_same_values_writes_no_revision_and_no_event(t2, second_approver):
    before = written()
    update_plan(
        plan=t2,
        changes={"unit_price_usd": "1.000", "likes": 50, "quantity_presets": [10, 25, 50, 100]},
        actor=second_approver,
        reason="no-op",
    )
    assert written() == before


@pytest.mark.parametrize("persona", ["finance_clerk", "support_agent"])
def test_staff_without_the_plans_capability_cannot_change_a_plan(t2, persona, request):
    staff = request.getfixturevalue(persona)
    before = written()
    with pytest.raises(PlanEditDenied, match=r"users\.manage_providers"):
        update_plan(plan=t2, changes={"unit_price_usd": "0.10"}, actor=staff)
    assert written() == before


def test_a_bot_user_cannot_change_a_plan_but_a_named_system_job_can(t2):
    with pytest.raises(PlanEditDenied):
        update_plan(plan=t2, changes={"likes": 1}, actor=BotUserFactory())
    update_plan(plan=t2, changes={"likes": 1}, actor=Actor.system("manage.py reprice"))
    revision = t2.revisions.first()
    assert (revision.snapshot["likes"], revision.changed_by) == (1, None)


def test_create_plan_saves_the_first_revision_and_an_event(catalogue, superuser):
    plan = create_plan(
        values={
            "code": "t6",
            "platform": "x",
            "product": "x_engagement",
            "name": "X engagement T6",
            "unit": "post",
            "unit_price_usd": "4.50",
            "min_quantity": 10,
            "quantity_presets": [10, 25],
            "likes": 200,
            "follow_up": "x_account",
        },
        actor=superuser,
        reason="a bigger tier",
    )
    assert plan.unit_price_usd == Decimal("4.50")
    assert plan.revisions.get().changed_by == superuser
    event = AuditEvent.objects.get(action="plan.created")
    assert (event.object_id, event.after["unit_price_usd"]) == ("t6", "4.50")


def test_create_plan_refuses_a_code_that_exists(catalogue, superuser):
    with pytest.raises(PlanRefused) as refusal:
        create_plan(
            values={
                "code": "t2",
                "platform": "x",
                "product": "x_engagement",
                "name": "dup",
                "unit": "post",
                "unit_price_usd": "1.00",
            },
            actor=superuser,
        )
    assert "code" in refusal.value.errors
    assert Plan.objects.filter(code="t2").count() == 1


@pytest.mark.parametrize(
    ("price", "text"),
    [("1", "1.00"), ("0.015", "0.015"), ("0.500000", "0.50"), ("12.123456", "12.123456")],
)
def test_prices_show_the_places_they_need(price, text):
    assert price_text(Decimal(price)) == text
