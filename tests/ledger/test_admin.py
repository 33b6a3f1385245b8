"""The ledger in the admin, as each staff role sees it."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.ledger.models import Adjustment, AdjustmentStatus, Transaction
from apps.ledger.services import hold_funds, propose_adjustment
from apps.users.roles import SENIOR_FINANCE
from tests.factories import BotUserFactory, StaffUserFactory
from tests.ledger.factories import TEST_ACTOR, UserAccountFactory, fund, funded_account
from tests.ledger.helpers import nothing_written

pytestmark = pytest.mark.django_db

MODELS = ["account", "transaction", "hold", "adjustment"]


def url(model, view="changelist", *args):
    return reverse(f"admin:ledger_{model}_{view}", args=args)


@pytest.fixture
def ledger_rows(finance_clerk):
    """One row of every registered model, for a user @findme with Telegram id 424242."""
    owner = BotUserFactory(telegram_id=424242, username="findme")
    account = funded_account("100.00", owner=owner)
    hold = hold_funds(account=account, amount=Decimal("10.00"), reference="wd-9", actor=TEST_ACTOR)
    adjustment = propose_adjustment(
        account=account,
        direction="credit",
        amount=Decimal("5.00"),
        reason="missed commission",
        actor=finance_clerk,
    )
    return {
        "account": account,
        "transaction": hold.hold_transaction,
        "hold": hold,
        "adjustment": adjustment,
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("persona", ["superuser", "support_agent", "finance_clerk"])
def test_changelist_search_and_change_page_open_for_every_role(
    model, persona, ledger_rows, client, request
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url(model)).status_code == 200
    for term in ("424242", "findme", "wd-9"):
        assert client.get(url(model), {"q": term}).status_code == 200
    page = client.get(url(model, "change", ledger_rows[model].pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_account_search_by_telegram_id_finds_only_that_user(support_agent, ledger_rows, client):
    funded_account("1.00", owner=BotUserFactory(username="someone_else"))
    client.force_login(support_agent)
    body = client.get(url("account"), {"q": "424242"}).content.decode()
    assert "@findme" in body
    assert "@someone_else" not in body


def test_account_list_shows_balances_formatted_as_money(support_agent, ledger_rows, client):
    client.force_login(support_agent)
    assert "$90.00" in client.get(url("account")).content.decode()


def test_transaction_search_by_owner_telegram_id(support_agent, ledger_rows, client):
    fund(UserAccountFactory(), "3.00", key="someone-elses-deposit")
    client.force_login(support_agent)
    body = client.get(url("transaction"), {"q": "424242"}).content.decode()
    assert "hold:wd-9" in body
    assert "someone-elses-deposit" not in body


def test_account_page_shows_only_the_newest_fifty_entries(support_agent, client):
    account = UserAccountFactory()
    for number in range(55):
        fund(account, "1.00", key=f"deposit-{number:02d}")
    client.force_login(support_agent)
    body = client.get(url("account", "change", account.pk)).content.decode()
    assert "deposit-54" in body
    assert "deposit-05" in body
    assert "deposit-04" not in body
    assert body.index("deposit-54") < body.index("deposit-05")


def test_nobody_edits_or_deletes_ledger_rows_in_the_admin(superuser, ledger_rows, client):
    client.force_login(superuser)
    account = ledger_rows["account"]
    response = client.post(url("account", "change", account.pk), {"balance": "1000000.00"})
    assert response.status_code == 403
    assert client.get(url("transaction", "add")).status_code == 403
    assert client.get(url("account", "delete", account.pk)).status_code == 403
    account.refresh_from_db()
    assert account.balance == Decimal("90.00")


def test_support_cannot_propose_or_see_the_decision_actions(support_agent, ledger_rows, client):
    client.force_login(support_agent)
    assert client.get(url("adjustment", "add")).status_code == 403
    body = client.get(url("adjustment")).content.decode()
    assert "approve_selected" not in body
    assert "reject_selected" not in body


def test_finance_proposes_through_the_add_form(finance_clerk, client):
    owner = BotUserFactory(telegram_id=777123)
    client.force_login(finance_clerk)
    assert client.get(url("adjustment", "add")).status_code == 200
    response = client.post(
        url("adjustment", "add"),
        {
            "telegram_id": "777123",
            "balance": "earnings",
            "direction": "credit",
            "amount": "2500.00",
            "reason": "replies paid short in March",
        },
    )
    assert response.status_code == 302
    adjustment = Adjustment.objects.get()
    assert (adjustment.account.owner, adjustment.account.currency) == (owner, "NGN")
    assert adjustment.status == AdjustmentStatus.PROPOSED
    assert adjustment.proposed_by == finance_clerk
    assert adjustment.account.balance == Decimal("0.00")
    assert AuditEvent.objects.filter(action="ledger.adjustment_proposed").count() == 1


def test_finance_cannot_approve_and_sees_no_decision_actions(finance_clerk, ledger_rows, client):
    client.force_login(finance_clerk)
    body = client.get(url("adjustment")).content.decode()
    assert "approve_selected" not in body
    adjustment = ledger_rows["adjustment"]
    client.post(
        url("adjustment"),
        {"action": "approve_selected", "_selected_action": [adjustment.pk], "confirmed": "yes"},
    )
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.PROPOSED


def test_the_add_form_refuses_an_unknown_user_or_a_blank_reason(finance_clerk, client):
    client.force_login(finance_clerk)
    with nothing_written():
        response = client.post(
            url("adjustment", "add"),
            {
                "telegram_id": "1",
                "balance": "affiliate",
                "direction": "credit",
                "amount": "5.005",
                "reason": "   ",
            },
        )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "No bot user has Telegram id 1." in form.errors["telegram_id"]
    assert "reason" in form.errors
    assert "amount" in form.errors


def test_a_senior_approves_anothers_adjustment_after_a_confirmation_page(
    second_approver, ledger_rows, client
):
    adjustment = ledger_rows["adjustment"]
    client.force_login(second_approver)
    assert "approve_selected" in client.get(url("adjustment")).content.decode()
    action = {"action": "approve_selected", "_selected_action": [adjustment.pk]}
    with nothing_written():
        confirmation = client.post(url("adjustment"), action)
    assert confirmation.status_code == 200
    assert "Approve adjustments?" in confirmation.content.decode()
    assert "missed commission" in confirmation.content.decode()
    response = client.post(url("adjustment"), {**action, "confirmed": "yes"})
    assert response.status_code == 302
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.APPROVED
    assert adjustment.decided_by == second_approver
    assert ledger_rows["account"].__class__.objects.get(pk=adjustment.account_id).balance == (
        Decimal("95.00")
    )
    assert f"Adjustment #{adjustment.pk} approved." in messages_of(response)


def test_approving_your_own_adjustment_in_the_admin_is_reported_and_refused(
    second_approver, client
):
    account = funded_account("10.00")
    own = propose_adjustment(
        account=account,
        direction="credit",
        amount=Decimal("1.00"),
        reason="mine",
        actor=second_approver,
    )
    client.force_login(second_approver)
    response = client.post(
        url("adjustment"),
        {"action": "approve_selected", "_selected_action": [own.pk], "confirmed": "yes"},
    )
    assert any("You cannot approve your own adjustment" in m for m in messages_of(response))
    own.refresh_from_db()
    assert own.status == AdjustmentStatus.PROPOSED


def test_one_refusal_does_not_stop_the_other_approvals(second_approver, finance_clerk, client):
    poor, rich = funded_account("1.00"), funded_account("50.00")
    too_big = propose_adjustment(
        account=poor, direction="debit", amount=Decimal("5.00"), reason="r", actor=finance_clerk
    )
    fine = propose_adjustment(
        account=rich, direction="debit", amount=Decimal("5.00"), reason="r", actor=finance_clerk
    )
    client.force_login(second_approver)
    response = client.post(
        url("adjustment"),
        {
            "action": "approve_selected",
            "_selected_action": [too_big.pk, fine.pk],
            "confirmed": "yes",
        },
    )
    reported = messages_of(response)
    assert any(f"Adjustment #{too_big.pk}: Insufficient funds" in m for m in reported)
    assert f"Adjustment #{fine.pk} approved." in reported
    too_big.refresh_from_db()
    fine.refresh_from_db()
    assert (too_big.status, fine.status) == ("proposed", "approved")


def test_rejecting_asks_for_a_note_first(second_approver, ledger_rows, client):
    adjustment = ledger_rows["adjustment"]
    client.force_login(second_approver)
    action = {"action": "reject_selected", "_selected_action": [adjustment.pk]}
    page = client.post(url("adjustment"), action)
    assert 'name="note"' in page.content.decode()
    without_note = client.post(url("adjustment"), {**action, "confirmed": "yes", "note": " "})
    assert "Write a note saying why." in without_note.content.decode()
    client.post(url("adjustment"), {**action, "confirmed": "yes", "note": "no evidence"})
    adjustment.refresh_from_db()
    assert (adjustment.status, adjustment.decision_note) == ("rejected", "no evidence")


def test_account_changelist_query_count_does_not_grow_with_rows(
    second_approver, client, django_assert_max_num_queries
):
    UserAccountFactory.create_batch(120)
    client.force_login(second_approver)
    with django_assert_max_num_queries(8):
        response = client.get(url("account"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 100


def test_transaction_changelist_query_count_does_not_grow_with_rows(
    second_approver, client, django_assert_max_num_queries
):
    account = UserAccountFactory()
    for number in range(110):
        fund(account, "1.00", key=f"deposit:{number}")
    client.force_login(second_approver)
    with django_assert_max_num_queries(10):
        response = client.get(url("transaction"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 100
    assert Transaction.objects.count() == 110


def test_adjustment_and_hold_changelists_query_count_does_not_grow_with_rows(
    roles, client, django_assert_max_num_queries
):
    proposer = StaffUserFactory()
    proposer.groups.add(Group.objects.get(name=SENIOR_FINANCE))
    for number in range(105):
        account = funded_account("10.00")
        hold_funds(
            account=account, amount=Decimal("1.00"), reference=f"wd-{number}", actor=TEST_ACTOR
        )
        propose_adjustment(
            account=account, direction="credit", amount=Decimal("1.00"), reason="r", actor=proposer
        )
    client.force_login(proposer)
    for model in ("adjustment", "hold"):
        with django_assert_max_num_queries(10):
            response = client.get(url(model))
        assert len(response.context["cl"].result_list) == 100
