"""The fake Aptos fullnode's wire format, over Django's test client (REST as a fullnode answers)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from apps.purchases.assets import APTOS_USDT_METADATA
from apps.sandbox.chains.aptos import primary_store_address
from apps.sandbox.chains.ledger import advance_head, head_block, include_pending, record_transfer
from apps.sandbox.failures import inject_failure

pytestmark = pytest.mark.django_db

BASE = "/sandbox/chains/aptos/v1"
DEPOSIT = "0x00000000000000000000000000000000000000000000000000000000005afe01"
SENDER = "0x0000000000000000000000000000000000000000000000000000000000000f00"
WHEN = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def by_hash(client, tx_hash):
    return client.get(f"{BASE}/transactions/by_hash/{tx_hash}")


def committed(client, tx_hash):
    response = by_hash(client, tx_hash)
    assert response.status_code == 200
    return response.json()


def events_of(body, event_type):
    return [event for event in body["events"] if event["type"] == event_type]


def resource_at(body, address, resource_type):
    [change] = [
        change
        for change in body["changes"]
        if change["address"] == address and change["data"]["type"] == resource_type
    ]
    assert change["type"] == "write_resource"
    return change["data"]["data"]


def test_an_unknown_hash_is_a_404_aptos_error(client):
    response = by_hash(client, "0x" + "ab" * 32)

    assert response.status_code == 404
    assert response.json() == {
        "message": f"Transaction not found by Transaction hash(0x{'ab' * 32})",
        "error_code": "transaction_not_found",
        "vm_error_code": None,
    }
    assert response["X-Aptos-Ledger-Version"] == str(head_block("aptos"))


def test_a_hash_that_is_not_64_hex_digits_is_a_400(client):
    response = by_hash(client, "0x1234")

    assert response.status_code == 400
    assert response.json()["error_code"] == "web_framework_error"


def test_apt_is_rendered_in_the_coin_form(client):
    sent = record_transfer("aptos", recipient=DEPOSIT, amount_units=150_000_000, block_time=WHEN)

    body = committed(client, sent.tx_hash)

    assert body["type"] == "user_transaction"
    assert (body["version"], body["hash"], body["sender"]) == (
        str(sent.block_number),
        sent.tx_hash,
        SENDER,
    )
    assert (body["success"], body["vm_status"]) == (True, "Executed successfully")
    assert body["timestamp"] == "1740832215123456"
    assert body["payload"]["function"] == "0x1::aptos_account::transfer"
    assert body["payload"]["arguments"] == [DEPOSIT, "150000000"]
    [deposit] = events_of(body, "0x1::coin::DepositEvent")
    [withdraw] = events_of(body, "0x1::coin::WithdrawEvent")
    assert deposit["data"] == withdraw["data"] == {"amount": "150000000"}
    store = resource_at(body, DEPOSIT, "0x1::coin::CoinStore<0x1::aptos_coin::AptosCoin>")
    assert store["deposit_events"]["guid"]["id"] == {
        "addr": deposit["guid"]["account_address"],
        "creation_num": deposit["guid"]["creation_number"],
    }
    assert events_of(body, "0x1::transaction_fee::FeeStatement")


def test_usdt_is_rendered_in_the_fungible_asset_form(client):
    sent = record_transfer(
        "aptos", recipient=DEPOSIT, amount_units=25_500_000, token=APTOS_USDT_METADATA
    )

    body = committed(client, sent.tx_hash)

    assert body["payload"]["function"] == "0x1::primary_fungible_store::transfer"
    assert body["payload"]["arguments"] == [{"inner": APTOS_USDT_METADATA}, DEPOSIT, "25500000"]
    assert not events_of(body, "0x1::coin::DepositEvent")
    [deposit] = events_of(body, "0x1::fungible_asset::Deposit")
    store = deposit["data"]["store"]
    assert deposit["data"]["amount"] == "25500000"
    assert store == primary_store_address(DEPOSIT, APTOS_USDT_METADATA) != DEPOSIT
    assert resource_at(body, store, "0x1::object::ObjectCore")["owner"] == DEPOSIT
    fungible_store = resource_at(body, store, "0x1::fungible_asset::FungibleStore")
    assert fungible_store["metadata"] == {"inner": APTOS_USDT_METADATA}


def test_apt_as_a_fungible_asset_uses_metadata_0xa(client):
    sent = record_transfer("aptos", recipient=DEPOSIT, amount_units=5, token="0xa")

    body = committed(client, sent.tx_hash)

    [deposit] = events_of(body, "0x1::fungible_asset::Deposit")
    store = resource_at(body, deposit["data"]["store"], "0x1::fungible_asset::FungibleStore")
    assert store["metadata"] == {"inner": "0xa"}  # special addresses are written short
    assert body["payload"]["function"] == "0x1::aptos_account::transfer"


def test_a_failed_transaction_moves_nothing(client):
    sent = record_transfer("aptos", recipient=DEPOSIT, amount_units=10**8, succeeded=False)

    body = committed(client, sent.tx_hash)

    assert body["success"] is False
    assert body["vm_status"].startswith("Move abort in 0x1::coin: EINSUFFICIENT_BALANCE")
    assert [event["type"] for event in body["events"]] == ["0x1::transaction_fee::FeeStatement"]


def test_a_mempool_transaction_is_pending_until_included(client):
    sent = record_transfer("aptos", recipient=DEPOSIT, amount_units=10**8, confirmations=None)

    pending = committed(client, sent.tx_hash)
    include_pending(sent)
    included = committed(client, sent.tx_hash)

    assert pending["type"] == "pending_transaction"
    assert "version" not in pending and "events" not in pending
    assert pending["payload"]["arguments"] == [DEPOSIT, "100000000"]
    assert included["type"] == "user_transaction"
    assert included["version"] == str(head_block("aptos"))


def test_the_ledger_headers_follow_the_head(client):
    sent = record_transfer("aptos", recipient=DEPOSIT, amount_units=1, confirmations=5)

    before = by_hash(client, sent.tx_hash)["X-Aptos-Ledger-Version"]
    advance_head("aptos", 10)
    after = by_hash(client, sent.tx_hash)
    info = client.get(BASE)

    assert int(before) - sent.block_number + 1 == 5
    assert int(after["X-Aptos-Ledger-Version"]) - sent.block_number + 1 == 15
    assert after["X-Aptos-Chain-Id"] == "1"
    assert info.json()["ledger_version"] == after["X-Aptos-Ledger-Version"]


def test_a_hash_is_found_without_its_prefix_and_in_upper_case(client):
    sent = record_transfer("aptos", recipient=DEPOSIT, amount_units=1)

    bare = by_hash(client, sent.tx_hash[2:].upper())

    assert bare.json()["hash"] == sent.tx_hash


def test_injected_failures_answer_before_the_lookup(client):
    sent = record_transfer("aptos", recipient=DEPOSIT, amount_units=1)
    inject_failure("aptos.get_transaction_by_hash", "http_429", retry_after=4)
    inject_failure("aptos.get_transaction_by_hash", "http_500")
    inject_failure("aptos.get_transaction_by_hash", "http_502")
    inject_failure("aptos.get_transaction_by_hash", "malformed_json")

    limited, broken, gateway, malformed, normal = (by_hash(client, sent.tx_hash) for _ in range(5))

    assert (limited.status_code, limited["Retry-After"]) == (429, "4")
    assert (broken.status_code, broken.json()["error_code"]) == (500, "internal_error")
    assert (gateway.status_code, gateway["Content-Type"]) == (502, "text/html")
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        json.loads(malformed.content)
    assert normal.json()["version"] == str(sent.block_number)


def test_an_injected_delay_and_the_latency_setting_slow_the_answer(client, settings):
    sent = record_transfer("aptos", recipient=DEPOSIT, amount_units=1)
    inject_failure("aptos.get_transaction_by_hash", "delay_seconds", delay=0.2)
    settings.SANDBOX_CHAIN_LATENCY_MS = 100

    started = time.monotonic()
    response = by_hash(client, sent.tx_hash)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed >= 0.3


def test_the_fake_answers_404_when_the_sandbox_is_off(client):
    with override_settings(SANDBOX=False):
        response = by_hash(client, "0x" + "ab" * 32)

    assert response.status_code == 404
    assert "error_code" not in response.content.decode()
