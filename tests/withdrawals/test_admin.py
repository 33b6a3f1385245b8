"""The withdrawals queue in the admin: every page answers, search and filters find the right
rows, the list's query count is pinned, and each role is offered only what it may do."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.audit.actors import Actor
from apps.ledger.models import AccountKind
from apps.ledger.services import user_account
from apps.withdrawals.models import Approval, PayoutAttempt, Status, Withdrawal
from apps.withdrawals.services.approvals import approve_withdrawal, reject_withdrawal
from apps.withdrawals.services.requests import BankAccount
from apps.withdrawals.services.transitions import move
from tests.factories import BotUserFactory
from tests.ledger.factories import fund

pytestmark = pytest.mark.django_db

DECISION_PAGES = ("approve", "reject", "mark_paid", "retry", "refund")
WORKER = Actor.system("payout-worker")


# --- helpers the decision tests share ---


def url(view="changelist", *args) -> str:
    return reverse(f"admin:withdrawals_withdrawal_{view}", args=args)


def funded_user(**fields):
    """A bot user with 300.00 USD of affiliate commission and 50,000 NGN of reply earnings."""
    user = BotUserFactory(**fields)
    fund(user_account(owner=user, kind=AccountKind.AFFILIATE), "300.00")
    fund(user_account(owner=user, kind=AccountKind.EARNINGS), "50000.00")
    return user


def bank(account_number="0690000031", account_name="Ada Obi") -> BankAccount:
    return BankAccount(
        bank_code="044",
        bank_name="Access Bank",
        account_number=account_number,
        account_name=account_name,
    )


def act(client, action, withdrawals, query="", **fields):
    """Post ACTION on WITHDRAWALS from the list (filtered by QUERY), as the list's Go button."""
    data = {"action": action, "_selected_action": [w.pk for w in withdrawals], "index": "0"}
    return client.post(f"{url()}{query}", {**data, **fields})


def confirm(client, action, withdrawals, query="", **fields):
    """Post the confirmation page of ACTION, as its button does."""
    data = {"action": action, "_selected_action": [w.pk for w in withdrawals], "stage": "confirm"}
    return client.post(f"{url()}{query}", {**data, **fields})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def body_of(response) -> str:
    return response.content.decode()


def listed(response) -> list[int]:
    return [withdrawal.pk for withdrawal in response.context["cl"].result_list]


def fail_payout(withdrawal, *, provider_status="FAILED") -> Withdrawal:
    """What the payout worker leaves behind when Flutterwave refuses: a failed withdrawal with
    its attempt (the worker itself is tested elsewhere)."""
    withdrawal = Withdrawal.objects.select_related("user").get(pk=withdrawal.pk)
    withdrawal = move(withdrawal, Status.SENDING, actor=WORKER, attempt=1)
    PayoutAttempt.objects.create(
        withdrawal=withdrawal,
        number=1,
        reference=withdrawal.payout_reference,
        amount_ngn=withdrawal.amount_ngn,
        transfer_id=4242,
        provider_status=provider_status,
        message="Insufficient funds in customer wallet",
    )
    return move(withdrawal, Status.FAILED, actor=WORKER, reason="Insufficient funds")


@pytest.fixture
def waiting(earner, ask):
    return ask(earner, "50.00")


# --- the list ---


def test_queue_shows_waiting_withdrawals_oldest_first(ask, finance_clerk, client):
    first = ask(funded_user(), "10.00")
    second = ask(funded_user(), "20.00", bank=bank("1234567890"))
    decided = ask(funded_user(), "30.00")
    reject_withdrawal(withdrawal=decided, actor=finance_clerk, reason="Wrong account")
    client.force_login(finance_clerk)

    assert listed(client.get(url())) == [first.pk, second.pk]
    assert listed(client.get(url(), {"status": "all"})) == [first.pk, second.pk, decided.pk]
    assert listed(client.get(url(), {"status": "rejected"})) == [decided.pk]


def test_queue_columns_say_who_how_much_where_and_how_far_along(earner, ask, finance_clerk, client):
    large = ask(earner, "250.00")
    approve_withdrawal(withdrawal=large, actor=finance_clerk, payout_mode="manual")
    client.force_login(finance_clerk)
    page = body_of(client.get(url()))
    for text in (
        f"W-{large.pk}",
        str(earner.telegram_id),
        "@earner",
        "$250.00",
        "₦375,000.00",
        "Access Bank",
        "******0031",
        "Waiting for approval",
        "1 of 2",
        "Queue statistics",
    ):
        assert text in page, text
    assert "0690000031" not in page  # the full account number never shows in the list


@pytest.fixture
def findable(earner, ask):
    """A withdrawal with a payout attempt, and another one that no search below should find."""
    target = ask(earner, "20.00", bank=bank("0123456789"))
    PayoutAttempt.objects.create(
        withdrawal=target,
        number=1,
        reference=f"VCW-{target.pk}-1",
        amount_ngn=target.amount_ngn,
        transfer_id=778899,
    )
    ask(funded_user(username="bystander"), "20.00", bank=bank("9999999999"))
    return target


