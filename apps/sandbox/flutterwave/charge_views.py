"""Fake Flutterwave v3 bank-transfer charges (legacy spec §3.8; external-apis.md §1).

POST /v3/charges?type=bank_transfer creates a pending charge with an account to pay into; a
tx_ref used before is refused with 400 (wording unconfirmed, like transfers' §1.8).
GET /v3/transactions/verify_by_reference?tx_ref= answers the transaction, or 404 "No transaction
was found for this id". Injected 5xx and malformed answers on "flutterwave.charges" come *after*
the charge is created: Flutterwave's gateway can time out on a request it processed (§1.7).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from http import HTTPStatus

from apps.sandbox.flutterwave import charges, wire
from apps.sandbox.flutterwave.endpoint import error_response, flutterwave_endpoint
from apps.sandbox.models import FlutterwaveCharge
from apps.sandbox.provider_fakes import json_body, json_response

NOT_FOUND = "No transaction was found for this id"
TX_REF_LIMIT = 100


class BadCharge(ValueError):
    """The request body is not a charge Flutterwave would accept; the text says why."""


def _amount(value) -> Decimal:
    if isinstance(value, bool) or value in (None, ""):
        raise BadCharge("amount is required")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BadCharge("amount must be a number") from None
    if not amount.is_finite() or amount <= 0:
        raise BadCharge("amount must be greater than 0")
    if amount != amount.quantize(wire.KOBO):
        raise BadCharge("amount must have at most 2 decimal places")
    return amount


def _text(body: dict, name: str, *, required: bool) -> str:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise BadCharge(f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise BadCharge(f"{name} must be a string")
    return value.strip()


def _charge_fields(body) -> dict:
    if not isinstance(body, dict):
        raise BadCharge("Invalid request body")
    tx_ref = _text(body, "tx_ref", required=True)
    if len(tx_ref) > TX_REF_LIMIT:
        raise BadCharge(f"tx_ref must be at most {TX_REF_LIMIT} characters")
    if _text(body, "currency", required=True).upper() != "NGN":
        raise BadCharge("Bank transfer charges are only available in NGN")
    return {
        "tx_ref": tx_ref,
        "amount": _amount(body.get("amount")),
        "email": _text(body, "email", required=True),
        "fullname": _text(body, "fullname", required=False),
        "phone_number": _text(body, "phone_number", required=False),
    }


@flutterwave_endpoint("flutterwave.charges", http_method="POST", fail_after_processing=True)
def create_charge(request):
    if request.GET.get("type") != "bank_transfer":
        return error_response(HTTPStatus.BAD_REQUEST, "Only type=bank_transfer is available")
    try:
        fields = _charge_fields(json_body(request))
        charge = charges.create_charge(**fields)
    except charges.DuplicateReference:
        return error_response(HTTPStatus.BAD_REQUEST, "Duplicate transaction reference")
    except BadCharge as error:
        return error_response(HTTPStatus.BAD_REQUEST, str(error))
    except ValueError:
        return error_response(HTTPStatus.BAD_REQUEST, "Invalid JSON body")
    # This answer has no data, only meta (Flutterwave's SDK fixtures).
    authorization = wire.bank_transfer_authorization(charge)
    return json_response(
        {
            "status": "success",
            "message": "Charge initiated",
            "meta": {"authorization": authorization},
        }
    )


@flutterwave_endpoint("flutterwave.verify", http_method="GET")
def verify_by_reference(request):
    tx_ref = request.GET.get("tx_ref", "").strip()
    if not tx_ref:
        return error_response(HTTPStatus.BAD_REQUEST, "tx_ref is required")
    charge = FlutterwaveCharge.objects.filter(tx_ref=tx_ref).first()
    if charge is None:
        return error_response(HTTPStatus.NOT_FOUND, NOT_FOUND)
    return json_response(wire.ok("Transaction fetched successfully", wire.charge_data(charge)))
