"""The fake Flutterwave v3 bank-transfer charges: envelopes, errors and the sandbox services."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from apps.sandbox.failures import inject_failure
from apps.sandbox.flutterwave.charges import (
    charge_completed_webhook,
    pay_charge,
    webhook_headers,
)
from apps.sandbox.models import FlutterwaveCharge
from apps.sandbox.provider_fakes import json_text
from apps.sandbox.selectors import api_calls

pytestmark = pytest.mark.django_db

CHARGES = "/sandbox/flutterwave/v3/charges?type=bank_transfer"
VERIFY = "/sandbox/flutterwave/v3/transactions/verify_by_reference"


def bearer(key: str | None = None) -> dict:
    return {"Authorization": f"Bearer {key or settings.FLUTTERWAVE_SECRET_KEY}"}


def charge_body(**changes) -> dict:
    body = {
        "tx_ref": "INV-1001",
        "amount": "16501.20",
        "currency": "NGN",
        "email": "700000001@users.viralcore.invalid",
        "fullname": "Ada Lovelace",
        "is_permanent": False,
        "meta": {},
    }
    return {**body, **changes}


def create(client, headers=None, **changes):
    return client.post(
        CHARGES,
        json.dumps(charge_body(**changes)),
        content_type="application/json",
        headers=headers if headers is not None else bearer(),
    )


def verify(client, tx_ref: str):
    return client.get(VERIFY, {"tx_ref": tx_ref}, headers=bearer())


def test_a_charge_opens_an_account_to_pay_the_exact_amount_into(client):
    before = timezone.now()

    response = create(client)

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["message"]) == ("success", "Charge initiated")
    authorization = body["meta"]["authorization"]
    assert authorization["transfer_amount"] == "16501.20"
    assert len(authorization["transfer_account"]) == 10
    assert authorization["account_expiration"] > before.timestamp() * 1000
    charge = FlutterwaveCharge.objects.get()
    assert (charge.tx_ref, charge.status) == ("INV-1001", "pending")
    assert charge.amount_expected == Decimal("16501.20")


def test_a_tx_ref_used_before_is_refused_with_the_error_envelope(client):
    create(client)

    response = create(client, amount="99.00")

    assert response.status_code == 400
    assert response.json() == {
        "status": "error",
        "message": "Duplicate transaction reference",
        "data": None,
    }
    assert FlutterwaveCharge.objects.count() == 1


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-secret-key"}])
def test_a_missing_or_wrong_secret_key_is_a_401_envelope(client, headers):
    response = create(client, headers=headers)

    assert response.status_code == 401
    assert response.json() == {
        "status": "error",
        "message": "Invalid authorization key",
        "data": None,
    }
    assert not FlutterwaveCharge.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "0"}, "amount must be greater than 0"),
        ({"amount": "10.001"}, "amount must have at most 2 decimal places"),
        ({"currency": "USD"}, "Bank transfer charges are only available in NGN"),
        ({"email": ""}, "email is required"),
    ],
)
def test_a_charge_flutterwave_would_not_accept_is_a_400(client, changes, message):
    response = create(client, **changes)

    assert response.status_code == 400
    assert response.json()["message"] == message


def test_an_unknown_reference_is_flutterwaves_404(client):
    response = verify(client, "INV-unknown")

    assert response.status_code == 404
    assert response.json() == {
        "status": "error",
        "message": "No transaction was found for this id",
        "data": None,
    }


def test_a_new_charge_verifies_as_pending_with_the_expected_amount(client):
    create(client)

    data = verify(client, "INV-1001").json()["data"]

    assert (data["tx_ref"], data["status"], data["currency"]) == ("INV-1001", "pending", "NGN")
    assert data["amount"] == 16501.2
    assert data["payment_type"] == "bank_transfer"


def test_an_underpaid_charge_shows_what_actually_arrived(client):
    create(client)
    pay_charge("INV-1001", amount_ngn=Decimal("16000.00"))

    response = verify(client, "INV-1001")

    assert b'"amount":16000' in response.content
    data = response.json()["data"]
    assert (data["status"], data["charged_amount"]) == ("successful", 16000)


def test_a_charge_is_paid_once(client):
    create(client)
    pay_charge("INV-1001")

    with pytest.raises(ValueError, match="not pending"):
        pay_charge("INV-1001")


def test_the_charge_completed_webhook_describes_the_paid_charge(client):
    create(client)
    charge = pay_charge("INV-1001")

    body = charge_completed_webhook("INV-1001")

    assert body["event"] == "charge.completed"
    data = body["data"]
    assert (data["id"], data["tx_ref"], data["flw_ref"]) == (
        charge.flw_id,
        "INV-1001",
        charge.flw_ref,
    )
    assert (data["status"], data["currency"]) == ("successful", "NGN")
    assert data["amount"] == data["charged_amount"] == Decimal("16501.20")
    assert '"amount":16501.2' in json_text(body)
    assert webhook_headers() == {"verif-hash": settings.FLUTTERWAVE_WEBHOOK_HASH}


def test_an_injected_500_on_create_comes_after_the_charge_exists(client):
    inject_failure("flutterwave.charges", "http_500")

    response = create(client)

    assert response.status_code == 500
    assert response.json()["status"] == "error"
    assert FlutterwaveCharge.objects.get().tx_ref == "INV-1001"
    assert verify(client, "INV-1001").json()["data"]["status"] == "pending"


def test_an_injected_429_on_verify_answers_before_looking(client):
    inject_failure("flutterwave.verify", "http_429", retry_after=2)

    response = verify(client, "INV-1001")

    assert (response.status_code, response["Retry-After"]) == (429, "2")
    [call] = api_calls("flutterwave.verify")
    assert call.injected == "http_429"
