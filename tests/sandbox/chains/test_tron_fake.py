"""The fake Tron node's wire format, over Django's test client (java-tron's HTTP API)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from apps.purchases.assets import TRON_USDT_CONTRACT
from apps.purchases.clients.tron_address import to_hex
from apps.sandbox.chains.ledger import advance_head, head_block, include_pending, record_transfer
from apps.sandbox.failures import inject_failure

pytestmark = pytest.mark.django_db

BASE = "/sandbox/chains/tron"
# Valid base58check addresses (hex 415afe...0b5c and 41000...0f00d5).
DEPOSIT = "TJGL6Z2zEfHQ4bPKnPnAfMCswU7XtJ7oSB"
SENDER = "T9yD14Nj9j7xAB4dbGeiX9h8vMiwPCAeua"
USDT_HEX = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"
TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def call(client, endpoint, txid=None, *, visible=None, headers=None):
    body = {} if txid is None else {"value": txid}
    if visible is not None:
        body["visible"] = visible
    return client.post(
        f"{BASE}/{endpoint}", json.dumps(body), content_type="application/json", headers=headers
    )


def answer(client, endpoint, txid=None, **kwargs):
    response = call(client, endpoint, txid, **kwargs)
    assert response.status_code == 200
    return response.json()


def usdt_payment(amount=12_500_000, **kwargs):
    return record_transfer(
        "tron",
        recipient=DEPOSIT,
        amount_units=amount,
        token=TRON_USDT_CONTRACT,
        sender=SENDER,
        **kwargs,
    )


# --- transactions ---


def test_an_unknown_txid_is_an_empty_object_everywhere(client):
    unknown = "ab" * 32

    for endpoint in (
        "wallet/gettransactionbyid",
        "wallet/gettransactioninfobyid",
        "wallet/gettransactionfrompending",
        "walletsolidity/gettransactioninfobyid",
    ):
        assert answer(client, endpoint, unknown) == {}


def test_a_trx_transfer_is_a_transfer_contract_in_sun_with_hex_addresses(client):
    row = record_transfer("tron", recipient=DEPOSIT, amount_units=150_000_000, sender=SENDER)

    transaction = answer(client, "wallet/gettransactionbyid", row.tx_hash)

    [contract] = transaction["raw_data"]["contract"]
    assert transaction["txID"] == row.tx_hash
    assert transaction["ret"] == [{"contractRet": "SUCCESS"}]
    assert contract["type"] == "TransferContract"
    assert contract["parameter"]["value"] == {
        "amount": 150_000_000,
        "owner_address": to_hex(SENDER),
        "to_address": "415afe000000000000000000000000000000000b5c",
    }


def test_visible_true_writes_addresses_in_base58(client):
    row = record_transfer("tron", recipient=DEPOSIT, amount_units=1, sender=SENDER)

    transaction = answer(client, "wallet/gettransactionbyid", row.tx_hash, visible=True)

    value = transaction["raw_data"]["contract"][0]["parameter"]["value"]
    assert (value["owner_address"], value["to_address"]) == (SENDER, DEPOSIT)


def test_a_usdt_transfer_is_a_contract_call_whose_info_logs_the_transfer(client):
    moment = datetime(2026, 3, 1, 12, 30, 45, 250_000, tzinfo=UTC)
    row = usdt_payment(block_time=moment)

    transaction = answer(client, "wallet/gettransactionbyid", row.tx_hash)
    info = answer(client, "wallet/gettransactioninfobyid", row.tx_hash)

    contract = transaction["raw_data"]["contract"][0]
    assert contract["type"] == "TriggerSmartContract"
    assert contract["parameter"]["value"]["contract_address"] == USDT_HEX
    assert contract["parameter"]["value"]["data"].startswith("a9059cbb")
    assert info["id"] == row.tx_hash
    assert info["blockNumber"] == row.block_number
    assert info["blockTimeStamp"] == 1772368245250
    assert info["receipt"]["result"] == "SUCCESS"
    assert info["contract_address"] == USDT_HEX
    [log] = info["log"]
    assert log == {
        "address": USDT_HEX[2:],
        "topics": [
            TRANSFER_TOPIC,
            "0" * 24 + "00000000000000000000000000000000000f00d5",
            "0" * 24 + "5afe000000000000000000000000000000000b5c",
        ],
        "data": format(12_500_000, "064x"),
    }


def test_a_failed_usdt_transfer_reverts_without_logs(client):
    row = usdt_payment(succeeded=False)

    transaction = answer(client, "wallet/gettransactionbyid", row.tx_hash)
    info = answer(client, "wallet/gettransactioninfobyid", row.tx_hash)

    assert transaction["ret"] == [{"contractRet": "REVERT"}]
    assert info["result"] == "FAILED"
    assert info["receipt"]["result"] == "REVERT"
    assert "log" not in info


def test_a_failed_trx_transfer_is_marked_failed(client):
    row = record_transfer("tron", recipient=DEPOSIT, amount_units=1, succeeded=False)

    transaction = answer(client, "wallet/gettransactionbyid", row.tx_hash)
    info = answer(client, "wallet/gettransactioninfobyid", row.tx_hash)

    assert transaction["ret"][0]["contractRet"] != "SUCCESS"
    assert info["result"] == "FAILED"


def test_a_mempool_transaction_is_only_in_the_pending_pool_until_mined(client):
    row = usdt_payment(confirmations=None)

    assert answer(client, "wallet/gettransactionbyid", row.tx_hash) == {}
    assert answer(client, "wallet/gettransactioninfobyid", row.tx_hash) == {}
    pending = answer(client, "wallet/gettransactionfrompending", row.tx_hash)
    assert pending["txID"] == row.tx_hash
    assert "ret" not in pending

    include_pending(row)

    assert answer(client, "wallet/gettransactionfrompending", row.tx_hash) == {}
    assert answer(client, "wallet/gettransactioninfobyid", row.tx_hash)["blockNumber"] == (
        row.block_number
    )


# --- blocks and solidity ---


def test_now_block_is_the_head(client):
    advance_head("tron", 2)

    block = answer(client, "wallet/getnowblock")

    assert block["block_header"]["raw_data"]["number"] == head_block("tron")
    assert block["blockID"].startswith(format(head_block("tron"), "016x"))


def test_the_solidity_node_knows_a_transaction_from_its_nineteenth_confirmation(client):
    row = usdt_payment(confirmations=18)

    assert answer(client, "walletsolidity/gettransactioninfobyid", row.tx_hash) == {}
    assert answer(client, "walletsolidity/gettransactionbyid", row.tx_hash) == {}

    advance_head("tron")

    solid = answer(client, "walletsolidity/gettransactioninfobyid", row.tx_hash)
    assert solid["blockNumber"] == row.block_number
    solid_head = answer(client, "walletsolidity/getnowblock")
    assert solid_head["block_header"]["raw_data"]["number"] == row.block_number


# --- errors, API key, failures ---


def test_a_malformed_txid_gets_the_nodes_error_object(client):
    body = answer(client, "wallet/gettransactioninfobyid", "not-a-txid")

    assert set(body) == {"Error"}


def test_query_parameters_work_like_a_json_body(client):
    row = record_transfer("tron", recipient=DEPOSIT, amount_units=1)

    response = client.get(f"{BASE}/wallet/gettransactionbyid", {"value": row.tx_hash})

    assert response.json()["txID"] == row.tx_hash


def test_an_unknown_api_key_is_refused_and_the_configured_one_accepted(client, settings):
    settings.TRONGRID_API_KEY = "configured-key"

    refused = call(client, "wallet/getnowblock", headers={"TRON-PRO-API-KEY": "other-key"})
    accepted = call(client, "wallet/getnowblock", headers={"TRON-PRO-API-KEY": "configured-key"})
    keyless = call(client, "wallet/getnowblock")

    assert refused.status_code == 401
    assert "other-key" not in refused.content.decode()
    assert accepted.status_code == 200
    assert keyless.status_code == 200


def test_injected_failures_are_answered_once_per_endpoint(client):
    row = record_transfer("tron", recipient=DEPOSIT, amount_units=1)
    inject_failure("tron.gettransactioninfobyid", "http_429", retry_after=2)
    inject_failure("tron.walletsolidity.gettransactioninfobyid", "http_500")
    inject_failure("tron.getnowblock", "malformed_json")
    inject_failure("tron.gettransactionbyid", "http_502")

    limited = call(client, "wallet/gettransactioninfobyid", row.tx_hash)
    solid_down = call(client, "walletsolidity/gettransactioninfobyid", row.tx_hash)
    cut_off = call(client, "wallet/getnowblock")
    bad_gateway = call(client, "wallet/gettransactionbyid", row.tx_hash)

    assert (limited.status_code, limited["Retry-After"]) == (429, "2")
    assert solid_down.status_code == 500
    with pytest.raises(ValueError):
        json.loads(cut_off.content)
    assert bad_gateway.status_code == 502
    assert answer(client, "wallet/gettransactioninfobyid", row.tx_hash)["id"] == row.tx_hash


def test_the_node_is_gone_when_the_sandbox_is_off(client, settings):
    settings.SANDBOX = False

    assert call(client, "wallet/getnowblock").status_code == 404


def test_latency_setting_and_an_injected_delay_slow_the_answer_down(client, settings):
    settings.SANDBOX_CHAIN_LATENCY_MS = 60
    inject_failure("tron.getnowblock", "delay_seconds", delay=0.1)
    started = time.monotonic()

    block = answer(client, "wallet/getnowblock")

    assert time.monotonic() - started >= 0.16
    assert block["block_header"]["raw_data"]["number"] == head_block("tron")