@pytest.mark.parametrize(
    "term",
    [
        "telegram_id",
        "@earner",
        "EARNER",
        "reference",
        "payout_reference",
        "6789",
        "0123456789",
        "778899",
    ],
)
def test_search_finds_a_withdrawal_by_each_kind_of_key(findable, finance_clerk, client, term):
    term = {
        "telegram_id": str(findable.user.telegram_id),
        "reference": f"W-{findable.pk}",
        "payout_reference": f"vcw-{findable.pk}-1",
    }.get(term, term)
    client.force_login(finance_clerk)
    response = client.get(url(), {"q": term})
    assert response.status_code == 200
    assert listed(response) == [findable.pk]


@pytest.mark.parametrize("term", ["9" * 30, "W-" + "9" * 30, "VCW-9-x", "%", "@", "W-", "²"])
def test_search_for_nonsense_answers_and_finds_nothing(ask, finance_clerk, client, term):
    ask(funded_user(username=""), "20.00")
    client.force_login(finance_clerk)
    response = client.get(url(), {"q": term})
    assert response.status_code == 200
    assert listed(response) == []


def test_search_looks_at_every_state(earner, ask, finance_clerk, client):
    withdrawal = ask(earner, "20.00")
    reject_withdrawal(withdrawal=withdrawal, actor=finance_clerk, reason="Duplicate")
    client.force_login(finance_clerk)
    assert listed(client.get(url(), {"q": f"W-{withdrawal.pk}"})) == [withdrawal.pk]


@pytest.fixture
def assorted(ask, finance_clerk):
    """One of each: small NGN, large with one approval, manual approved, failed, paid."""
    small_ngn = ask(funded_user(), "5000.00", balance=AccountKind.EARNINGS)
    large = ask(funded_user(), "250.00")
    approve_withdrawal(withdrawal=large, actor=finance_clerk, payout_mode="manual")
    manual = ask(funded_user(), "60.00")
    approve_withdrawal(withdrawal=manual, actor=finance_clerk, payout_mode="manual")
    failed = ask(funded_user(), "15.00")
    approve_withdrawal(withdrawal=failed, actor=finance_clerk, payout_mode="automatic")
    failed = fail_payout(failed)
    return {"small_ngn": small_ngn, "large": large, "manual": manual, "failed": failed}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["small_ngn", "large"]),
        ({"status": "all"}, ["small_ngn", "large", "manual", "failed"]),
        ({"status": "approved"}, ["manual"]),
        ({"status": "to_pay_by_hand"}, ["manual"]),
        ({"status": "failed_open"}, ["failed"]),
        ({"status": "all", "balance__exact": "earnings"}, ["small_ngn"]),
        ({"status": "all", "amount": "under_10"}, ["small_ngn"]),
        ({"status": "all", "amount": "10_50"}, ["failed"]),
        ({"status": "all", "amount": "50_dual"}, ["manual"]),
        ({"status": "all", "amount": "over_dual"}, ["large"]),
        ({"approvals": "needs_two"}, ["large"]),
        ({"approvals": "one_of_two"}, ["large"]),
        ({"approvals": "none_yet"}, ["small_ngn"]),
        ({"status": "all", "payout_mode__exact": "manual"}, ["manual"]),
        ({"status": "all", "requested_at__gte": "2000-01-01 00:00:00+00:00"}, None),
    ],
)
def test_filters_narrow_the_queue(assorted, finance_clerk, client, params, expected):
    client.force_login(finance_clerk)
    response = client.get(url(), params)
    assert response.status_code == 200
    if expected is None:
        expected = ["small_ngn", "large", "manual", "failed"]
    assert listed(response) == [assorted[name].pk for name in expected]


def test_queue_query_count_is_pinned(ask, finance_clerk, client, django_assert_max_num_queries):
    def load():
        with django_assert_max_num_queries(8) as queries:
            response = client.get(url(), {"status": "all"})
        assert response.status_code == 200
        return len(queries), len(listed(response))

    client.force_login(finance_clerk)
    approve_withdrawal(withdrawal=ask(funded_user(), "250.00"), actor=finance_clerk,
                       payout_mode="manual")  # fmt: skip
    one_row = load()
    for _ in range(29):
        ask(funded_user(), "12.00")
    thirty_rows = load()
    assert thirty_rows == (one_row[0], 30)  # no query per row


# --- the change page ---


def test_change_page_shows_attempts_approvals_flags_and_audit_trail(
    earner, ask, finance_clerk, client
):
    withdrawal = ask(earner, "40.00")
    approve_withdrawal(withdrawal=withdrawal, actor=finance_clerk, payout_mode="automatic")
    fail_payout(withdrawal)
    client.force_login(finance_clerk)
    page = body_of(client.get(url("change", withdrawal.pk)))
    for text in (
        f"VCW-{withdrawal.pk}-1",  # attempt reference
        "4242",  # Flutterwave's transfer id
        "FAILED",
        "Insufficient funds in customer wallet",
        finance_clerk.username,
        "Automatic (Flutterwave)",
        "withdrawal.requested",
        "withdrawal.approved",
        "withdrawal.failed",
        "New account",  # the factory's users were registered just now
        "******0031",
        "Payout failed",
    ):
        assert text in page, text


