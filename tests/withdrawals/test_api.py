"""The staff API of withdrawals: list, filters, masked accounts, and decisions through the same
services as the admin (permissions, maker-checker, no longer waiting)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from apps.audit.models import AuditEvent
from apps.ledger.models import AccountKind, Hold
from apps.withdrawals.models import Approval, Status, Withdrawal
from tests.factories import BotUserFactory, StaffUserFactory
from tests.ledger.factories import fund

pytestmark = pytest.mark.django_db

URL = "/api/v1/withdrawals/"
FULL_ACCOUNT = "0690000031"


def token_for(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}


def approve(client, withdrawal, auth, payout_mode="manual"):
    return client.post(
        f"{URL}{withdrawal.pk}/approve/",
        {"payout_mode": payout_mode},
        content_type="application/json",
        **auth,
    )


def reject(client, withdrawal, auth, reason="Account name does not match"):
    return client.post(
        f"{URL}{withdrawal.pk}/reject/",
        {"reason": reason},
        content_type="application/json",
        **auth,
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def finance(finance_clerk):
    return token_for(finance_clerk)


@pytest.fixture
def second_user(db):
    user = BotUserFactory(username="second")
    from apps.ledger.services import user_account

    fund(user_account(owner=user, kind=AccountKind.AFFILIATE), "500.00")
    fund(user_account(owner=user, kind=AccountKind.EARNINGS), "50000.00")
    return user


# --- who may read ---


def test_anonymous_callers_must_authenticate(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_staff_without_withdrawal_rights_cannot_read(client):
    assert client.get(URL, **token_for(StaffUserFactory())).status_code == 403


@pytest.mark.parametrize("persona", ["finance_clerk", "second_approver", "superuser"])
def test_finance_reads_the_list(persona, request, client, earner, ask):
    withdrawal = ask(earner, "100.00")
    response = client.get(URL, **token_for(request.getfixturevalue(persona)))
    assert ids(response) == [withdrawal.pk]


# --- what is shown ---


def test_a_withdrawal_shows_its_fields_and_only_a_masked_account(client, finance, earner, ask):
    withdrawal = ask(earner, "100.00")
    row = client.get(URL, **finance).json()["results"][0]
    assert row == {
        "id": withdrawal.pk,
        "user_telegram_id": earner.telegram_id,
        "username": "earner",
        "balance": "affiliate",
        "amount": "100.00",
        "currency": "USD",
        "amount_ngn": "150000.00",
        "amount_usd": "100.00",
        "bank_name": "Access Bank",
        "masked_account": "******0031",
        "status": "requested",
        "status_label": "Waiting for approval",
        "needs_second_approval": False,
        "approvals": 0,
        "payout_mode": "",
        "requested_at": row["requested_at"],
        "approved_at": None,
        "closed_at": None,
        "reason": "",
    }
    detail = client.get(f"{URL}{withdrawal.pk}/", **finance)
    assert detail.status_code == 200 and detail.json() == row
    for response in (client.get(URL, **finance), detail):
        assert FULL_ACCOUNT not in response.content.decode()
        assert "account_number" not in json.dumps(response.json())


def test_an_unknown_withdrawal_is_404(client, finance):
    assert client.get(f"{URL}999999/", **finance).status_code == 404
    assert client.get(f"{URL}abc/", **finance).status_code == 404


# --- filters ---


@pytest.fixture
def three(earner, second_user, ask, finance_clerk):
    """A waiting affiliate request, a large waiting one, and a rejected earnings request."""
    from apps.withdrawals.services.approvals import reject_withdrawal

    small = ask(earner, "100.00")
    large = ask(second_user, "250.00")
    rejected = reject_withdrawal(withdrawal=small, actor=finance_clerk, reason="No")
    earnings = ask(earner, "20000.00", balance=AccountKind.EARNINGS)
    return rejected, large, earnings


def test_filters_by_status_balance_and_second_approval(client, finance, three):
    rejected, large, earnings = three
    assert ids(client.get(URL, {"status": "rejected"}, **finance)) == [rejected.pk]
    waiting = ids(client.get(URL, {"status": "requested,rejected"}, **finance))
    assert waiting == [rejected.pk, large.pk, earnings.pk]  # oldest first
    assert ids(client.get(URL, {"balance": "earnings"}, **finance)) == [earnings.pk]
    assert ids(client.get(URL, {"needs_second_approval": "true"}, **finance)) == [large.pk]
    assert ids(client.get(URL, {"needs_second_approval": "false"}, **finance)) == [
        rejected.pk,
        earnings.pk,
    ]


def test_filters_by_telegram_id_and_request_dates(client, finance, three, second_user):
    rejected, large, earnings = three
    assert ids(client.get(URL, {"telegram_id": second_user.telegram_id}, **finance)) == [large.pk]
    Withdrawal.objects.filter(pk=rejected.pk).update(
        requested_at=timezone.now() - timedelta(days=3)
    )
    today = timezone.now().date()
    from_today = ids(client.get(URL, {"requested_from": today.isoformat()}, **finance))
    assert from_today == [large.pk, earnings.pk]
    to_yesterday = (today - timedelta(days=1)).isoformat()
    assert ids(client.get(URL, {"requested_to": to_yesterday}, **finance)) == [rejected.pk]
    moment = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(client.get(URL, {"requested_to": moment}, **finance)) == [rejected.pk]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "pending"}, "status"),
        ({"balance": "savings"}, "balance"),
        ({"needs_second_approval": "maybe"}, "needs_second_approval"),
        ({"requested_from": "31/01/2026"}, "requested_from"),
        ({"requested_to": "2026-02-30"}, "requested_to"),
        ({"requested_from": "2026-03-11", "requested_to": "2026-03-10"}, "requested_from"),
        ({"telegram_id": "@ada"}, "telegram_id"),
        ({"telegram_id": "²"}, "telegram_id"),  # str.isdigit() says yes, int() says no
    ],
)
def test_a_refused_filter_is_a_400_naming_it(client, finance, params, parameter):
    response = client.get(URL, params, **finance)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_filter"
    assert response.json()["parameter"] == parameter


def test_cursor_pages_cover_every_withdrawal_once(client, finance, ask):
    made = []
    for number in range(5):
        user = BotUserFactory()
        from apps.ledger.services import user_account

        fund(user_account(owner=user, kind=AccountKind.AFFILIATE), "50.00")
        made.append(ask(user, f"{10 + number}.00").pk)
    seen, url, params = [], URL, {"page_size": 2}
    while url:
        page = client.get(url, params, **finance).json()
        seen += [row["id"] for row in page["results"]]
        url, params = page["next"], None
    assert seen == made


# --- decisions ---


def test_finance_approves_through_the_api(client, finance, finance_clerk, earner, ask):
    withdrawal = ask(earner, "100.00")
    response = approve(client, withdrawal, finance, payout_mode="automatic")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["payout_mode"], body["approvals"]) == ("approved", "automatic", 1)
    assert body["approved_at"] is not None
    approval = Approval.objects.get(withdrawal=withdrawal)
    assert approval.approver == finance_clerk
    event = AuditEvent.objects.get(action="withdrawal.approved", object_id=str(withdrawal.pk))
    assert event.actor_label == finance_clerk.get_username()


def test_finance_rejects_through_the_api_and_the_hold_is_released(client, finance, earner, ask):
    withdrawal = ask(earner, "100.00")
    response = reject(client, withdrawal, finance, reason="  Account name does not match  ")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    assert response.json()["reason"] == "Account name does not match"
    assert Hold.objects.get(reference=withdrawal.hold_reference).status == "released"


def test_a_large_withdrawal_needs_a_second_different_senior_approver(
    client, finance, finance_clerk, second_approver, second_user, ask, roles
):
    from tests.conftest import _staff_in

    withdrawal = ask(second_user, "250.00")
    assert withdrawal.needs_second_approval
    first = approve(client, withdrawal, finance)
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["approvals"]) == ("requested", 1)

    again = approve(client, withdrawal, finance)
    assert again.status_code == 403 and "already approved" in again.json()["detail"]
    other_clerk = approve(client, withdrawal, token_for(_staff_in("Finance")))
    assert other_clerk.status_code == 403
    assert "second_approve_withdrawal" in other_clerk.json()["detail"]
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == Status.REQUESTED

    second = approve(client, withdrawal, token_for(second_approver))
    assert second.status_code == 200
    assert (second.json()["status"], second.json()["approvals"]) == ("approved", 2)
    approvers = set(Approval.objects.filter(withdrawal=withdrawal).values_list("approver", flat=1))
    assert approvers == {finance_clerk.pk, second_approver.pk}


def test_support_may_not_approve_or_reject(client, support_agent, earner, ask):
    withdrawal = ask(earner, "100.00")
    auth = token_for(support_agent)
    refused = approve(client, withdrawal, auth)
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "refused",
        "detail": f"{support_agent.get_username()} may not approve withdrawals "
        "(users.approve_withdrawal).",
    }
    assert reject(client, withdrawal, auth).status_code == 403
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == Status.REQUESTED
    assert not Approval.objects.exists()


def test_a_withdrawal_no_longer_waiting_is_a_409(client, finance, earner, ask):
    withdrawal = ask(earner, "100.00")
    assert reject(client, withdrawal, finance).status_code == 200
    for response in (approve(client, withdrawal, finance), reject(client, withdrawal, finance)):
        assert response.status_code == 409
        assert response.json()["error"] == "not_waiting"
        assert "rejected" in response.json()["detail"]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("approve", {}, "payout_mode"),
        ("approve", {"payout_mode": "bitcoin"}, "payout_mode"),
        ("reject", {}, "reason"),
        ("reject", {"reason": "   "}, "reason"),
    ],
)
def test_a_bad_body_is_a_400_and_changes_nothing(client, finance, earner, ask, action, body, field):
    withdrawal = ask(earner, "100.00")
    response = client.post(
        f"{URL}{withdrawal.pk}/{action}/", body, content_type="application/json", **finance
    )
    assert response.status_code == 400
    assert field in response.json()
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == Status.REQUESTED


def test_deciding_on_an_unknown_withdrawal_is_404(client, finance):
    response = client.post(
        f"{URL}999999/approve/",
        {"payout_mode": "manual"},
        content_type="application/json",
        **finance,
    )
    assert response.status_code == 404


def test_a_session_needs_the_csrf_token_to_decide(earner, ask, finance_clerk):
    from django.test import Client

    withdrawal = ask(earner, "100.00")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(finance_clerk)
    response = browser.post(
        f"{URL}{withdrawal.pk}/approve/",
        {"payout_mode": "manual"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == Status.REQUESTED


# --- schema ---


def test_schema_documents_the_endpoints(client, finance_clerk):
    client.force_login(finance_clerk)
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    paths = schema["paths"]
    listing = paths["/api/v1/withdrawals/"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert names >= {
        "status",
        "balance",
        "needs_second_approval",
        "requested_from",
        "requested_to",
        "telegram_id",
        "cursor",
        "page_size",
    }
    assert "get" in paths["/api/v1/withdrawals/{id}/"]
    approve_op = paths["/api/v1/withdrawals/{id}/approve/"]["post"]
    reject_op = paths["/api/v1/withdrawals/{id}/reject/"]["post"]
    for operation in (approve_op, reject_op):
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    properties = schema["components"]["schemas"]["Withdrawal"]["properties"]
    assert "masked_account" in properties and "account_number" not in properties
    approve_body = schema["components"]["schemas"]["Approve"]["properties"]
    assert "payout_mode" in approve_body
