"""Routes of the fake Flutterwave for payouts: banks, account resolve, transfers (§1.1-§1.7).

- GET  /v3/banks/NG                 "flutterwave.banks"
- POST /v3/accounts/resolve         "flutterwave.resolve"
- POST /v3/transfers                "flutterwave.transfers.create"
- GET  /v3/transfers/<id>           "flutterwave.transfers.get"
- GET  /v3/transfers?reference=...  "flutterwave.transfers.list" (also page, status, from, to)

The quoted names are for failure injection (apps/sandbox/failures.py) and the ApiCall log.
On "flutterwave.transfers.create" injected failures play "accepted, then the answer was lost"
(§1.7): the transfer is stored first, then http_500 / http_502 / malformed_json replace the
answer and delay_seconds holds it back (past a client's read timeout, if long enough). Only
http_429 and http_403_blocked come before, and store nothing. Reads move due transfers first
(transfers.advance_transfer). Lists have PAGE_SIZE transfers a page, newest first; from/to are
UTC dates (YYYY-MM-DD), both ends included.
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from http import HTTPStatus

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.sandbox import services
from apps.sandbox.failures import Kind, consume_failure
from apps.sandbox.flutterwave import banks, transfers, wire
from apps.sandbox.flutterwave.endpoint import (
    INVALID_KEY,
    _error_body,
    _key_matches,
    error_response,
    flutterwave_endpoint,
)
from apps.sandbox.guards import sandbox_only
from apps.sandbox.models import FlutterwaveTransfer
from apps.sandbox.provider_fakes import (
    _loggable_request,
    failure_response,
    json_body,
    json_response,
)

CREATE = "flutterwave.transfers.create"
PAGE_SIZE = 10
TEXT_LIMIT = 100
BEFORE_PROCESSING = frozenset({Kind.HTTP_429, Kind.HTTP_403_BLOCKED})
ONE_DAY = timedelta(days=1)


class BadRequest(ValueError):
    """The request is not one Flutterwave would accept; the text says why."""


# --- banks and account resolve ---------------------------------------------------------------


@flutterwave_endpoint("flutterwave.banks", http_method="GET")
def bank_list(request: HttpRequest, country: str) -> HttpResponse:
    if country.upper() != "NG":
        return error_response(HTTPStatus.BAD_REQUEST, "The sandbox only has banks for NG")
    data = [banks.wire(bank) for bank in banks.BANKS]
    return json_response(wire.ok("Banks fetched successfully", data))


@flutterwave_endpoint("flutterwave.resolve", http_method="POST")
def resolve_account(request: HttpRequest) -> HttpResponse:
    try:
        body = _object(request)
        account_number = _text(body, "account_number", required=True)
        bank_code = _text(body, "account_bank", required=True)
    except BadRequest as error:
        return error_response(HTTPStatus.BAD_REQUEST, str(error))
    if not banks.is_nuban(account_number):
        return error_response(HTTPStatus.BAD_REQUEST, "Account number must be 10 digits")
    name = banks.account_name(bank_code, account_number)
    if name is None:
        return error_response(HTTPStatus.BAD_REQUEST, banks.UNRESOLVABLE)
    data = {"account_number": account_number, "account_name": name}
    return json_response(wire.ok("Account details fetched", data))


# --- transfers -------------------------------------------------------------------------------


def _answer_then_fail(view):
    """flutterwave_endpoint for POST /v3/transfers, with failures injected after the work."""

    @sandbox_only
    @csrf_exempt
    @never_cache
    @functools.wraps(view)
    def endpoint(request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        failure = consume_failure(CREATE)
        kind = failure.kind if failure else ""
        retry_after = failure.retry_after if failure else None
        if kind in BEFORE_PROCESSING:
            response = failure_response(kind, _error_body, retry_after)
        else:
            response = _keyed(view, request)
            if kind == Kind.DELAY:
                time.sleep(failure.delay_seconds or 0)
            elif kind:
                response = failure_response(kind, _error_body, retry_after)
        services.record_api_call(
            method=CREATE,
            params=_loggable_request(request),
            http_status=response.status_code,
            ok=response.status_code < HTTPStatus.BAD_REQUEST and kind != Kind.MALFORMED_JSON,
            description=f"HTTP {response.status_code}",
            injected=kind,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        return response

    return endpoint


def _keyed(view, request: HttpRequest) -> HttpResponse:
    if not _key_matches(request):
        return error_response(HTTPStatus.UNAUTHORIZED, INVALID_KEY)
    if request.method != "POST":
        return error_response(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed")
    return view(request)


@_answer_then_fail
def create_transfer(request: HttpRequest) -> HttpResponse:
    try:
        fields = _transfer_fields(_object(request))
        transfer = transfers.create_transfer(**fields)
    except (BadRequest, transfers.TransferRefused) as error:
        return error_response(HTTPStatus.BAD_REQUEST, str(error))
    data = transfers.transfer_data(transfer)
    return json_response(wire.ok("Transfer Queued Successfully", data))


@flutterwave_endpoint("flutterwave.transfers.list", http_method="GET")
def list_transfers(request: HttpRequest) -> HttpResponse:
    reference = request.GET.get("reference", "").strip()
    found = FlutterwaveTransfer.objects.order_by("-id")
    if reference:
        found = found.filter(reference=reference)
        for transfer in found:
            transfers.advance_transfer(transfer)
    else:
        transfers.advance_transfers()
    try:
        found = _filtered(found, request.GET)
        page_number = _page_number(request.GET.get("page"))
    except BadRequest as error:
        return error_response(HTTPStatus.BAD_REQUEST, str(error))
    paginator = Paginator(found, PAGE_SIZE)
    total_pages = max(paginator.num_pages, 1)
    page = paginator.page(page_number) if page_number <= paginator.num_pages else []
    data = [_listed(transfer) for transfer in page]
    meta = {
        "page_info": {
            "total": paginator.count,
            "current_page": page_number,
            "total_pages": total_pages,
        }
    }
    return json_response(wire.ok("Transfers fetched", data, meta=meta))


@flutterwave_endpoint("flutterwave.transfers.get", http_method="GET")
def get_transfer(request: HttpRequest, transfer_id: int) -> HttpResponse:
    pk = transfer_id - FlutterwaveTransfer.ID_BASE
    transfer = FlutterwaveTransfer.objects.filter(pk=pk).first() if pk > 0 else None
    if transfer is None:
        return error_response(HTTPStatus.NOT_FOUND, "No transfer was found for this id")
    transfer = transfers.advance_transfer(transfer)
    return json_response(wire.ok("Transfer fetched", _listed(transfer)))


@csrf_exempt
def transfers_collection(request: HttpRequest) -> HttpResponse:
    """/v3/transfers: POST creates a transfer, anything else is the list."""
    if request.method == "POST":
        return create_transfer(request)
    return list_transfers(request)


# --- reading requests ------------------------------------------------------------------------


def _listed(transfer: FlutterwaveTransfer) -> dict:
    return {**transfers.transfer_data(transfer), "approver": None}


def _object(request: HttpRequest) -> dict:
    try:
        body = json_body(request)
    except ValueError:
        raise BadRequest("Invalid JSON body") from None
    if not isinstance(body, dict):
        raise BadRequest("Invalid request body")
    return body


def _text(body: dict, name: str, *, required: bool) -> str:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    value = value.strip()
    if len(value) > TEXT_LIMIT:
        raise BadRequest(f"{name} must be at most {TEXT_LIMIT} characters")
    return value


def _amount(value) -> Decimal:
    if isinstance(value, bool) or value in (None, ""):
        raise BadRequest("amount is required")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadRequest("amount must be a number") from None
    if not amount.is_finite() or amount <= 0:
        raise BadRequest("amount must be greater than 0")
    if amount != amount.quantize(wire.KOBO):
        raise BadRequest("amount must have at most 2 decimal places")
    return amount


def _transfer_fields(body: dict) -> dict:
    if _text(body, "currency", required=True).upper() != "NGN":
        raise BadRequest("The sandbox only pays out NGN")
    debit_currency = _text(body, "debit_currency", required=False)
    if debit_currency and debit_currency.upper() != "NGN":
        raise BadRequest("The sandbox only has an NGN balance")
    return {
        "reference": _text(body, "reference", required=False),
        "bank_code": _text(body, "account_bank", required=True),
        "account_number": _text(body, "account_number", required=True),
        "amount": _amount(body.get("amount")),
        "narration": _text(body, "narration", required=False),
    }


def _filtered(found, query):
    status = query.get("status", "").strip().upper()
    if status:
        if status not in FlutterwaveTransfer.Status.values:
            raise BadRequest("status must be one of NEW, PENDING, SUCCESSFUL, FAILED")
        found = found.filter(status=status)
    start, end = _day(query.get("from")), _day(query.get("to"))
    if start:
        found = found.filter(created_at__gte=_midnight(start))
    if end:
        found = found.filter(created_at__lt=_midnight(end) + ONE_DAY)
    return found


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest("from and to must be dates (YYYY-MM-DD)") from None


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _page_number(value: str | None) -> int:
    if not value:
        return 1
    if not value.strip().isdigit() or int(value) < 1:
        raise BadRequest("page must be a whole number from 1")
    return int(value)
