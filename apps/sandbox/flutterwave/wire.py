"""Fake Flutterwave objects as the v3 API writes them: the envelope, a charge, its account."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from apps.sandbox.models import FlutterwaveCharge

KOBO = Decimal("0.01")
# What Flutterwave tells the payer to write on the transfer; shown to the bot user as it is.
TRANSFER_NOTE = "Please make a bank transfer to Viral Core (sandbox)"


def ok(message: str, data=None, **extra) -> dict:
    return {"status": "success", "message": message, "data": data, **extra}


def error(message: str) -> dict:
    return {"status": "error", "message": message, "data": None}


def timestamp(moment: datetime) -> str:
    """Flutterwave's created_at: UTC with milliseconds, e.g. 2020-04-14T16:39:17.000Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def bank_transfer_authorization(charge: FlutterwaveCharge) -> dict:
    """meta.authorization of a bank-transfer charge: the account the payer sends money to.

    account_expiration is epoch milliseconds and transfer_amount a string, as in Flutterwave's
    own SDK fixtures; other shapes exist in the wild and the client accepts them too.
    """
    return {
        "transfer_reference": charge.flw_ref,
        "transfer_account": charge.account_number,
        "transfer_bank": charge.bank_name,
        "account_expiration": int(charge.expires_at.timestamp() * 1000),
        "transfer_note": TRANSFER_NOTE,
        "transfer_amount": str(charge.amount_expected.quantize(KOBO)),
        "mode": "banktransfer",
    }


def charge_data(charge: FlutterwaveCharge) -> dict:
    """data of verify_by_reference and of the charge.completed webhook.

    amount and charged_amount are what the payer sent once paid (an underpayment shows), the
    expected amount until then.
    """
    amount = charge.amount_paid if charge.amount_paid is not None else charge.amount_expected
    return {
        "id": charge.flw_id,
        "tx_ref": charge.tx_ref,
        "flw_ref": charge.flw_ref,
        "device_fingerprint": "N/A",
        "amount": amount,
        "currency": charge.currency,
        "charged_amount": amount,
        "app_fee": Decimal(0),
        "merchant_fee": Decimal(0),
        "processor_response": _processor_response(charge),
        "auth_model": "AUTH",
        "ip": "127.0.0.1",
        "narration": "Sandbox bank transfer",
        "status": charge.status,
        "payment_type": "bank_transfer",
        "created_at": timestamp(charge.created_at),
        "account_id": 1,
        "amount_settled": amount,
        "meta": None,
        "customer": {
            "id": charge.pk,
            "name": charge.fullname or "Anonymous customer",
            "phone_number": charge.phone_number or "N/A",
            "email": charge.email,
            "created_at": timestamp(charge.created_at),
        },
    }


def _processor_response(charge: FlutterwaveCharge) -> str:
    if charge.status == FlutterwaveCharge.Status.SUCCESSFUL:
        return "success"
    if charge.status == FlutterwaveCharge.Status.FAILED:
        return "Transaction failed"
    return "Transaction in progress"
