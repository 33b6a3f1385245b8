"""The fake BSC node's wire format, over Django's test client (JSON-RPC as a geth node answers)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from apps.purchases.assets import BSC_USDT_CONTRACT
from apps.sandbox.chains.ledger import (
    advance_head,
    head_block,
    include_pending,
    record_transfer,
)
from apps.sandbox.failures import inject_failure

pytestmark = pytest.mark.django_db

RPC = "/sandbox/chains/bsc/rpc"
DEPOSIT = "0x5AFE000000000000000000000000000000000B5c"  # mixed case, as users paste it
SENDER = "0x00000000000000000000000000000000000f00d5"
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def post(client, payload, path=RPC):
    return client.post(path, json.dumps(payload), content_type="application/json")


def rpc(client, method, *params):
    body = post(client, {"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)})
    answer = body.json()
    assert answer["id"] == 7
    return answer


def result(client, method, *params):
    return rpc(client, method, *params)["result"]


def word(hex_digits: str) -> str:
    return "0x" + hex_digits.rjust(64, "0")


# --- transactions and receipts ---


def test_an_unknown_hash_has_neither_transaction_nor_receipt(client):
    unknown = "0x" + "ab" * 32

    assert result(client, "eth_getTransactionByHash", unknown) is None
    assert result(client, "eth_getTransactionReceipt", unknown) is None


def test_a_native_transfer_is_a_value_transaction_with_an_empty_successful_receipt(client):
    row = record_transfer("bsc", recipient=DEPOSIT, amount_units=25 * 10**17, sender=SENDER)

    transaction = result(client, "eth_getTransactionByHash", row.tx_hash)
    receipt = result(client, "eth_getTransactionReceipt", row.tx_hash)

    assert transaction["hash"] == row.tx_hash
    assert transaction["to"] == DEPOSIT.lower()
    assert transaction["from"] == SENDER
    assert transaction["value"] == hex(25 * 10**17)
    assert transaction["input"] == "0x"
    assert transaction["blockNumber"] == hex(row.block_number)
    assert receipt["status"] == "0x1"
    assert receipt["logs"] == []
    assert receipt["blockNumber"] == hex(row.block_number)
    assert receipt["transactionHash"] == row.tx_hash


def test_a_token_transfer_calls_the_contract_and_logs_a_transfer_to_the_recipient(client):
    amount = 12_500_000_000_000_000_000  # 12.5 USDT at 18 decimals
    row = record_transfer(
        "bsc", recipient=DEPOSIT, amount_units=amount, token=BSC_USDT_CONTRACT, sender=SENDER
    )

    transaction = result(client, "eth_getTransactionByHash", row.tx_hash)
    receipt = result(client, "eth_getTransactionReceipt", row.tx_hash)

    assert transaction["to"] == BSC_USDT_CONTRACT
    assert transaction["value"] == "0x0"
    assert (
        transaction["input"]
        == "0xa9059cbb" + word(DEPOSIT[2:].lower())[2:] + word(format(amount, "x"))[2:]
    )
    [log] = receipt["logs"]
    assert log["address"] == BSC_USDT_CONTRACT
    assert log["topics"] == [TRANSFER_TOPIC, word(SENDER[2:]), word(DEPOSIT[2:].lower())]
    assert int(log["data"], 16) == amount
    assert log["removed"] is False
    assert receipt["status"] == "0x1"


def test_a_failed_token_transfer_has_status_zero_and_no_logs(client):
    row = record_transfer(
        "bsc", recipient=DEPOSIT, amount_units=10**18, token=BSC_USDT_CONTRACT, succeeded=False
    )

    receipt = result(client, "eth_getTransactionReceipt", row.tx_hash)

    assert receipt["status"] == "0x0"
    assert receipt["logs"] == []


def test_a_mempool_transaction_has_no_block_and_no_receipt_until_mined(client):
    row = record_transfer("bsc", recipient=DEPOSIT, amount_units=10**18, confirmations=None)

    pending = result(client, "eth_getTransactionByHash", row.tx_hash)
    assert pending["blockNumber"] is None
    assert pending["blockHash"] is None
    assert result(client, "eth_getTransactionReceipt", row.tx_hash) is None

    include_pending(row)

    assert result(client, "eth_getTransactionReceipt", row.tx_hash)["blockNumber"] == hex(
        row.block_number
    )


def test_hashes_are_matched_in_any_letter_case(client):
    row = record_transfer("bsc", recipient=DEPOSIT, amount_units=1)

    upper = "0x" + row.tx_hash[2:].upper()

    assert result(client, "eth_getTransactionReceipt", upper)["transactionHash"] == row.tx_hash


# --- blocks ---


def test_block_number_is_the_head_and_moves_with_it(client):
    before = int(result(client, "eth_blockNumber"), 16)
    advance_head("bsc", 3)

    assert int(result(client, "eth_blockNumber"), 16) == before + 3 == head_block("bsc")


def test_a_block_carries_its_transfers_and_their_time(client):
    moment = datetime(2026, 3, 1, 12, 30, 45, 250_000, tzinfo=UTC)
    row = record_transfer("bsc", recipient=DEPOSIT, amount_units=1, block_time=moment)

    block = result(client, "eth_getBlockByNumber", hex(row.block_number), False)

    assert block["number"] == hex(row.block_number)
    assert int(block["timestamp"], 16) == int(moment.timestamp())
    assert block["transactions"] == [row.tx_hash]


def test_finalized_trails_the_head_by_two_blocks_and_future_blocks_do_not_exist(client):
    head = head_block("bsc")

    finalized = result(client, "eth_getBlockByNumber", "finalized", False)
    latest = result(client, "eth_getBlockByNumber", "latest", False)

    assert int(finalized["number"], 16) == head - 2
    assert int(latest["number"], 16) == head
    assert result(client, "eth_getBlockByNumber", hex(head + 1), False) is None


# --- JSON-RPC envelope ---


def test_a_batch_is_answered_in_order_with_each_id(client):
    row = record_transfer("bsc", recipient=DEPOSIT, amount_units=1)

    answers = post(
        client,
        [
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "eth_getTransactionReceipt",
                "params": [row.tx_hash],
            },
            {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []},
            {"jsonrpc": "2.0", "id": 3, "method": "eth_chainId", "params": []},
        ],
    ).json()

    assert [answer["id"] for answer in answers] == [1, 2, 3]
    assert answers[0]["result"]["transactionHash"] == row.tx_hash
    assert answers[2]["result"] == "0x38"


def test_protocol_errors_use_json_rpc_codes(client):
    unknown_method = rpc(client, "eth_sendRawTransaction", "0x00")
    bad_hash = rpc(client, "eth_getTransactionReceipt", "0x1234")
    parse_error = client.post(RPC, "{not json", content_type="application/json").json()
    empty_batch = post(client, []).json()

    assert unknown_method["error"]["code"] == -32601
    assert bad_hash["error"]["code"] == -32602
    assert parse_error["error"]["code"] == -32700
    assert empty_batch["error"]["code"] == -32600


def test_only_post_is_served(client):
    assert client.get(RPC).status_code == 405


def test_the_node_is_gone_when_the_sandbox_is_off(client, settings):
    settings.SANDBOX = False

    assert post(client, {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}).status_code == 404


# --- injected failures and latency ---


def test_an_injected_429_carries_retry_after_then_the_next_call_is_answered(client):
    inject_failure("bsc.eth_blockNumber", "http_429", retry_after=3)
    call = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}

    limited = post(client, call)
    answered = post(client, call)

    assert limited.status_code == 429
    assert limited["Retry-After"] == "3"
    assert limited.json()["error"]["code"] == -32005
    assert answered.status_code == 200
    assert answered.json()["result"] == hex(head_block("bsc"))


def test_injected_server_errors_and_a_cut_off_body(client):
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_getTransactionReceipt",
        "params": ["0x" + "0" * 64],
    }
    inject_failure("bsc.eth_getTransactionReceipt", "http_500")
    inject_failure("bsc.eth_getTransactionReceipt", "http_502")
    inject_failure("bsc.eth_getTransactionReceipt", "malformed_json")

    server_error, bad_gateway, cut_off = (post(client, call) for _ in range(3))

    assert server_error.status_code == 500
    assert bad_gateway.status_code == 502
    assert b"nginx" in bad_gateway.content
    assert cut_off.status_code == 200
    with pytest.raises(ValueError):
        json.loads(cut_off.content)


def test_a_failure_on_one_call_of_a_batch_fails_the_whole_request(client):
    inject_failure("bsc.eth_blockNumber", "http_500")
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber", "params": []},
    ]

    assert post(client, batch).status_code == 500
    assert post(client, batch).status_code == 200


def test_latency_setting_delays_every_answer(client, settings):
    settings.SANDBOX_CHAIN_LATENCY_MS = 120
    started = time.monotonic()

    rpc(client, "eth_blockNumber")

    assert time.monotonic() - started >= 0.12


def test_an_injected_delay_answers_normally_after_waiting(client):
    inject_failure("bsc.eth_blockNumber", "delay_seconds", delay=0.1)
    started = time.monotonic()

    answered = rpc(client, "eth_blockNumber")

    assert time.monotonic() - started >= 0.1
    assert answered["result"] == hex(head_block("bsc"))