def test_change_page_offers_only_the_decisions_the_viewer_can_take(
    earner, ask, finance_clerk, second_approver, client
):
    large = ask(earner, "250.00")
    client.force_login(finance_clerk)
    page = body_of(client.get(url("change", large.pk)))
    assert url("approve", large.pk) in page
    assert url("reject", large.pk) in page
    assert url("mark_paid", large.pk) not in page

    approve_withdrawal(withdrawal=large, actor=finance_clerk, payout_mode="manual")
    page = body_of(client.get(url("change", large.pk)))
    assert url("approve", large.pk) not in page  # they approved already
    assert url("reject", large.pk) in page

    client.force_login(second_approver)
    assert url("approve", large.pk) in body_of(client.get(url("change", large.pk)))


@pytest.mark.parametrize("page", DECISION_PAGES)
def test_every_decision_page_answers_and_says_whether_it_can_be_done(
    earner, ask, finance_clerk, client, page
):
    withdrawal = ask(earner, "40.00")
    client.force_login(finance_clerk)
    response = client.get(url(page, withdrawal.pk))
    assert response.status_code == 200
    body = body_of(response)
    assert "Balances now" in body
    assert "Recent ledger entries" in body
    if page in ("approve", "reject"):
        assert 'id="confirm-decision"' in body
    else:
        assert "Cannot be done" in body  # it is waiting, not approved or failed


def test_stats_page_answers_with_the_queue_figures(earner, ask, finance_clerk, client):
    ask(earner, "40.00")
    client.force_login(finance_clerk)
    response = client.get(url("stats"))
    assert response.status_code == 200
    body = body_of(response)
    assert "$40.00" in body
    assert "₦60,000.00" in body
    assert "Average time to approve" in body
    assert url("stats") in body_of(client.get(url()))


def test_the_webhook_log_answers_for_finance(finance_clerk, client):
    from apps.withdrawals.models import FlutterwaveEvent

    event = FlutterwaveEvent.objects.create(
        digest="d" * 64, event="transfer.completed", reference="VCW-1-1", payload={"a": 1}
    )
    client.force_login(finance_clerk)
    changelist = reverse("admin:withdrawals_flutterwaveevent_changelist")
    assert client.get(changelist, {"q": "VCW-1-1"}).status_code == 200
    change = reverse("admin:withdrawals_flutterwaveevent_change", args=[event.pk])
    assert "transfer.completed" in body_of(client.get(change))


# --- roles ---


def test_support_reads_the_queue_but_is_offered_no_decision(earner, ask, support_agent, client):
    withdrawal = ask(earner, "40.00")
    client.force_login(support_agent)
    listing = client.get(url())
    assert listing.status_code == 200
    assert listed(listing) == [withdrawal.pk]
    assert 'name="action"' not in body_of(listing)
    page = client.get(url("change", withdrawal.pk))
    assert page.status_code == 200
    assert page.context["decisions"] == []
    assert client.get(url("stats")).status_code == 200


@pytest.mark.parametrize("page", DECISION_PAGES)
def test_support_cannot_open_a_decision_page(earner, ask, support_agent, client, page):
    withdrawal = ask(earner, "40.00")
    client.force_login(support_agent)
    assert client.get(url(page, withdrawal.pk)).status_code == 403
    response = client.post(url(page, withdrawal.pk), {"stage": "confirm", "reason": "x",
                                                      "payout_mode": "manual"})  # fmt: skip
    assert response.status_code == 403
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == Status.REQUESTED


def test_support_posting_the_approve_action_is_refused(earner, ask, support_agent, client):
    withdrawal = ask(earner, "40.00")
    client.force_login(support_agent)
    for post in (act, confirm):
        response = post(client, "approve_selected", [withdrawal], payout_mode="manual")
        assert response.status_code == 403
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == Status.REQUESTED
    assert not Approval.objects.exists()


def test_finance_sees_the_withdrawals_app_on_the_admin_index(finance_clerk, client):
    client.force_login(finance_clerk)
    assert url() in body_of(client.get(reverse("admin:index")))


def test_amount_range_filter_follows_the_dual_approval_setting(
    ask, finance_clerk, client, settings
):
    settings.WITHDRAWAL_DUAL_APPROVAL_USD = Decimal("100.00")
    withdrawal = ask(funded_user(), "150.00")
    client.force_login(finance_clerk)
    response = client.get(url(), {"amount": "over_dual"})
    assert listed(response) == [withdrawal.pk]
    assert "Over $100.00 (two approvals)" in body_of(response)
