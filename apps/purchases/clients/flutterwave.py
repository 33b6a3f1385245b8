"""Flutterwave v3: bank-transfer charges for NGN invoices (legacy spec §3.8; external-apis.md §1).

Every call carries `Authorization: Bearer <FLUTTERWAVE_SECRET_KEY>`; ProviderClient never puts
headers in messages or logs. The withdrawals app adds transfers, banks and account resolution to
this client later, on the same breaker.

- create_bank_transfer_charge is sent once (a POST is not idempotent): after a timeout or a 5xx
  the charge may exist, so the caller looks it up with verify_by_reference before sending again.
- verify_by_reference is how completion is confirmed; a `charge.completed` webhook only says
  "look now" (its body is unsigned, §1.9).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings

from apps.common.http.breaker import CircuitBreaker
from apps.common.http.errors import ProviderRejected
from apps.purchases.clients.decimal_json import DecimalJsonClient, to_decimal

BREAKER_NAME = "flutterwave"
VERIF_HASH_HEADER = "verif-hash"
# Flutterwave's gateway gives up after ~28 s and answers 503 (§1.7); waiting a little longer
# gets that answer instead of a timeout of our own, which says less.
TIMEOUT = httpx.Timeout(32.0, connect=5.0)
NOT_FOUND_TEXT = "no transaction was found"
KOBO = Decimal("0.01")
# Expiries written without a zone are taken as Lagos time: if they were UTC after all, we
# think the account closes an hour early, never an hour late.
LAGOS = ZoneInfo("Africa/Lagos")
# Epoch numbers above this are milliseconds (seconds would be past the year 5000).
EPOCH_MILLISECONDS_FROM = 10**11
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Transaction statuses as ChargeResult.status holds them.
SUCCESSFUL = "successful"
PENDING = "pending"
FAILED = "failed"


@dataclass(frozen=True)
class BankTransferAccount:
    """Where the payer sends the money: shown to the bot user as it is."""

    tx_ref: str
    transfer_reference: str  # Flutterwave's reference of the charge
    account_number: str
    bank_name: str
    amount: Decimal  # naira Flutterwave expects to arrive, exactly
    note: str  # what Flutterwave asks the payer to know or write (transfer_note)
    expires_at: datetime | None  # aware; None when Flutterwave did not say


@dataclass(frozen=True)
class ChargeResult:
    """A charge as verify_by_reference reports it."""

    id: int
    tx_ref: str
    status: str  # lower-case: "successful", "pending", "failed", ...
    amount: Decimal
    charged_amount: Decimal
    currency: str


def webhook_hash_matches(header_value: str | None) -> bool:
    """Whether a webhook's verif-hash header is our FLUTTERWAVE_WEBHOOK_HASH (§1.9).

    The header is the static secret itself, not a signature: compare in constant time, and
    refuse everything while no hash is configured.
    """
    expected = settings.FLUTTERWAVE_WEBHOOK_HASH or ""
    if not expected or not header_value:
        return False
    return hmac.compare_digest(header_value.encode(), expected.encode())


def parse_expiry(value: Any) -> datetime | None:
    """account_expiration as Flutterwave writes it: epoch ms or s, ISO 8601, or naive local."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | Decimal):
        try:
            number = int(value)
            milliseconds = number if number >= EPOCH_MILLISECONDS_FROM else number * 1000
            return EPOCH + timedelta(milliseconds=milliseconds)
        except (OverflowError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=LAGOS)


