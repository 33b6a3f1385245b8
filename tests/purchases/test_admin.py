"""The purchases admin as each staff role sees it: pages, search, query counts, plan edits."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.purchases.models import (
    ClaimStatus,
    FulfilmentTask,
    Invoice,
    PaymentClaim,
    Plan,
    PlanRevision,
    Purchase,
    PurchaseSource,
    TaskStatus,
)
from apps.purchases.services.catalogue import EDITABLE_FIELDS
from apps.purchases.services.fulfilment import create_custom_plan
from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db

MODELS = ["plan", "invoice", "paymentclaim", "purchase", "customplan", "fulfilmenttask"]
READ_ONLY_MODELS = ["invoice", "paymentclaim", "purchase", "customplan", "fulfilmenttask"]
BSC_HASH = "0x" + "ab" * 32


def url(model, view="changelist", *args):
    return reverse(f"admin:purchases_{model}_{view}", args=args)


def make_claim(invoice, tx_hash=BSC_HASH, *, network="bsc", status=ClaimStatus.REJECTED):
    return PaymentClaim.objects.create(
        invoice=invoice,
        user=invoice.user,
        network=network,
        tx_hash=tx_hash,
        status=status,
        deadline_at=timezone.now() + timedelta(hours=1),
        reason="The amount sent does not match the invoice.",
        last_error="amount_mismatch",
    )


def make_purchase(user, plan_code="t2", *, quantity=10, credits=None, account="findme"):
    plan = Plan.objects.get(code=plan_code)
    credits = quantity if credits is None else credits
    return Purchase.objects.create(
        user=user,
        plan=plan,
        source=PurchaseSource.PAYMENT,
        product=plan.product,
        plan_code=plan.code,
        account=account,
        quantity=quantity,
        targets=plan.targets(),
        credits_total=credits,
        credits_remaining=credits,
        amount_usd=Decimal("10.00"),
    )


def make_task(user, *, status=TaskStatus.OPEN):
    purchase = make_purchase(user, "x_poll", quantity=100, credits=0)
    return FulfilmentTask.objects.create(
        purchase=purchase,
        status=status,
        details={"poll_link": "https://x.com/findme/status/123", "option": 2},
    )


@pytest.fixture
def rows(catalogue, make_invoice, superuser):
    """One row of every registered model, for a user @findme with Telegram id 424242."""
    owner = BotUserFactory(telegram_id=424242, username="findme")
    invoice = make_invoice(user=owner)
    custom = create_custom_plan(
        user=owner,
        name="VIP",
        targets={"likes": 500, "reposts": 0, "comments": 0, "views": 0},
        posts=5,
        actor=superuser,
    )
    return {
        "plan": Plan.objects.get(code="t2"),
        "invoice": invoice,
        "paymentclaim": make_claim(invoice),
        "purchase": make_purchase(owner),
        "customplan": custom,
        "fulfilmenttask": make_task(owner),
    }


def body_of(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("persona", ["superuser", "support_agent", "finance_clerk"])
def test_changelist_search_and_change_page_open_for_every_role(
    model, persona, rows, client, request
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url(model)).status_code == 200
    for term in ("424242", "findme", "@findme", rows["invoice"].number, BSC_HASH.upper(), "t2"):
        assert client.get(url(model), {"q": term}).status_code == 200
    page = client.get(url(model, "change", rows[model].pk))
    assert page.status_code == 200
    if model in READ_ONLY_MODELS:
        assert 'name="_save"' not in body_of(page)


@pytest.mark.parametrize("model", [*READ_ONLY_MODELS, "plan"])
def test_nobody_deletes_purchases_rows_and_payment_rows_are_not_edited(
    model, rows, superuser, client
):
    client.force_login(superuser)
    obj = rows[model]
    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    if model in READ_ONLY_MODELS:
        assert client.post(url(model, "change", obj.pk), {}).status_code == 403


def test_search_by_telegram_id_finds_only_that_users_purchases(rows, support_agent, client):
    make_purchase(BotUserFactory(username="someone_else"), account="someone_else")
    client.force_login(support_agent)
    body = body_of(client.get(url("purchase"), {"q": "424242"}))
    assert "@findme" in body
    assert "@someone_else" not in body


@pytest.mark.parametrize(
    "pasted", [BSC_HASH, BSC_HASH.upper(), "0X" + "AB" * 32, "ab" * 32, f"  {BSC_HASH}  "]
)
def test_claims_are_found_by_the_hash_as_pasted(rows, support_agent, client, pasted):
    other = make_claim(rows["invoice"], "0x" + "cd" * 32, status=ClaimStatus.FAILED)
    client.force_login(support_agent)
    result = client.get(url("paymentclaim"), {"q": pasted}).context["cl"].result_list
    assert list(result) == [rows["paymentclaim"]]
    assert other not in result


def test_claims_are_found_by_invoice_number_and_telegram_id(rows, support_agent, client):
    client.force_login(support_agent)
    for term in (rows["invoice"].number.lower(), "424242"):
        result = client.get(url("paymentclaim"), {"q": term}).context["cl"].result_list
        assert list(result) == [rows["paymentclaim"]]


@pytest.mark.parametrize(
    ("network", "tx_hash", "link"),
    [
        ("bsc", BSC_HASH, f"https://bscscan.com/tx/{BSC_HASH}"),
        ("tron", "ab" * 32, "https://tronscan.org/#/transaction/" + "ab" * 32),
        ("solana", "5" * 88, "https://solscan.io/tx/" + "5" * 88),
        ("aptos", BSC_HASH, f"https://explorer.aptoslabs.com/txn/{BSC_HASH}?network=mainnet"),
    ],
)
def test_claim_hashes_link_to_their_chain_explorer(
    rows, support_agent, client, network, tx_hash, link
):
    PaymentClaim.objects.all().delete()
    claim = make_claim(rows["invoice"], tx_hash, network=network)
    client.force_login(support_agent)
    assert f'href="{link}"' in body_of(client.get(url("paymentclaim")))
    assert f'href="{link}"' in body_of(client.get(url("paymentclaim", "change", claim.pk)))


def test_a_bank_transfer_reference_has_no_explorer_link(rows, make_invoice, support_agent, client):
    bank = make_invoice("bank_ngn")
    make_claim(bank, bank.number, network="flutterwave")
    client.force_login(support_agent)
    body = body_of(client.get(url("paymentclaim"), {"q": bank.number}))
    assert f"<code>{bank.number}</code>" in body
    assert f"/{bank.number}" not in body


def test_invoice_list_shows_user_amounts_and_a_coloured_status(rows, support_agent, client):
    client.force_login(support_agent)
    body = body_of(client.get(url("invoice")))
    assert rows["invoice"].number in body
    assert "424242" in body and "@findme" in body
    assert "$10.00" in body
    assert "10 USDT" in body
    assert "color: #1f5fa8" in body  # open


def test_purchase_list_shows_remaining_credits(rows, support_agent, client):
    Purchase.objects.filter(pk=rows["purchase"].pk).update(credits_remaining=4)
    client.force_login(support_agent)
    body = body_of(client.get(url("purchase"), {"has_credits": "yes"}))
    assert "4 / 10" in body
    assert "custom: VIP" in body
    body = body_of(client.get(url("purchase"), {"has_credits": "no"}))
    assert "4 / 10" not in body


def test_the_task_queue_shows_open_tasks_oldest_first_with_their_details(
    rows, support_agent, client
):
    owner = rows["fulfilmenttask"].purchase.user
    newer = make_task(owner)
    done = make_task(owner, status=TaskStatus.DONE)
    client.force_login(support_agent)
    response = client.get(url("fulfilmenttask"))
    assert list(response.context["cl"].result_list) == [rows["fulfilmenttask"], newer]
    body = body_of(response)
    assert 'href="https://x.com/findme/status/123"' in body
    assert "option 2" in body
    everything = client.get(url("fulfilmenttask"), {"status": "all"}).context["cl"].result_list
    assert done in everything


# --- query counts: a page of 100 rows costs the same as a page of 1 ---


@pytest.fixture
def many_rows(catalogue, make_invoice):
    for number in range(105):
        owner = BotUserFactory()
        invoice = make_invoice(user=owner)
        make_claim(invoice, f"0x{number:064x}")
        make_purchase(owner)
        make_task(owner)


@pytest.mark.parametrize(
    ("model", "budget"),
    [("invoice", 8), ("paymentclaim", 8), ("purchase", 8), ("fulfilmenttask", 8), ("plan", 7)],
)
def test_changelist_query_count_does_not_grow_with_rows(
    many_rows, finance_clerk, client, django_assert_max_num_queries, model, budget
):
    client.force_login(finance_clerk)
    with django_assert_max_num_queries(budget):
        response = client.get(url(model))
    assert response.status_code == 200
    if model != "plan":
        assert len(response.context["cl"].result_list) == 100


def test_custom_plan_changelist_query_count_does_not_grow_with_rows(
    catalogue, superuser, finance_clerk, client, django_assert_max_num_queries
):
    for number in range(105):
        create_custom_plan(
            user=BotUserFactory(),
            name=f"plan {number}",
            targets={"likes": 10},
            posts=3,
            actor=superuser,
        )
    client.force_login(finance_clerk)
    with django_assert_max_num_queries(8):
        response = client.get(url("customplan"))
    assert len(response.context["cl"].result_list) == 100


# --- permissions: who sees which action ---


def test_support_sees_only_the_mark_done_action(rows, support_agent, client):
    client.force_login(support_agent)
    assert "adjust_credits_selected" not in body_of(client.get(url("purchase")))
    assert "reverify_selected" not in body_of(client.get(url("paymentclaim")))
    assert "cancel_selected" not in body_of(client.get(url("invoice")))
    assert "Credit a purchase by hand" not in body_of(client.get(url("purchase")))
    assert "mark_done" in body_of(client.get(url("fulfilmenttask")))
    assert client.get(url("purchase", "credit")).status_code == 403
    assert client.get(url("customplan", "add")).status_code == 403


def test_finance_sees_the_money_actions(rows, finance_clerk, client):
    client.force_login(finance_clerk)
    assert "adjust_credits_selected" in body_of(client.get(url("purchase")))
    assert "Credit a purchase by hand" in body_of(client.get(url("purchase")))
    assert "reverify_selected" in body_of(client.get(url("paymentclaim")))
    assert "cancel_selected" in body_of(client.get(url("invoice")))
    assert client.get(url("purchase", "credit")).status_code == 200
    assert client.get(url("customplan", "add")).status_code == 200


# --- plans: edited through the catalogue service with a reason ---


def plan_form(plan, **changes) -> dict:
    """The change form as the admin page posts it, with CHANGES applied."""
    values = {name: getattr(plan, name) for name in EDITABLE_FIELDS}
    values.update(changes)
    data = {}
    for name, value in values.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = json.dumps(value)
            # Fields with a callable default post their initial value too (show_hidden_initial).
            data[f"initial-{name}"] = json.dumps(getattr(plan, name))
        else:
            data[name] = str(value)
    return data


@pytest.mark.parametrize("persona", ["support_agent", "finance_clerk"])
def test_only_the_plans_capability_edits_plans(rows, persona, client, request):
    plan = rows["plan"]
    client.force_login(request.getfixturevalue(persona))
    page = client.get(url("plan", "change", plan.pk))
    assert 'name="_save"' not in body_of(page)
    assert "Price history" in body_of(page)
    response = client.post(
        url("plan", "change", plan.pk), plan_form(plan, unit_price_usd="0.01", reason="x")
    )
    assert response.status_code == 403
    assert client.get(url("plan", "add")).status_code == 403
    plan.refresh_from_db()
    assert plan.unit_price_usd == Decimal("1.00")


def test_a_price_edit_in_the_admin_keeps_the_open_invoice_and_records_who_and_why(
    rows, second_approver, client
):
    plan, invoice = rows["plan"], rows["invoice"]
    client.force_login(second_approver)
    response = client.post(
        url("plan", "change", plan.pk),
        plan_form(plan, unit_price_usd="1.20", reason="supplier raised prices"),
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.unit_price_usd == Decimal("1.20")
    revision = plan.revisions.first()
    assert (revision.changed_by, revision.reason) == (second_approver, "supplier raised prices")
    event = AuditEvent.objects.get(action="plan.updated")
    assert (event.before, event.after) == ({"unit_price_usd": "1.00"}, {"unit_price_usd": "1.20"})
    assert Invoice.objects.get(pk=invoice.pk).amount_usd == Decimal("10.00")
    history = body_of(client.get(url("plan", "change", plan.pk)))
    assert "supplier raised prices" in history
    assert "$1.20" in history
    assert "unit_price_usd" in history


def test_a_plan_edit_needs_a_reason_a_positive_price_and_a_change(rows, second_approver, client):
    plan = rows["plan"]
    client.force_login(second_approver)
    revisions, events = PlanRevision.objects.count(), AuditEvent.objects.count()

    no_reason = client.post(url("plan", "change", plan.pk), plan_form(plan, likes=70))
    assert "reason" in no_reason.context["adminform"].form.errors
    zero = client.post(
        url("plan", "change", plan.pk), plan_form(plan, unit_price_usd="0", reason="sale")
    )
    assert zero.context["adminform"].form.errors["unit_price_usd"] == [
        "A price must be more than 0."
    ]
    unchanged = client.post(url("plan", "change", plan.pk), plan_form(plan, reason="nothing"))
    assert "Nothing was changed" in body_of(unchanged)

    assert (PlanRevision.objects.count(), AuditEvent.objects.count()) == (revisions, events)
    plan.refresh_from_db()
    assert (plan.likes, plan.unit_price_usd) == (50, Decimal("1.00"))


def test_a_superuser_adds_a_plan_through_the_service(rows, superuser, client):
    client.force_login(superuser)
    data = plan_form(
        Plan(unit="post", unit_price_usd=Decimal("4.00"), name="X engagement T6"),
        code="t6",
        platform="x",
        product="x_engagement",
        follow_up="x_account",
        likes=200,
        reason="a bigger tier",
    )
    response = client.post(url("plan", "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan = Plan.objects.get(code="t6")
    assert plan.revisions.get().changed_by == superuser
    assert AuditEvent.objects.filter(action="plan.created", object_id="t6").exists()


@pytest.mark.parametrize(
    ("permission", "support", "finance", "senior"),
    [
        ("purchases.view_purchase", True, True, True),
        ("purchases.change_fulfilmenttask", True, True, True),  # mark a task done
        ("purchases.change_paymentclaim", False, True, True),  # re-verify
        ("purchases.add_purchase", False, True, True),  # credit by hand
        ("purchases.add_creditchange", False, True, True),  # adjust credits
        ("purchases.add_customplan", False, True, True),
        ("purchases.change_invoice", False, True, True),  # cancel
        ("users.manage_providers", False, False, True),  # edit plans and prices
        ("purchases.change_plan", False, False, False),  # plans change only via the capability
        ("purchases.delete_purchase", False, False, False),
    ],
)
def test_roles_hold_the_purchases_actions_a_finance_team_expects(
    support_agent, finance_clerk, second_approver, permission, support, finance, senior
):
    held = [staff.has_perm(permission) for staff in (support_agent, finance_clerk, second_approver)]
    assert held == [support, finance, senior]
