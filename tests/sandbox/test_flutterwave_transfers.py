"""The fake Flutterwave's payouts: banks, resolve, transfers, their schedule, wallet, webhooks."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.utils import timezone

from apps.sandbox.failures import inject_failure
from apps.sandbox.flutterwave import banks, transfers
from apps.sandbox.flutterwave.endpoint import GATEWAY_FAILURE
from apps.sandbox.flutterwave.transfers import (
    MOCK_FAILURE,
    SETTLE_AFTER,
    TransferRefused,
    advance_transfer,
    advance_transfers,
    create_transfer,
    deliver_transfer_webhook,
    set_balance,
    settle_transfer,
    transfer_completed_webhook,
)
from apps.sandbox.models import FlutterwaveTransfer
from apps.sandbox.selectors import api_calls

pytestmark = pytest.mark.django_db

BASE = "/sandbox/flutterwave/v3"
ACCESS = "044"
ACCOUNT = "0123456789"


def bearer(key: str | None = None) -> dict:
    return {"Authorization": f"Bearer {key or settings.FLUTTERWAVE_SECRET_KEY}"}


def post(client, path: str, body, headers=None):
    return client.post(
        BASE + path,
        json.dumps(body),
        content_type="application/json",
        headers=headers if headers is not None else bearer(),
    )


def transfer_body(**changes) -> dict:
    body = {
        "account_bank": ACCESS,
        "account_number": ACCOUNT,
        "amount": 5500,
        "currency": "NGN",
        "debit_currency": "NGN",
        "narration": "ViralCore withdrawal W-1",
        "reference": "VCW-1-1",
    }
    return {**body, **changes}


def make(reference: str = "VCW-1-1", *, now: datetime | None = None, **changes):
    arguments = {
        "reference": reference,
        "bank_code": ACCESS,
        "account_number": ACCOUNT,
        "amount": Decimal("1000.00"),
        "now": now,
        **changes,
    }
    return create_transfer(**arguments)


# --- banks and resolve -----------------------------------------------------------------------


def test_the_nigerian_bank_list_has_real_codes_as_strings(client):
    response = client.get(f"{BASE}/banks/NG", headers=bearer())

    body = response.json()
    assert (response.status_code, body["status"]) == (200, "success")
    codes = {bank["code"]: bank["name"] for bank in body["data"]}
    assert codes["044"] == "Access Bank"
    assert codes["058"] == "GTBank Plc"
    assert codes["057"] == "Zenith Bank"
    assert codes["090267"] == "Kuda Microfinance Bank"
    assert len(codes) == len(body["data"]) >= 20
    assert all(isinstance(bank["id"], int) for bank in body["data"])


def test_banks_need_the_secret_key_and_nigeria(client):
    refused = client.get(f"{BASE}/banks/NG", headers=bearer("wrong-secret-key"))
    ghana = client.get(f"{BASE}/banks/GH", headers=bearer())

    assert refused.status_code == 401
    assert refused.json() == {
        "status": "error",
        "message": "Invalid authorization key",
        "data": None,
    }
    assert ghana.status_code == 400


def test_an_account_resolves_to_a_stable_name(client):
    body = {"account_number": ACCOUNT, "account_bank": ACCESS}

    first = post(client, "/accounts/resolve", body).json()
    second = post(client, "/accounts/resolve", body).json()

    assert first == second
    assert first["status"] == "success"
    assert first["data"]["account_number"] == ACCOUNT
    assert first["data"]["account_name"] == banks.account_name(ACCESS, ACCOUNT)
    assert banks.account_name("058", ACCOUNT)  # any listed bank resolves


@pytest.mark.parametrize(
    ("account_number", "bank_code", "message"),
    [
        ("0123450000", ACCESS, banks.UNRESOLVABLE),
        ("0123456789", "999", banks.UNRESOLVABLE),
        ("012345678", ACCESS, "Account number must be 10 digits"),
        ("01234567890", ACCESS, "Account number must be 10 digits"),
        ("01234S6789", ACCESS, "Account number must be 10 digits"),
        ("", ACCESS, "account_number is required"),
    ],
)
def test_an_account_that_cannot_be_resolved_is_a_400_error_envelope(
    client, account_number, bank_code, message
):
    response = post(
        client, "/accounts/resolve", {"account_number": account_number, "account_bank": bank_code}
    )

    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": message, "data": None}


# --- creating transfers ----------------------------------------------------------------------


def test_a_transfer_is_stored_new_and_answered_like_flutterwave(client):
    response = post(client, "/transfers", transfer_body())

    body = response.json()
    assert (response.status_code, body["status"]) == (200, "success")
    assert body["message"] == "Transfer Queued Successfully"
    stored = FlutterwaveTransfer.objects.get()
    data = body["data"]
    assert data["id"] == stored.flw_id
    assert (data["status"], data["reference"], data["currency"]) == ("NEW", "VCW-1-1", "NGN")
    assert (data["amount"], data["fee"]) == (5500, 26.875)
    assert data["full_name"] == banks.account_name(ACCESS, ACCOUNT)
    assert (data["bank_code"], data["bank_name"]) == (ACCESS, "ACCESS BANK")
    assert data["created_at"].endswith("Z")
    assert stored.amount == Decimal("5500")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reference": "VCW-1-1"}, "Duplicate transfer reference"),
        ({"account_number": "0690000036"}, "Payout was made to a blacklisted account number"),
        ({"account_number": "0123450000"}, banks.UNRESOLVABLE),
        ({"account_number": "12345"}, "Invalid account number"),
        ({"account_bank": "999"}, "Invalid bank code"),
        ({"amount": "12.345"}, "amount must have at most 2 decimal places"),
        ({"amount": -5}, "amount must be greater than 0"),
        ({"amount": "lots"}, "amount must be a number"),
        ({"currency": "USD"}, "The sandbox only pays out NGN"),
        ({"currency": None}, "currency is required"),
        ({"narration": "x" * 101}, "narration must be at most 100 characters"),
    ],
)
def test_a_transfer_flutterwave_would_refuse_is_a_400_and_stores_nothing_new(
    client, changes, message
):
    post(client, "/transfers", transfer_body(reference="VCW-first"))
    post(client, "/transfers", transfer_body())
    before = FlutterwaveTransfer.objects.count()

    response = post(client, "/transfers", transfer_body(**{"reference": "VCW-2-1", **changes}))

    assert response.status_code == 400
    assert response.json() == {"status": "error", "message": message, "data": None}
    assert FlutterwaveTransfer.objects.count() == before


def test_a_transfer_without_a_reference_gets_one(client):
    response = post(client, "/transfers", transfer_body(reference=None))

    assert response.json()["data"]["reference"].startswith("SANDBOX-")


def test_injected_5xx_and_broken_answers_come_after_the_transfer_is_stored(client):
    inject_failure("flutterwave.transfers.create", "http_500")
    inject_failure("flutterwave.transfers.create", "malformed_json")

    failed = post(client, "/transfers", transfer_body(reference="VCW-1-1"))
    broken = post(client, "/transfers", transfer_body(reference="VCW-2-1"))

    assert failed.status_code == 500
    assert failed.json()["message"] == GATEWAY_FAILURE
    assert broken.status_code == 200
    assert set(FlutterwaveTransfer.objects.values_list("reference", flat=True)) == {
        "VCW-1-1",
        "VCW-2-1",
    }
    calls = api_calls("flutterwave.transfers.create")
    assert [(call.injected, call.ok) for call in calls] == [
        ("http_500", False),
        ("malformed_json", False),
    ]


def test_an_injected_429_refuses_before_anything_is_stored(client):
    inject_failure("flutterwave.transfers.create", "http_429", retry_after=3)

    response = post(client, "/transfers", transfer_body())

    assert (response.status_code, response["Retry-After"]) == (429, "3")
    assert not FlutterwaveTransfer.objects.exists()


def test_a_wrong_key_creates_nothing(client):
    response = post(client, "/transfers", transfer_body(), headers=bearer("wrong-secret-x"))

    assert response.status_code == 401
    assert not FlutterwaveTransfer.objects.exists()


# --- schedule and settling -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "settle_after", "final_status"),
    [
        ("VCW-1-1", SETTLE_AFTER, "SUCCESSFUL"),
        ("VCW-1-1_PMCK", SETTLE_AFTER, "SUCCESSFUL"),
        ("VCW-1-1_PMCK_ST_F", SETTLE_AFTER, "FAILED"),
        ("VCW-1-1_PMCKDU_2", timedelta(minutes=2), "SUCCESSFUL"),
        ("VCW-1-1_PMCK_ST_FDU_1", timedelta(minutes=1), "FAILED"),
        ("VCW-1-1_PMCK_ST_FDU_0", timedelta(0), "FAILED"),
        ("VCW_PMCK-not-a-suffix", SETTLE_AFTER, "SUCCESSFUL"),
    ],
)
def test_the_mock_suffixes_decide_how_and_when_a_transfer_ends(
    reference, settle_after, final_status
):
    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    transfer = make(reference, now=start)

    assert transfer.settles_at - start == settle_after
    assert transfer.final_status == final_status
    assert advance_transfer(transfer, start + settle_after).status == final_status


def test_a_transfer_moves_new_pending_then_ends_as_time_passes():
    start = timezone.now()
    transfer = make("VCW-1-1_PMCK_ST_F", now=start)

    assert advance_transfers(start) == []
    assert advance_transfer(transfer, start).status == "NEW"
    assert advance_transfers(start + timedelta(seconds=2)) == []
    assert FlutterwaveTransfer.objects.get().status == "PENDING"
    ended = advance_transfers(start + SETTLE_AFTER)
    assert [(t.reference, t.status) for t in ended] == [("VCW-1-1_PMCK_ST_F", "FAILED")]
    assert ended[0].complete_message == MOCK_FAILURE
    assert ended[0].completed_at is not None
    assert advance_transfers(start + SETTLE_AFTER * 2) == []


def test_settle_transfer_ends_an_open_transfer_once():
    make()

    settled = settle_transfer("VCW-1-1", "failed", message="DISBURSE FAILED: Bank down")

    assert (settled.status, settled.complete_message) == ("FAILED", "DISBURSE FAILED: Bank down")
    with pytest.raises(ValueError, match="ended already"):
        settle_transfer("VCW-1-1")
    with pytest.raises(FlutterwaveTransfer.DoesNotExist):
        settle_transfer("VCW-unknown")
    with pytest.raises(ValueError, match="SUCCESSFUL or FAILED"):
        settle_transfer("VCW-1-1", "PENDING")


def test_the_wallet_pays_amount_and_fee_and_gets_both_back_when_a_transfer_fails():
    set_balance(Decimal("10000"))
    make("VCW-1-1", amount=Decimal("4000.00"))  # fee 10.75
    make("VCW-2-1", amount=Decimal("5000.00"))  # fee 10.75

    assert transfers.balance() == Decimal("978.50")
    with pytest.raises(TransferRefused, match="Insufficient funds"):
        make("VCW-3-1", amount=Decimal("970.00"))
    settle_transfer("VCW-2-1", "FAILED")
    assert transfers.balance() == Decimal("5989.25")
    settle_transfer("VCW-1-1", "SUCCESSFUL")
    assert transfers.balance() == Decimal("5989.25")

    set_balance(None)
    assert transfers.balance() is None
    make("VCW-4-1", amount=Decimal("9999999.00"))
    with pytest.raises(ValueError):
        set_balance(Decimal("-1"))


# --- reading transfers -----------------------------------------------------------------------


def test_the_list_has_pages_of_ten_newest_first(client):
    for number in range(23):
        make(f"VCW-{number}-1")

    first = client.get(f"{BASE}/transfers", headers=bearer()).json()
    third = client.get(f"{BASE}/transfers", {"page": 3}, headers=bearer()).json()
    beyond = client.get(f"{BASE}/transfers", {"page": 4}, headers=bearer()).json()

    assert first["meta"]["page_info"] == {"total": 23, "current_page": 1, "total_pages": 3}
    assert [t["reference"] for t in first["data"]][:2] == ["VCW-22-1", "VCW-21-1"]
    assert len(first["data"]) == 10
    assert [t["reference"] for t in third["data"]] == ["VCW-2-1", "VCW-1-1", "VCW-0-1"]
    assert all(t["approver"] is None for t in third["data"])
    assert beyond["data"] == []


def test_the_list_filters_by_reference_status_and_utc_dates(client):
    make("old", now=datetime(2026, 2, 1, 23, 59, tzinfo=UTC))
    make("day", now=datetime(2026, 2, 2, 10, 0, tzinfo=UTC))
    make("next", now=datetime(2026, 2, 3, 0, 0, tzinfo=UTC))
    make("new")
    settle_transfer("day", "FAILED")

    def references(**query) -> list[str]:
        body = client.get(f"{BASE}/transfers", query, headers=bearer()).json()
        return [transfer["reference"] for transfer in body["data"]]

    assert references(reference="day") == ["day"]
    assert references(reference="nope") == []
    assert references(**{"from": "2026-02-02", "to": "2026-02-02"}) == ["day"]
    assert references(**{"from": "2026-02-02"}) == ["new", "next", "day"]
    assert references(status="failed") == ["day"]
    assert references(status="SUCCESSFUL") == ["next", "old"]  # moved on when listed
    assert references(status="NEW") == ["new"]


@pytest.mark.parametrize(
    "query", [{"page": "0"}, {"page": "two"}, {"status": "DONE"}, {"from": "02/02/2026"}]
)
def test_a_bad_list_query_is_a_400(client, query):
    assert client.get(f"{BASE}/transfers", query, headers=bearer()).status_code == 400


def test_a_transfer_is_read_by_id_and_moved_on_when_due(client):
    transfer = make("VCW-1-1_PMCK", now=timezone.now() - timedelta(minutes=1))

    response = client.get(f"{BASE}/transfers/{transfer.flw_id}", headers=bearer())
    missing = client.get(f"{BASE}/transfers/{transfer.flw_id + 1}", headers=bearer())
    tiny = client.get(f"{BASE}/transfers/5", headers=bearer())

    data = response.json()["data"]
    assert (data["id"], data["status"], data["complete_message"]) == (
        transfer.flw_id,
        "SUCCESSFUL",
        "Successful",
    )
    assert (missing.status_code, tiny.status_code) == (404, 404)
    assert missing.json()["status"] == "error"


def test_injected_failures_on_reads_use_their_own_names(client):
    transfer = make()
    inject_failure("flutterwave.transfers.get", "http_502")
    inject_failure("flutterwave.transfers.list", "http_500")
    inject_failure("flutterwave.banks", "http_500")

    assert client.get(f"{BASE}/transfers/{transfer.flw_id}", headers=bearer()).status_code == 502
    assert client.get(f"{BASE}/transfers", headers=bearer()).status_code == 500
    assert client.get(f"{BASE}/banks/NG", headers=bearer()).status_code == 500
    assert client.get(f"{BASE}/transfers", headers=bearer()).status_code == 200


def test_other_methods_on_transfers_are_refused(client):
    response = client.put(f"{BASE}/transfers", "{}", headers=bearer())

    assert response.status_code == 405


# --- webhooks --------------------------------------------------------------------------------


def test_the_webhook_body_is_the_v3_transfer_completed_event():
    make("VCW-1-1")
    settle_transfer("VCW-1-1", "FAILED", message="DISBURSE FAILED: Insufficient funds")

    body = transfer_completed_webhook("VCW-1-1")
    legacy = transfer_completed_webhook("VCW-1-1", legacy=True)
    lying = transfer_completed_webhook("VCW-1-1", status="SUCCESSFUL")

    assert (body["event"], body["event.type"]) == ("transfer.completed", "Transfer")
    data = body["data"]
    assert (data["status"], data["reference"]) == ("FAILED", "VCW-1-1")
    assert data["complete_message"] == "DISBURSE FAILED: Insufficient funds"
    assert data["fullname"] == banks.account_name(ACCESS, ACCOUNT)
    assert "full_name" not in data
    assert legacy == {"event.type": "Transfer", "transfer": data}
    assert lying["data"]["status"] == "SUCCESSFUL"


class Catcher:
    """A local HTTP server that records webhook deliveries and answers STATUS."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[dict, bytes]] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                catcher.received.append((dict(self.headers), self.rfile.read(length)))
                self.send_response(catcher.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def catcher():
    server = Catcher()
    yield server
    server.close()


def test_a_webhook_is_posted_with_the_verif_hash_as_often_as_asked(catcher):
    make()

    statuses = deliver_transfer_webhook("VCW-1-1", catcher.url, times=3)

    assert statuses == [200, 200, 200]
    assert len(catcher.received) == 3
    headers, body = catcher.received[0]
    assert headers["verif-hash"] == settings.FLUTTERWAVE_WEBHOOK_HASH
    assert headers["Content-Type"].startswith("application/json")
    payload = json.loads(body)
    assert (payload["event"], payload["data"]["reference"]) == ("transfer.completed", "VCW-1-1")
    assert payload["data"]["fee"] == 10.75


def test_a_forged_webhook_carries_a_wrong_hash_and_failures_are_reported(catcher):
    make()
    catcher.status = 500

    statuses = deliver_transfer_webhook("VCW-1-1", catcher.url, forged=True)
    unreachable = deliver_transfer_webhook("VCW-1-1", "http://127.0.0.1:9/hook")

    assert statuses == [500]
    assert catcher.received[0][0]["verif-hash"] != settings.FLUTTERWAVE_WEBHOOK_HASH
    assert unreachable == [None]


def test_ended_transfers_can_be_webhooked_as_they_end(catcher, monkeypatch):
    start = timezone.now()
    make("VCW-1-1", now=start)
    monkeypatch.setattr(transfers, "default_webhook_url", lambda: catcher.url)

    ended = advance_transfers(start + SETTLE_AFTER, send_webhooks=True)

    assert [t.reference for t in ended] == ["VCW-1-1"]
    assert json.loads(catcher.received[0][1])["data"]["status"] == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_our_own_webhook_takes_genuine_deliveries_and_refuses_forged_ones(live_server, settings):
    settings.SANDBOX_BASE_URL = f"{live_server.url}/sandbox"
    make("VCW-unknown-to-withdrawals")

    assert deliver_transfer_webhook("VCW-unknown-to-withdrawals", forged=True) == [401]
    assert deliver_transfer_webhook("VCW-unknown-to-withdrawals") == [200]
