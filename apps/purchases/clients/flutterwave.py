"""Flutterwave v3: NGN invoice charges and NGN bank payouts (legacy spec §3.8; external-apis.md §1).

Every call carries `Authorization: Bearer <FLUTTERWAVE_SECRET_KEY>`; ProviderClient never puts
headers in messages or logs, and Flutterwave's own messages are scrubbed of the key before they
reach ours.

- create_bank_transfer_charge is sent once (a POST is not idempotent): after a timeout or a 5xx
  the charge may exist, so the caller looks it up with verify_by_reference before sending again.
- verify_by_reference is how completion is confirmed; a `charge.completed` webhook only says
  "look now" (its body is unsigned, §1.9).
- create_transfer is sent once, under a reference the caller stored first. A timeout
  (ProviderTimeout), a 5xx or a dropped connection (ProviderUnavailable) or DuplicateReference
  mean "the transfer may exist": look it up with find_transfer, never send it under a new
  reference. TransferRefused is a definite no (nothing was made): Flutterwave's reason is in
  `.reason`. Other ProviderRejected (401 key, 403, 429) are about us, not the transfer.
- get_transfer / find_transfer / list_transfers read payouts; a `transfer.completed` webhook
  only names the transfer to re-read (parse_transfer_webhook).
- list_banks / nigerian_banks (cached for a day) / search_banks feed the bank picker, and
  resolve_account the account-name check before a withdrawal is requested.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from apps.common.http.breaker import CircuitBreaker
from apps.common.http.errors import ProviderRejected
from apps.common.typed import whole_number
from apps.purchases.clients.decimal_json import DecimalJsonClient, to_decimal

BREAKER_NAME = "flutterwave"
VERIF_HASH_HEADER = "verif-hash"
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

BANKS_CACHE_KEY = "flutterwave:banks:NG"
BANKS_CACHE_SECONDS = 24 * 60 * 60
NUBAN = re.compile(r"[0-9]{10}")  # not \d: it matches every script's digits
# Codes are digits in practice ("044", "50211", "090267"); anything list_banks gives is
# accepted, but a bank *name* (the legacy bug) is refused.
BANK_CODE = re.compile(r"[0-9A-Za-z]{2,16}")
TEXT_LIMIT = 100  # Flutterwave's SDK caps reference and narration at 100 characters
REASON_LIMIT = 300
# Status codes that say something about us (key, IP whitelist, rate limit, a wrong URL), not
# about the transfer: a definite "no" for this call, but not a refusal of the payout.
NOT_ABOUT_THE_TRANSFER = frozenset({401, 403, 404, 405, 429})
DUPLICATE_MARKERS = ("duplicate", "already exist")
# Followed pages of a transfer list, at most (Flutterwave pages hold 10 to 50 transfers).
MAX_LIST_PAGES = 1000
TRANSFER_COMPLETED = "transfer.completed"
INITIALS_SKIP = frozenset({"of", "for", "and", "the", "plc", "ltd", "limited"})


class TransferStatus:
    """Transfer.status values (upper-case, as Flutterwave writes them, §1.2)."""

    NEW = "NEW"
    PENDING = "PENDING"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    FINAL = frozenset({SUCCESSFUL, FAILED})


class DuplicateReference(ProviderRejected):
    """Flutterwave already has a transfer under this reference: look it up, do not resend."""


class TransferRefused(ProviderRejected):
    """Flutterwave refused the payout for good (insufficient balance, invalid or blacklisted
    account...): no transfer was made. REASON is Flutterwave's message, safe to show staff."""

    def __init__(self, message: str, *, reason: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason


@dataclass(frozen=True)
class Bank:
    code: str  # "044", "090267": a string, the leading zeros matter
    name: str


@dataclass(frozen=True)
class Transfer:
    """A payout as Flutterwave reports it (create, get, find, list)."""

    id: int
    reference: str
    status: str  # upper-case: NEW, PENDING, SUCCESSFUL, FAILED (TransferStatus)
    amount: Decimal
    fee: Decimal | None
    bank_code: str
    account_number: str
    full_name: str
    complete_message: str
    created_at: datetime  # aware
    currency: str = "NGN"
    bank_name: str = ""
    narration: str = ""

    @property
    def is_final(self) -> bool:
        return self.status in TransferStatus.FINAL


@dataclass(frozen=True)
class TransferEvent:
    """What a transfer webhook names: which transfer to re-fetch. Never proof of anything."""

    id: int | None
    reference: str | None
    status: str  # upper-case as the body claims it; "" when absent


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
    digits = whole_number(value.strip(), max_digits=20) if isinstance(value, str) else None
    if digits is not None:
        value = digits
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
        self._secret_key = secret_key

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

    # --- banks and accounts ---

    def list_banks(self) -> list[Bank]:
        """Nigerian banks and their codes (GET /v3/banks/NG), sorted by name."""
        response = self.request("GET", "/v3/banks/NG")
        data = self._envelope(response).get("data")
        if not isinstance(data, list):
            raise self.unexpected(response, "a bank list that is not a list")
        found = {}
        for item in data:
            if not isinstance(item, dict):
                continue
            code, name = item.get("code"), item.get("name")
            # A number would have lost its leading zeros: only strings are codes we can use.
            if isinstance(code, str) and code.strip() and isinstance(name, str) and name.strip():
                found[code.strip()] = Bank(code=code.strip(), name=" ".join(name.split()))
        if not found:
            raise self.unexpected(response, "an empty bank list")
        return sorted(found.values(), key=lambda bank: (bank.name.casefold(), bank.code))

    def resolve_account(self, *, account_number: str, bank_code: str) -> str | None:
        """The name on ACCOUNT_NUMBER at BANK_CODE, or None when Flutterwave cannot resolve it.

        Any 400 error envelope is "not resolved" (its wording varies, §1.6); 5xx, timeouts and
        other refusals raise. A lookup: safe to retry.
        """
        _check_account(account_number, bank_code)
        try:
            response = self.request(
                "POST",
                "/v3/accounts/resolve",
                json={"account_number": account_number, "account_bank": bank_code},
                idempotent=True,
            )
        except ProviderRejected as error:
            if error.status_code == httpx.codes.BAD_REQUEST and _is_error_envelope(error.body):
                return None
            raise
        data = self._envelope(response).get("data")
        name = data.get("account_name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise self.unexpected(response, "a resolved account without a name")
        return " ".join(name.split())

    # --- transfers ---

    def create_transfer(
        self,
        *,
        reference: str,
        bank_code: str,
        account_number: str,
        amount_ngn: Decimal,
        narration: str,
    ) -> Transfer:
        """Pay AMOUNT_NGN to the account; sent exactly once (see the module docstring)."""
        body = _transfer_body(reference, bank_code, account_number, amount_ngn, narration)
        try:
            response = self.request("POST", "/v3/transfers", json=body, idempotent=False)
        except ProviderRejected as error:
            raise self._refusal(error) from error
        transfer = self._transfer(response, self._envelope(response).get("data"))
        if transfer.reference != reference:
            raise self.unexpected(response, "a transfer with another reference")
        return transfer

    def get_transfer(self, transfer_id: int) -> Transfer:
        """The transfer Flutterwave numbered TRANSFER_ID (data.id of create)."""
        if isinstance(transfer_id, bool) or not isinstance(transfer_id, int) or transfer_id < 1:
            raise ValueError("transfer_id must be a positive int")
        response = self.request("GET", f"/v3/transfers/{transfer_id}")
        transfer = self._transfer(response, self._envelope(response).get("data"))
        if transfer.id != transfer_id:
            raise self.unexpected(response, "another transfer than the one asked for")
        return transfer

    def find_transfer(self, reference: str) -> Transfer | None:
        """The transfer made under our REFERENCE, or None while Flutterwave knows none (§1.4)."""
        _check_text("reference", reference, required=True)
        response = self.request("GET", "/v3/transfers", params={"reference": reference})
        transfers = self._transfers_in(response, self._envelope(response))
        # Only an exact match counts: a server that ignored the filter must not hand us a
        # stranger's transfer as ours.
        return next((t for t in transfers if t.reference == reference), None)

    def list_transfers(
        self, *, day: date | None = None, status: str | None = None
    ) -> Iterator[Transfer]:
        """Every transfer (created on DAY, with STATUS), newest first, page after page.

        DAY is a date in the project's time zone. Which zone Flutterwave's from/to use is not
        documented, so the query spans a day either side and the day is cut here from each
        transfer's created_at. A transfer seen on two pages (the list moved) comes once.
        """
        params: dict[str, Any] = {}
        if day is not None:
            params["from"] = (day - timedelta(days=1)).isoformat()
            params["to"] = (day + timedelta(days=1)).isoformat()
        if status:
            params["status"] = status.strip().upper()
        zone = timezone.get_default_timezone()
        seen: set[int] = set()
        page = 1
        while page <= MAX_LIST_PAGES:
            response = self.request("GET", "/v3/transfers", params={**params, "page": page})
            envelope = self._envelope(response)
            transfers = self._transfers_in(response, envelope)
            for transfer in transfers:
                if transfer.id in seen:
                    continue
                seen.add(transfer.id)
                if day is None or transfer.created_at.astimezone(zone).date() == day:
                    yield transfer
            total_pages = _total_pages(envelope)
            if not transfers or total_pages is None or page >= total_pages:
                return
            page += 1

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

    def _transfer(self, response: httpx.Response, data: Any) -> Transfer:
        if not isinstance(data, dict):
            raise self.unexpected(response, "a transfer without data")
        try:
            return _transfer_from(data)
        except (KeyError, TypeError, ValueError):
            raise self.unexpected(
                response, "a transfer missing id, reference, status, amount or date"
            ) from None

    def _transfers_in(self, response: httpx.Response, envelope: dict) -> list[Transfer]:
        data = envelope.get("data")
        if data is None:
            return []
        if not isinstance(data, list):
            raise self.unexpected(response, "a transfer list that is not a list")
        return [self._transfer(response, item) for item in data]

    def _refusal(self, error: ProviderRejected) -> ProviderRejected:
        """A 4xx on create as what it means for the payout (see the module docstring)."""
        body = error.body
        if error.status_code in NOT_ABOUT_THE_TRANSFER or not _is_error_envelope(body):
            return error
        reason = self._scrub(str(body.get("message") or "")).strip()[:REASON_LIMIT]
        where = f"{self.provider}: POST /v3/transfers"
        kwargs = {"provider": self.provider, "status_code": error.status_code, "body": body}
        if any(marker in reason.lower() for marker in DUPLICATE_MARKERS):
            return DuplicateReference(
                f"{where}: the reference was used before (HTTP {error.status_code})", **kwargs
            )
        return TransferRefused(
            f"{where} refused the transfer (HTTP {error.status_code}): {reason or 'no reason'}",
            reason=reason,
            **kwargs,
        )

    def _scrub(self, text: str) -> str:
        """TEXT without our secret key, should a provider ever echo it back."""
        return text.replace(self._secret_key, "[REDACTED]") if self._secret_key else text


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


def _check_text(name: str, value: Any, *, required: bool) -> None:
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{name} must be a non-empty string")
    if len(value) > TEXT_LIMIT:
        raise ValueError(f"{name} must be at most {TEXT_LIMIT} characters")


def _check_account(account_number: Any, bank_code: Any) -> None:
    if not isinstance(account_number, str) or not NUBAN.fullmatch(account_number):
        raise ValueError("account_number must be 10 digits")
    if not isinstance(bank_code, str) or not BANK_CODE.fullmatch(bank_code):
        raise ValueError("bank_code must be Flutterwave's bank code (e.g. '044'), not a name")


def _json_amount(amount_ngn: Any) -> int | float:
    """AMOUNT_NGN as the JSON number Flutterwave documents (§1.1), digit for digit.

    json writes a float with the shortest digits that read back as it, so any whole-kobo
    amount below 10**13 goes out exactly as written; the check proves it for this one.
    """
    if not isinstance(amount_ngn, Decimal) or not amount_ngn.is_finite() or amount_ngn <= 0:
        raise ValueError("amount_ngn must be a positive Decimal")
    if amount_ngn != amount_ngn.quantize(KOBO):
        raise ValueError("amount_ngn must be whole kobo (2 decimal places)")
    if amount_ngn == amount_ngn.to_integral_value():
        return int(amount_ngn)
    number = float(amount_ngn)
    if Decimal(json.dumps(number)) != amount_ngn:
        raise ValueError("amount_ngn is too large to send exactly")
    return number


def _transfer_body(
    reference: str, bank_code: str, account_number: str, amount_ngn: Decimal, narration: str
) -> dict:
    _check_text("reference", reference, required=True)
    _check_text("narration", narration, required=False)
    _check_account(account_number, bank_code)
    return {
        "account_bank": bank_code,
        "account_number": account_number,
        "amount": _json_amount(amount_ngn),
        "currency": "NGN",
        "debit_currency": "NGN",
        "narration": narration,
        "reference": reference,
    }


def _is_error_envelope(body: Any) -> bool:
    return isinstance(body, dict) and body.get("status") == "error"


def _total_pages(envelope: dict) -> int | None:
    meta = envelope.get("meta")
    page_info = meta.get("page_info") if isinstance(meta, dict) else None
    total = page_info.get("total_pages") if isinstance(page_info, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def _text(data: dict, *names: str) -> str:
    for name in names:
        value = data.get(name)
        if value is not None:
            return str(value)
    return ""


def _created_at(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("created_at is missing")
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    # Flutterwave writes UTC ("...000Z"); a time without a zone is taken as UTC too.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _transfer_from(data: dict) -> Transfer:
    """A Transfer from the v3 transfer object; KeyError/TypeError/ValueError if unusable."""
    transfer_id = data["id"]
    if isinstance(transfer_id, bool) or not isinstance(transfer_id, int):
        raise TypeError("id must be an int")
    status = data["status"]
    reference = data["reference"]
    if not isinstance(status, str) or not status.strip() or not isinstance(reference, str):
        raise ValueError("status and reference must be strings")
    fee = data.get("fee")
    return Transfer(
        id=transfer_id,
        reference=reference,
        status=status.strip().upper(),
        amount=to_decimal(data.get("amount")),
        fee=None if fee is None else to_decimal(fee),
        bank_code=_text(data, "bank_code", "account_bank"),
        account_number=_text(data, "account_number"),
        full_name=_text(data, "full_name", "fullname"),
        complete_message=_text(data, "complete_message"),
        created_at=_created_at(data.get("created_at")),
        currency=_text(data, "currency").upper() or "NGN",
        bank_name=_text(data, "bank_name"),
        narration=_text(data, "narration"),
    )


def parse_transfer_webhook(body: bytes) -> TransferEvent | None:
    """Which transfer a webhook body names: v3 `transfer.completed` or the legacy v2 shape.

    None for anything else (another event, malformed JSON, no id and no reference). The body
    is unsigned: use the result only to decide which transfer to fetch again.
    """
    try:
        payload = json.loads(body, parse_float=Decimal)
    except (TypeError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    if payload.get("event") == TRANSFER_COMPLETED:
        data = payload.get("data")
    elif "event" not in payload and payload.get("event.type") == "Transfer":
        data = payload.get("transfer") or payload.get("data")
    else:
        return None
    if not isinstance(data, dict):
        return None
    transfer_id = data.get("id")
    if isinstance(transfer_id, str):
        transfer_id = whole_number(transfer_id.strip(), max_digits=20)
    if isinstance(transfer_id, bool) or not isinstance(transfer_id, int) or transfer_id < 1:
        transfer_id = None
    reference = data.get("reference")
    if not isinstance(reference, str) or not reference.strip() or len(reference) > TEXT_LIMIT:
        reference = None
    if transfer_id is None and reference is None:
        return None
    status = data.get("status")
    return TransferEvent(
        id=transfer_id,
        reference=reference,
        status=status.strip().upper() if isinstance(status, str) else "",
    )


# --- the bank picker -------------------------------------------------------------------------


def nigerian_banks() -> list[Bank]:
    """Flutterwave's Nigerian banks, kept in the shared cache for a day."""
    cached = cache.get(BANKS_CACHE_KEY)
    if cached:
        return [Bank(code=code, name=name) for code, name in cached]
    with build_flutterwave_client() as client:
        found = client.list_banks()
    # Plain pairs, not pickled dataclasses: a deploy that changes Bank must still read them.
    cache.set(BANKS_CACHE_KEY, [(bank.code, bank.name) for bank in found], BANKS_CACHE_SECONDS)
    return found


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def _match_rank(bank: Bank, query: str, query_words: list[str]) -> int | None:
    """How well BANK matches (lower is better), None when it does not."""
    name = " ".join(_words(bank.name))
    words = name.split()
    if query == bank.code or query == name:
        return 0
    if name.startswith(query):
        return 1
    if any(word.startswith(query) for word in words):
        return 2
    if all(any(word.startswith(part) for word in words) for part in query_words):
        return 3
    if query in name or query.replace(" ", "") in name.replace(" ", ""):
        return 4
    # "uba", "fcmb": initials of the words that are not filler ("for", "of"...).
    initials = "".join(word[0] for word in words if word not in INITIALS_SKIP)
    if len(query) > 1 and initials.startswith(query.replace(" ", "")):
        return 5
    return None


def search_banks(query: str, limit: int = 8) -> list[Bank]:
    """Banks whose name matches QUERY (any case; word starts, then anywhere), best first."""
    query_words = _words(query)
    if not query_words or limit < 1:
        return []
    normalized = " ".join(query_words)
    ranked = []
    for bank in nigerian_banks():
        rank = _match_rank(bank, normalized, query_words)
        if rank is not None:
            ranked.append((rank, bank.name.casefold(), bank.code, bank))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked[:limit]]


def build_flutterwave_client() -> FlutterwaveClient:
    return FlutterwaveClient(
        settings.FLUTTERWAVE_BASE_URL,
        secret_key=settings.FLUTTERWAVE_SECRET_KEY,
        timeout=httpx.Timeout(settings.FLUTTERWAVE_READ_TIMEOUT, connect=5.0),
        breaker=CircuitBreaker(BREAKER_NAME),
    )
