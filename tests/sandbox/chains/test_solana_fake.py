"""The fake Solana RPC's wire format, over Django's test client (JSON-RPC as a node answers)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from apps.purchases.assets import SOLANA_USDT_MINT
from apps.sandbox.chains.ledger import advance_head, head_block, include_pending, record_transfer
from apps.sandbox.chains.solana import USDC_MINT, token_account_of
from apps.sandbox.failures import inject_failure
from apps.sandbox.models import InjectedFailure

pytestmark = pytest.mark.django_db

RPC = "/sandbox/chains/solana/rpc"
DEPOSIT = "7vfCXTUXx5WJV5JADk17DUJ4ksgau7utNKj4b963voxs"
SENDER = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
STRANGER = "3Q8GjTuZtaV2HcqZbsXFdXVbpeHxFQNUsJYvSBxRp7Sd"
CONFIRMED = {
    "encoding": "jsonParsed",
    "commitment": "confirmed",
    "maxSupportedTransactionVersion": 0,
}
WHEN = datetime(2025, 3, 1, 12, 30, 15, tzinfo=UTC)


def post(client, payload):
    return client.post(RPC, json.dumps(payload), content_type="application/json")


def rpc(client, method, *params):
    answer = post(client, {"jsonrpc": "2.0", "id": 9, "method": method, "params": list(params)})
    body = answer.json()
    assert (answer.status_code, body["jsonrpc"], body["id"]) == (200, "2.0", 9)
    return body


def transaction(client, signature, config=CONFIRMED):
    return rpc(client, "getTransaction", signature, config)["result"]


def status(client, signature):
    return rpc(client, "getSignatureStatuses", [signature])["result"]["value"][0]


def balances_of(result, pubkey):
    keys = [key["pubkey"] for key in result["transaction"]["message"]["accountKeys"]]
    index = keys.index(pubkey)
    return result["meta"]["preBalances"][index], result["meta"]["postBalances"][index]


def test_an_unknown_signature_is_null_for_both_methods(client):
    unknown = "5" * 88

    assert transaction(client, unknown) is None
    assert status(client, unknown) is None


def test_a_sol_transfer_is_a_lamport_delta_at_the_recipient_key(client):
    sent = record_transfer("solana", recipient=DEPOSIT, amount_units=1_500_000_000, block_time=WHEN)

    result = transaction(client, sent.tx_hash)

    assert (result["slot"], result["blockTime"], result["version"]) == (
        sent.block_number,
        int(WHEN.timestamp()),
        0,
    )
    assert result["transaction"]["signatures"] == [sent.tx_hash]
    assert (result["meta"]["err"], result["meta"]["status"]) == (None, {"Ok": None})
    pre, post = balances_of(result, DEPOSIT)
    assert pre > 0 and post - pre == 1_500_000_000
    sender_pre, sender_post = balances_of(result, SENDER)
    assert sender_pre - sender_post == 1_500_000_000 + result["meta"]["fee"]
    keys = result["transaction"]["message"]["accountKeys"]
    assert keys[0] == {"pubkey": SENDER, "signer": True, "source": "transaction", "writable": True}
    [instruction] = result["transaction"]["message"]["instructions"]
    assert instruction["parsed"] == {
        "info": {"destination": DEPOSIT, "lamports": 1_500_000_000, "source": SENDER},
        "type": "transfer",
    }
    assert result["meta"]["preTokenBalances"] == result["meta"]["postTokenBalances"] == []


def test_usdt_lands_in_a_token_account_owned_by_the_recipient_wallet(client):
    sent = record_transfer(
        "solana", recipient=DEPOSIT, amount_units=12_345_678, token=SOLANA_USDT_MINT
    )

    result = transaction(client, sent.tx_hash)

    keys = [key["pubkey"] for key in result["transaction"]["message"]["accountKeys"]]
    assert DEPOSIT not in keys  # the wallet is not an account of a token transfer
    ours = [b for b in result["meta"]["postTokenBalances"] if b["owner"] == DEPOSIT]
    [before] = [b for b in result["meta"]["preTokenBalances"] if b["owner"] == DEPOSIT]
    [after] = ours
    assert keys[after["accountIndex"]] == token_account_of(DEPOSIT, SOLANA_USDT_MINT) != DEPOSIT
    assert after["accountIndex"] == before["accountIndex"]
    assert after["mint"] == SOLANA_USDT_MINT
    assert after["uiTokenAmount"]["decimals"] == 6
    assert int(before["uiTokenAmount"]["amount"]) > 0
    gained = int(after["uiTokenAmount"]["amount"]) - int(before["uiTokenAmount"]["amount"])
    assert gained == 12_345_678
    assert (
        balances_of(result, keys[after["accountIndex"]])[0]
        == balances_of(result, keys[after["accountIndex"]])[1]
    )  # no lamports move in a token transfer
    [instruction] = result["transaction"]["message"]["instructions"]
    assert instruction["program"] == "spl-token"
    assert instruction["parsed"]["type"] == "transferChecked"
    assert instruction["parsed"]["info"]["tokenAmount"]["amount"] == "12345678"
    assert instruction["parsed"]["info"]["tokenAmount"]["uiAmountString"] == "12.345678"


def test_another_token_is_rendered_under_its_own_mint(client):
    sent = record_transfer("solana", recipient=DEPOSIT, amount_units=5_000_000, token=USDC_MINT)

    result = transaction(client, sent.tx_hash)

    assert {b["mint"] for b in result["meta"]["postTokenBalances"]} == {USDC_MINT}


def test_a_failed_transfer_moves_nothing_but_the_fee_and_carries_the_error(client):
    sent = record_transfer("solana", recipient=DEPOSIT, amount_units=10**9, succeeded=False)

    result = transaction(client, sent.tx_hash)
    sent_status = status(client, sent.tx_hash)

    error = {"InstructionError": [0, {"Custom": 1}]}
    assert (result["meta"]["err"], result["meta"]["status"]) == (error, {"Err": error})
    pre, post = balances_of(result, DEPOSIT)
    assert pre == post
    sender_pre, sender_post = balances_of(result, SENDER)
    assert sender_pre - sender_post == result["meta"]["fee"] == 5000
    assert (sent_status["err"], sent_status["status"]) == (error, {"Err": error})


def test_a_mempool_transfer_is_processed_and_not_served_until_included(client):
    sent = record_transfer("solana", recipient=DEPOSIT, amount_units=10**9, confirmations=None)

    before = (status(client, sent.tx_hash), transaction(client, sent.tx_hash))
    include_pending(sent)
    after = (status(client, sent.tx_hash), transaction(client, sent.tx_hash))

    assert before[0]["confirmationStatus"] == "processed"
    assert before[0]["confirmations"] == 0
    assert before[1] is None
    assert after[0]["confirmationStatus"] == "confirmed"
    assert after[0]["confirmations"] == 0  # just included: no block on top yet
    assert after[1]["slot"] == head_block("solana")


def test_confirmations_grow_with_the_head_and_turn_finalized_at_32(client):
    sent = record_transfer("solana", recipient=DEPOSIT, amount_units=1, confirmations=3)
    finalized = {"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0}

    young = (status(client, sent.tx_hash), transaction(client, sent.tx_hash, finalized))
    advance_head("solana", 29)
    rooted = (status(client, sent.tx_hash), transaction(client, sent.tx_hash, finalized))
    answer = rpc(client, "getSignatureStatuses", [sent.tx_hash])["result"]

    assert (young[0]["confirmations"], young[0]["confirmationStatus"]) == (2, "confirmed")
    assert young[1] is None  # getTransaction's default commitment is finalized
    assert (rooted[0]["confirmations"], rooted[0]["confirmationStatus"]) == (None, "finalized")
    assert rooted[1]["slot"] == sent.block_number
    assert answer["context"]["slot"] - rooted[0]["slot"] + 1 == 32


def test_statuses_answer_in_the_order_asked(client):
    first = record_transfer("solana", recipient=DEPOSIT, amount_units=1)
    second = record_transfer("solana", recipient=DEPOSIT, amount_units=2, confirmations=None)

    value = rpc(client, "getSignatureStatuses", [second.tx_hash, "4" * 88, first.tx_hash])

    statuses = value["result"]["value"]
    assert [s and s["confirmationStatus"] for s in statuses] == ["processed", None, "finalized"]


def test_a_version_0_transaction_needs_max_supported_transaction_version(client):
    sent = record_transfer("solana", recipient=DEPOSIT, amount_units=1)

    body = rpc(client, "getTransaction", sent.tx_hash, {"encoding": "jsonParsed"})

    assert body["error"]["code"] == -32015
    assert "maxSupportedTransactionVersion" in body["error"]["message"]


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        ("getBalance", [DEPOSIT], -32601),
        ("getTransaction", ["not base58 0OIl"], -32602),
        ("getTransaction", ["5" * 88, {"encoding": "json"}], -32602),
        (
            "getTransaction",
            ["5" * 88, {"encoding": "jsonParsed", "commitment": "processed"}],
            -32602,
        ),
        ("getSignatureStatuses", ["5" * 88], -32602),
        ("getSignatureStatuses", [["5" * 88] * 257], -32602),
    ],
)
def test_bad_calls_get_json_rpc_errors(client, method, params, code):
    body = rpc(client, method, *params)

    assert body["error"]["code"] == code
    assert "result" not in body


def test_a_body_that_is_not_json_rpc_gets_a_parse_or_request_error(client):
    broken = client.post(RPC, "{not json", content_type="application/json").json()
    not_rpc = post(client, {"method": "getTransaction"}).json()

    assert (broken["error"]["code"], broken["id"]) == (-32700, None)
    assert not_rpc["error"]["code"] == -32600
    assert client.get(RPC).status_code == 405


def test_injected_failures_answer_before_the_method_and_only_for_it(client):
    sent = record_transfer("solana", recipient=DEPOSIT, amount_units=1)
    inject_failure("solana.getTransaction", "http_429", retry_after=3)
    inject_failure("solana.getTransaction", "http_500")
    inject_failure("solana.getTransaction", "http_502")
    inject_failure("solana.getTransaction", "malformed_json")
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "getTransaction",
        "params": [sent.tx_hash, CONFIRMED],
    }

    untouched = status(client, sent.tx_hash)
    limited, broken, gateway, malformed, normal = (post(client, call) for _ in range(5))

    assert untouched["confirmationStatus"] == "finalized"
    assert (limited.status_code, limited["Retry-After"]) == (429, "3")
    assert limited.json()["error"]["code"] == 429
    assert (broken.status_code, broken.json()["error"]["code"]) == (500, -32603)
    assert (gateway.status_code, gateway["Content-Type"]) == (502, "text/html")
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        json.loads(malformed.content)
    assert normal.json()["result"]["slot"] == sent.block_number
    assert not InjectedFailure.objects.filter(remaining__gt=0).exists()


def test_an_injected_delay_and_the_latency_setting_slow_the_answer(client, settings):
    sent = record_transfer("solana", recipient=DEPOSIT, amount_units=1)
    inject_failure("solana.getSignatureStatuses", "delay_seconds", delay=0.2)
    settings.SANDBOX_CHAIN_LATENCY_MS = 100

    started = time.monotonic()
    answered = status(client, sent.tx_hash)
    elapsed = time.monotonic() - started

    assert answered["confirmationStatus"] == "finalized"
    assert elapsed >= 0.3


def test_the_fake_answers_404_when_the_sandbox_is_off(client):
    with override_settings(SANDBOX=False):
        response = post(client, {"jsonrpc": "2.0", "id": 1, "method": "getSlot"})

    assert response.status_code == 404
