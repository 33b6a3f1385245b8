"""Staff actions in the purchases admin: each one a confirmed, permission-gated service call."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.ledger.models import Entry, Transaction
from apps.purchases.models import (
    ClaimStatus,
    CreditChange,
    CustomPlan,
    FulfilmentTask,
    InvoiceStatus,
    Plan,
    Purchase,
    PurchaseSource,
    TaskStatus,
)
from tests.factories import BotUserFactory
from tests.purchases.test_admin import make_claim, make_purchase, make_task

pytestmark = pytest.mark.django_db


def url(model, view="changelist", *args):
    return reverse(f"admin:purchases_{model}_{view}", args=args)


def act(client, model, action, objects, query="", **fields):
    """Post ACTION on OBJECTS from the changelist (filtered by QUERY), as its pages do."""
    selected = [obj.pk for obj in objects]
    data = {"action": action, "_selected_action": selected, **fields}
    return client.post(f"{url(model)}{query}", data)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def body_of(response) -> str:
    return response.content.decode()


def audit_count(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


@pytest.fixture
def owner(catalogue):
    return BotUserFactory(telegram_id=424242, username="findme")


@pytest.fixture
def purchase(owner):
    return make_purchase(owner)


# --- add or remove credits ---


def test_adjusting_credits_shows_the_change_before_writing_it(purchase, finance_clerk, client):
    client.force_login(finance_clerk)
    form_page = act(client, "purchase", "adjust_credits_selected", [purchase])
    assert 'name="delta"' in body_of(form_page)
    fields = {"delta": "-3", "reason": "two links were refunded"}
    review = act(
        client, "purchase", "adjust_credits_selected", [purchase], stage="review", **fields
    )
    assert "Change these credits?" in body_of(review)
    assert Purchase.objects.get(pk=purchase.pk).credits_remaining == 10

    done = act(client, "purchase", "adjust_credits_selected", [purchase], stage="confirm", **fields)

    assert done.status_code == 302
    purchase.refresh_from_db()
    assert (purchase.credits_remaining, purchase.credits_total) == (7, 10)
    change = CreditChange.objects.get()
    assert (change.delta, change.changed_by, change.reason) == (
        -3,
        finance_clerk,
        "two links were refunded",
    )
    event = AuditEvent.objects.get(action="purchase.credits_adjusted")
    assert (event.before, event.after) == ({"credits_remaining": 10}, {"credits_remaining": 7})
    assert f"Purchase #{purchase.pk}: 7 credits left." in messages_of(done)


def test_removing_more_credits_than_are_left_is_refused_with_the_services_message(
    purchase, finance_clerk, client
):
    client.force_login(finance_clerk)
    fields = {"delta": "-11", "reason": "typo"}
    review = act(
        client, "purchase", "adjust_credits_selected", [purchase], stage="review", **fields
    )
    assert "refused: only 10 left" in body_of(review)
    events = AuditEvent.objects.count()

    done = act(client, "purchase", "adjust_credits_selected", [purchase], stage="confirm", **fields)

    assert any("Only 10 credits are left; cannot remove 11." in m for m in messages_of(done))
    purchase.refresh_from_db()
    assert (purchase.credits_remaining, purchase.credits_total) == (10, 10)
    assert not CreditChange.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_credit_change_needs_a_reason_and_a_non_zero_number(purchase, finance_clerk, client):
    client.force_login(finance_clerk)
    page = act(
        client,
        "purchase",
        "adjust_credits_selected",
        [purchase],
        stage="confirm",
        delta="0",
        reason="  ",
    )
    assert "Add or remove at least one credit." in body_of(page)
    assert "Say why the credits change." in body_of(page)
    assert not CreditChange.objects.exists()


def test_support_cannot_adjust_credits_even_by_posting_the_action(purchase, support_agent, client):
    client.force_login(support_agent)
    act(
        client,
        "purchase",
        "adjust_credits_selected",
        [purchase],
        stage="confirm",
        delta="50",
        reason="friend",
    )
    purchase.refresh_from_db()
    assert purchase.credits_remaining == 10
    assert not CreditChange.objects.exists()


# --- credit a purchase by hand ---


def credit_fields(**overrides) -> dict:
    fields = {
        "telegram_id": "424242",
        "plan": str(Plan.objects.get(code="t2").pk),
        "quantity": "25",
        "account": "@FindMe",
        "reason": "paid by bank transfer, ticket 1182",
    }
    return {**fields, **overrides}


def test_finance_credits_a_purchase_by_hand_with_an_audit_event_and_no_commission(
    catalogue, finance_clerk, client
):
    referrer = BotUserFactory(username="referrer")
    buyer = BotUserFactory(telegram_id=424242, username="findme", referrer=referrer)
    client.force_login(finance_clerk)
    assert client.get(url("purchase", "credit")).status_code == 200
    transactions = Transaction.objects.count()

    review = client.post(url("purchase", "credit"), credit_fields(stage="review"))
    assert "Credit this purchase?" in body_of(review)
    assert "no referral commission" in body_of(review)
    assert "$25.00" in body_of(review)
    assert not Purchase.objects.exists()

    done = client.post(url("purchase", "credit"), credit_fields(stage="confirm"))

    purchase = Purchase.objects.get()
    assert done.status_code == 302
    assert done.url == url("purchase", "change", purchase.pk)
    assert (purchase.user, purchase.source, purchase.created_by) == (
        buyer,
        PurchaseSource.MANUAL,
        finance_clerk,
    )
    assert (purchase.plan_code, purchase.account, purchase.credits_remaining) == (
        "t2",
        "findme",
        25,
    )
    assert purchase.reason == "paid by bank transfer, ticket 1182"
    event = AuditEvent.objects.get(action="purchase.credited_manually")
    assert event.actor_label == finance_clerk.get_username()
    assert Transaction.objects.count() == transactions
    assert not Entry.objects.filter(account__owner=referrer).exists()


def test_a_manual_credit_of_a_manual_product_opens_a_task_in_the_queue(
    owner, finance_clerk, client
):
    client.force_login(finance_clerk)
    poll = Plan.objects.get(code="x_poll")
    fields = credit_fields(plan=str(poll.pk), quantity="100", account="", stage="confirm")
    client.post(url("purchase", "credit"), fields)
    task = FulfilmentTask.objects.get()
    assert (task.status, task.purchase.plan_code) == (TaskStatus.OPEN, "x_poll")
    queue = client.get(url("fulfilmenttask")).context["cl"].result_list
    assert list(queue) == [task]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"telegram_id": "1"}, "telegram_id", "No bot user has Telegram id 1."),
        ({"quantity": "5"}, "quantity", "The minimum is 10 posts."),
        ({"account": ""}, "account", "Say which account the posts are for."),
        ({"account": "not an account!"}, "account", "That is not an X username."),
        ({"reason": " "}, "reason", "Say why this purchase is credited."),
    ],
)
def test_a_manual_credit_is_refused_before_anything_is_written(
    owner, finance_clerk, client, overrides, field, message
):
    client.force_login(finance_clerk)
    response = client.post(url("purchase", "credit"), credit_fields(stage="confirm", **overrides))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Purchase.objects.exists()
    assert audit_count("purchase.credited_manually") == 0


def test_support_cannot_credit_a_purchase_by_hand(owner, support_agent, client):
    client.force_login(support_agent)
    response = client.post(url("purchase", "credit"), credit_fields(stage="confirm"))
    assert response.status_code == 403
    assert not Purchase.objects.exists()


# --- re-verify a payment claim ---


@pytest.fixture
def rejected_claim(owner, make_invoice):
    return make_claim(make_invoice(user=owner))


def test_reverify_moves_a_rejected_claim_back_to_pending_with_an_audit_event(
    rejected_claim, finance_clerk, client
):
    client.force_login(finance_clerk)
    page = act(client, "paymentclaim", "reverify_selected", [rejected_claim])
    assert "Verify these payments again?" in body_of(page)
    assert audit_count("payment.reverify") == 0

    done = act(client, "paymentclaim", "reverify_selected", [rejected_claim], stage="confirm")

    assert done.status_code == 302
    rejected_claim.refresh_from_db()
    assert (rejected_claim.status, rejected_claim.reason) == (ClaimStatus.PENDING, "")
    assert rejected_claim.invoice.status == InvoiceStatus.VERIFYING
    event = AuditEvent.objects.get(action="payment.reverify")
    assert event.actor_label == finance_clerk.get_username()
    assert (event.before, event.after) == ({"status": "rejected"}, {"status": "pending"})


def test_a_verified_claim_is_not_verified_again_and_the_refusal_is_shown(
    owner, make_invoice, finance_clerk, client
):
    verified = make_claim(make_invoice(user=owner), status=ClaimStatus.VERIFIED)
    client.force_login(finance_clerk)
    done = act(client, "paymentclaim", "reverify_selected", [verified], stage="confirm")
    assert any("Only a rejected or failed claim" in m for m in messages_of(done))
    verified.refresh_from_db()
    assert verified.status == ClaimStatus.VERIFIED
    assert audit_count("payment.reverify") == 0


def test_support_cannot_reverify_a_claim(rejected_claim, support_agent, client):
    client.force_login(support_agent)
    act(client, "paymentclaim", "reverify_selected", [rejected_claim], stage="confirm")
    rejected_claim.refresh_from_db()
    assert rejected_claim.status == ClaimStatus.REJECTED
    assert audit_count("payment.reverify") == 0


# --- cancel an invoice ---


def test_finance_cancels_an_open_invoice_but_not_a_paid_one(
    owner, make_invoice, finance_clerk, client
):
    open_invoice, paid = make_invoice(user=owner), make_invoice(user=owner)
    paid.__class__.objects.filter(pk=paid.pk).update(status=InvoiceStatus.PAID)
    client.force_login(finance_clerk)
    page = act(client, "invoice", "cancel_selected", [open_invoice, paid])
    assert "Cancel invoices?" in body_of(page)

    done = act(client, "invoice", "cancel_selected", [open_invoice, paid], stage="confirm")

    open_invoice.refresh_from_db()
    paid.refresh_from_db()
    assert (open_invoice.status, paid.status) == (InvoiceStatus.CANCELLED, InvoiceStatus.PAID)
    reported = messages_of(done)
    assert f"Invoice {open_invoice.number} cancelled." in reported
    assert any("can no longer be cancelled" in m for m in reported)
    assert audit_count("invoice.cancelled") == 1


# --- custom plans ---


def custom_plan_fields(**overrides) -> dict:
    fields = {
        "telegram_id": "424242",
        "name": "VIP launch",
        "likes": "300",
        "reposts": "40",
        "comments": "0",
        "views": "20000",
        "posts": "12",
    }
    return {**fields, **overrides}


def test_finance_adds_a_custom_plan_that_grants_posts_and_is_read_only_afterwards(
    owner, finance_clerk, client
):
    client.force_login(finance_clerk)
    response = client.post(url("customplan", "add"), custom_plan_fields())
    assert response.status_code == 302
    plan = CustomPlan.objects.get()
    assert (plan.user, plan.posts, plan.likes, plan.created_by) == (owner, 12, 300, finance_clerk)
    assert plan.purchase.credits_remaining == 12
    assert audit_count("custom_plan.created") == 1
    page = client.get(url("customplan", "change", plan.pk))
    assert 'name="_save"' not in body_of(page)
    assert client.post(url("customplan", "change", plan.pk), {"posts": "99"}).status_code == 403


def test_a_custom_plan_needs_a_known_user_a_target_and_a_new_name(owner, finance_clerk, client):
    client.force_login(finance_clerk)
    client.post(url("customplan", "add"), custom_plan_fields())
    response = client.post(
        url("customplan", "add"),
        custom_plan_fields(likes="0", reposts="0", views="0", posts="0"),
    )
    form = response.context["adminform"].form
    assert "already has a custom plan named 'VIP launch'" in form.errors["name"][0]
    assert "posts" in form.errors
    assert "Set at least one per-post target." in form.non_field_errors()
    unknown = client.post(url("customplan", "add"), custom_plan_fields(telegram_id="1"))
    assert (
        "No bot user has Telegram id 1." in unknown.context["adminform"].form.errors["telegram_id"]
    )
    assert CustomPlan.objects.count() == 1


# --- fulfilment tasks ---


def test_support_marks_a_task_done_and_is_recorded_as_the_one_who_did_it(
    owner, support_agent, client
):
    task = make_task(owner)
    client.force_login(support_agent)
    page = act(client, "fulfilmenttask", "mark_done", [task])
    assert 'name="note"' in body_of(page)

    done = act(client, "fulfilmenttask", "mark_done", [task], stage="confirm", note="votes sent")

    task.refresh_from_db()
    assert (task.status, task.done_by, task.note) == (TaskStatus.DONE, support_agent, "votes sent")
    assert task.done_at is not None
    assert audit_count("fulfilment.done") == 1
    assert f"Task {task.pk} (x_poll) marked done." in messages_of(done)
    assert list(client.get(url("fulfilmenttask")).context["cl"].result_list) == []
    done_list = body_of(client.get(url("fulfilmenttask"), {"status": "done"}))
    assert support_agent.get_username() in done_list
    assert "votes sent" in done_list


def test_a_task_that_is_not_open_is_not_marked_done(owner, support_agent, client):
    waiting = make_task(owner, status=TaskStatus.WAITING_DETAILS)
    client.force_login(support_agent)
    done = act(
        client, "fulfilmenttask", "mark_done", [waiting], "?status=all", stage="confirm", note=""
    )
    assert any("Only an open task can be marked done." in m for m in messages_of(done))
    waiting.refresh_from_db()
    assert (waiting.status, waiting.done_by) == (TaskStatus.WAITING_DETAILS, None)


def test_the_amount_due_is_shown_with_every_place_it_has(
    owner, make_invoice, support_agent, client
):
    invoice = make_invoice("bnb", user=owner)
    invoice.__class__.objects.filter(pk=invoice.pk).update(amount_due=Decimal("0.0200012345678"))
    client.force_login(support_agent)
    assert "0.0200012345678 BNB" in body_of(client.get(url("invoice")))
