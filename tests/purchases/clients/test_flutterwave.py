"""The Flutterwave client's bank-transfer charges against the fake Flutterwave over loopback."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from apps.common.http.errors import ProviderRejected, ProviderUnavailable
from apps.purchases.clients.flutterwave import (
    BankTransferAccount,
    ChargeResult,
    FlutterwaveClient,
    build_flutterwave_client,
    parse_expiry,
    webhook_hash_matches,
)
from apps.sandbox.failures import inject_failure
from apps.sandbox.flutterwave.charges import pay_charge
from apps.sandbox.models import FlutterwaveCharge
from apps.sandbox.selectors import api_calls

live = pytest.mark.django_db(transaction=True)
TX_REF = "INV-20260001"
AMOUNT = Decimal("16501.20")


def open_charge(**changes) -> BankTransferAccount:
    arguments = {
        "tx_ref": TX_REF,
        "amount_ngn": AMOUNT,
        "email": "700000001@users.viralcore.invalid",
        "fullname": "Ada Lovelace",
        **changes,
    }
    with build_flutterwave_client() as client:
        return client.create_bank_transfer_charge(**arguments)


def verify(tx_ref: str = TX_REF) -> ChargeResult | None:
    with build_flutterwave_client() as client:
        return client.verify_by_reference(tx_ref)


# --- charges ---------------------------------------------------------------------------------


@live
def test_a_charge_gives_the_account_and_exact_amount_to_pay(providers):
    account = open_charge(phone_number="+2348012345678")

    charge = FlutterwaveCharge.objects.get()
    assert account.tx_ref == TX_REF
    assert (account.account_number, account.bank_name) == (charge.account_number, "Sandbox Bank")
    assert account.amount == AMOUNT
    assert account.transfer_reference == charge.flw_ref
    assert account.note
    assert account.expires_at is not None
    assert account.expires_at.tzinfo is not None
    assert timezone.now() < account.expires_at <= timezone.now() + timedelta(hours=1)
    assert (charge.fullname, charge.phone_number) == ("Ada Lovelace", "+2348012345678")


@live
def test_a_new_charge_verifies_as_pending(providers):
    open_charge()

    result = verify()

    assert result.status == "pending"
    assert (result.tx_ref, result.amount, result.currency) == (TX_REF, AMOUNT, "NGN")


@live
def test_a_paid_charge_verifies_as_successful_with_the_amount(providers):
    open_charge()
    pay_charge(TX_REF)

    result = verify()

    assert result == ChargeResult(
        id=FlutterwaveCharge.objects.get().flw_id,
        tx_ref=TX_REF,
        status="successful",
        amount=AMOUNT,
        charged_amount=AMOUNT,
        currency="NGN",
    )


@live
def test_an_underpayment_shows_in_the_verified_amount(providers):
    open_charge()
    pay_charge(TX_REF, amount_ngn=Decimal("16501.19"))

    result = verify()

    assert result.status == "successful"
    assert result.amount == Decimal("16501.19") < AMOUNT


@live
def test_a_failed_payment_verifies_as_failed(providers):
    open_charge()
    pay_charge(TX_REF, status="failed")

    assert verify().status == "failed"


@live
def test_an_unknown_reference_is_none(providers):
    assert verify("INV-never-created") is None


@live
def test_a_wrong_secret_key_is_refused_without_showing_the_key(providers, caplog):
    caplog.set_level(logging.DEBUG)
    wrong_key = "wrong-secret-not-our-key-123"

    with (
        FlutterwaveClient(settings.FLUTTERWAVE_BASE_URL, secret_key=wrong_key) as client,
        pytest.raises(ProviderRejected) as refused,
    ):
        client.verify_by_reference(TX_REF)

    assert refused.value.status_code == 401
    assert refused.value.body["message"] == "Invalid authorization key"
    assert "not-our-key" not in str(refused.value)
    assert "not-our-key" not in caplog.text


@live
def test_an_injected_500_on_create_is_not_retried(providers):
    inject_failure("flutterwave.charges", "http_500")

    with pytest.raises(ProviderUnavailable):
        open_charge()

    # Flutterwave made the charge and answered 500: sent again, it would be a second charge.
    assert len(api_calls("flutterwave.charges")) == 1
    assert FlutterwaveCharge.objects.count() == 1
    assert verify().status == "pending"


@live
def test_a_reused_tx_ref_is_refused(providers):
    open_charge()

    with pytest.raises(ProviderRejected) as refused:
        open_charge(amount_ngn=Decimal("100.00"))

    assert refused.value.status_code == 400
    assert FlutterwaveCharge.objects.count() == 1


@live
def test_verify_is_retried_after_a_500(providers):
    open_charge()
    inject_failure("flutterwave.verify", "http_500")

    assert verify().status == "pending"

    assert [call.http_status for call in api_calls("flutterwave.verify")] == [500, 200]


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("10.001"), 10.5])
def test_an_amount_that_is_not_positive_whole_kobo_is_refused_before_sending(amount):
    with build_flutterwave_client() as client, pytest.raises(ValueError):
        client.create_bank_transfer_charge(
            tx_ref=TX_REF, amount_ngn=amount, email="a@b.invalid", fullname="A"
        )


# --- webhook hash and expiry formats ---------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ("sandbox-verif-hash", True),
        ("sandbox-verif-hash ", False),
        ("SANDBOX-VERIF-HASH", False),
        ("", False),
        (None, False),
    ],
)
def test_the_webhook_hash_must_match_exactly(settings, header, matches):
    settings.FLUTTERWAVE_WEBHOOK_HASH = "sandbox-verif-hash"

    assert webhook_hash_matches(header) is matches


def test_no_webhook_is_accepted_while_no_hash_is_configured(settings):
    settings.FLUTTERWAVE_WEBHOOK_HASH = ""

    assert webhook_hash_matches("") is False
    assert webhook_hash_matches("anything") is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1689847855598, datetime(2023, 7, 20, 10, 10, 55, 598000, tzinfo=UTC)),
        (1689847855, datetime(2023, 7, 20, 10, 10, 55, tzinfo=UTC)),
        ("1689847855598", datetime(2023, 7, 20, 10, 10, 55, 598000, tzinfo=UTC)),
        ("2023-12-31T23:00:00.000Z", datetime(2023, 12, 31, 23, 0, tzinfo=UTC)),
        # No zone: read as Lagos (UTC+1), so we never think the account stays open longer.
        ("2020-04-26 18:40:52", datetime(2020, 4, 26, 17, 40, 52, tzinfo=UTC)),
        ("soon", None),
        (None, None),
    ],
)
def test_account_expiration_is_read_in_every_shape_flutterwave_uses(value, expected):
    assert parse_expiry(value) == expected