class FlutterwaveClient(DecimalJsonClient):
    def __init__(self, base_url: str, *, secret_key: str, **options) -> None:
        headers = {"Authorization": f"Bearer {secret_key}", "Accept": "application/json"}
        super().__init__(base_url, "flutterwave", headers=headers, **options)

    # --- charges ---

    def create_bank_transfer_charge(
        self,
        *,
        tx_ref: str,
        amount_ngn: Decimal,
        email: str,
        fullname: str,
        phone_number: str | None = None,
    ) -> BankTransferAccount:
        """Open a one-off account for the payer to send AMOUNT_NGN to; sent exactly once."""
        body = _charge_body(tx_ref, amount_ngn, email, fullname, phone_number)
        response = self.request(
            "POST",
            "/v3/charges",
            params={"type": "bank_transfer"},
            json=body,
            idempotent=False,
        )
        envelope = self._envelope(response)
        authorization = (envelope.get("meta") or {}).get("authorization")
        if not isinstance(authorization, dict):
            raise self.unexpected(response, "a charge without meta.authorization")
        return self._account(response, tx_ref, authorization)

    def verify_by_reference(self, tx_ref: str) -> ChargeResult | None:
        """The charge TX_REF as Flutterwave sees it now; None while it knows no such charge."""
        try:
            response = self.request(
                "GET", "/v3/transactions/verify_by_reference", params={"tx_ref": tx_ref}
            )
        except ProviderRejected as error:
            if _is_not_found(error):
                return None
            raise
        data = self._envelope(response).get("data")
        if not isinstance(data, dict):
            raise self.unexpected(response, "a transaction without data")
        result = self._charge_result(response, data)
        if result.tx_ref != tx_ref:
            # Flutterwave's own advice: check the reference is the one asked for.
            raise self.unexpected(response, "a transaction with another tx_ref")
        return result

    # --- reading answers ---

    def _envelope(self, response: httpx.Response) -> dict:
        body = self._json(response)
        if not isinstance(body, dict) or body.get("status") != "success":
            raise self.unexpected(response, "an answer without status success")
        return body

    def _account(
        self, response: httpx.Response, tx_ref: str, authorization: dict
    ) -> BankTransferAccount:
        account_number = authorization.get("transfer_account")
        bank_name = authorization.get("transfer_bank")
        if not account_number or not bank_name:
            raise self.unexpected(response, "a charge without an account to pay into")
        try:
            amount = to_decimal(authorization.get("transfer_amount"))
        except ValueError:
            raise self.unexpected(response, "a charge without a transfer amount") from None
        return BankTransferAccount(
            tx_ref=tx_ref,
            transfer_reference=str(authorization.get("transfer_reference") or ""),
            account_number=str(account_number),
            bank_name=str(bank_name),
            amount=amount,
            note=str(authorization.get("transfer_note") or ""),
            expires_at=parse_expiry(authorization.get("account_expiration")),
        )

    def _charge_result(self, response: httpx.Response, data: dict) -> ChargeResult:
        try:
            amount = to_decimal(data.get("amount"))
            charged = data.get("charged_amount")
            charged_amount = amount if charged is None else to_decimal(charged)
            return ChargeResult(
                id=int(data["id"]),
                tx_ref=str(data["tx_ref"]),
                status=str(data["status"]).strip().lower(),
                amount=amount,
                charged_amount=charged_amount,
                currency=str(data.get("currency") or "").upper(),
            )
        except (KeyError, TypeError, ValueError):
            raise self.unexpected(response, "a transaction missing id, status or amount") from None


def _charge_body(
    tx_ref: str, amount_ngn: Decimal, email: str, fullname: str, phone_number: str | None
) -> dict:
    if not isinstance(amount_ngn, Decimal) or not amount_ngn.is_finite() or amount_ngn <= 0:
        raise ValueError("amount_ngn must be a positive Decimal")
    if amount_ngn != amount_ngn.quantize(KOBO):
        raise ValueError("amount_ngn must be whole kobo (2 decimal places)")
    body = {
        "tx_ref": tx_ref,
        # A string keeps the exact kobo (Flutterwave's own examples send "1500").
        "amount": str(amount_ngn.quantize(KOBO)),
        "currency": "NGN",
        "email": email,
        "fullname": fullname,
        # A one-off account for this invoice, not a permanent one for the customer.
        "is_permanent": False,
        "meta": {},
    }
    if phone_number:
        body["phone_number"] = phone_number
    return body


def _is_not_found(error: ProviderRejected) -> bool:
    """Flutterwave's "No transaction was found" answer (a 404 envelope in practice).

    A 404 that is not Flutterwave's envelope (a wrong base URL, a proxy page) stays an error:
    read as "not found yet", it would keep an invoice waiting for ever.
    """
    body = error.body if isinstance(error.body, dict) else {}
    message = body.get("message")
    if isinstance(message, str) and NOT_FOUND_TEXT in message.lower():
        return True
    return error.status_code == httpx.codes.NOT_FOUND and body.get("status") == "error"


def build_flutterwave_client() -> FlutterwaveClient:
    return FlutterwaveClient(
        settings.FLUTTERWAVE_BASE_URL,
        secret_key=settings.FLUTTERWAVE_SECRET_KEY,
        timeout=TIMEOUT,
        breaker=CircuitBreaker(BREAKER_NAME),
    )
