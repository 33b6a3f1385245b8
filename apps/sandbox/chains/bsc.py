"""The fake BNB Smart Chain node: Ethereum JSON-RPC at /sandbox/chains/bsc/rpc.

Renders the ChainTransfer rows of network "bsc" as a geth-based BSC node would (external-apis.md
§4): single calls and batches, hex quantities, lower-case addresses, JSON-RPC error objects with
HTTP 200. Methods:

- eth_getTransactionByHash: the transaction; blockNumber/blockHash null while in the mempool.
  A native row sends `value` wei to the recipient; a token row calls `transfer(to, amount)` on
  the token contract (value 0).
- eth_getTransactionReceipt: null while pending or unknown; status 0x0 and no logs for a failed
  row; one Transfer log with the raw amount for a successful token row.
- eth_blockNumber, eth_chainId, and eth_getBlockByNumber (a number or the tags latest, pending,
  safe, finalized, earliest). Finality follows BEP-126 fast finality: the finalized block is two
  below the head, so a transaction is final from its third confirmation.

Injected failures are consumed per call as "bsc.<method>" (e.g. "bsc.eth_getTransactionReceipt");
in a batch the first failing call decides the HTTP answer, as a proxy in front of a node would.
SANDBOX_CHAIN_LATENCY_MS (optional setting) delays every HTTP answer.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import timedelta

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.sandbox.chains.common import bad_gateway, simulate_latency
from apps.sandbox.chains.ledger import head_block
from apps.sandbox.failures import Kind, consume_failure
from apps.sandbox.guards import sandbox_only
from apps.sandbox.models import ChainTransfer

NETWORK = "bsc"
CHAIN_ID = 56
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
TRANSFER_SELECTOR = "a9059cbb"  # transfer(address,uint256)
# BEP-126: block n is final once n+2 is produced.
FINALITY_DEPTH = 2
# Timestamps of blocks that hold no sandbox transfer are made up at this pace.
BLOCK_INTERVAL = timedelta(seconds=3)
GAS_PRICE_WEI = 1_000_000_000  # 1 gwei, BSC's usual floor
NATIVE_GAS, TOKEN_GAS = 21_000, 51_000
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_QUANTITY = re.compile(r"0x(0|[1-9a-fA-F][0-9a-fA-F]*)")
_TAGS = ("latest", "pending", "safe", "finalized", "earliest")


class InvalidParams(Exception):
    """The call's params are wrong: JSON-RPC error -32602 with geth's wording."""


# --- the endpoint ----------------------------------------------------------------------------


@sandbox_only
@csrf_exempt
@never_cache
def rpc(request):
    simulate_latency()
    if request.method != "POST":
        return JsonResponse(_error(None, -32600, "only POST is served"), status=405)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse(_error(None, -32700, "parse error"))
    is_batch = isinstance(payload, list)
    calls = payload if is_batch else [payload]
    if not calls:
        return JsonResponse(_error(None, -32600, "empty batch"))
    failure = _injected_failure(calls)
    if failure is not None:
        return _failure_response(failure)
    answers = [_answer(call) for call in calls]
    return JsonResponse(answers if is_batch else answers[0], safe=False)


def _injected_failure(calls: list):
    for call in calls:
        method = call.get("method") if isinstance(call, dict) else None
        failure = consume_failure(f"{NETWORK}.{method}") if isinstance(method, str) else None
        if failure is None:
            continue
        if failure.kind == Kind.DELAY:
            time.sleep(failure.delay_seconds or 0)
            continue
        return failure
    return None


def _failure_response(failure) -> HttpResponse:
    if failure.kind == Kind.HTTP_429:
        response = JsonResponse(_error(None, -32005, "limit exceeded"), status=429)
        response["Retry-After"] = str(failure.retry_after)
        return response
    if failure.kind == Kind.HTTP_500:
        return HttpResponse("Internal Server Error", status=500, content_type="text/plain")
    if failure.kind == Kind.HTTP_502:
        return bad_gateway()
    if failure.kind == Kind.HTTP_403_BLOCKED:
        return JsonResponse(_error(None, -32002, "access forbidden"), status=403)
    # malformed_json: a body cut off mid-way, as a broken proxy returns it.
    return HttpResponse(
        b'{"jsonrpc":"2.0","id":1,"result":{"blockHash":', content_type="application/json"
    )


def _error(call_id, code: int, message: str) -> dict:
    return {"jsonrpc": "2.0", "id": call_id, "error": {"code": code, "message": message}}


def _answer(call) -> dict:
    if not isinstance(call, dict):
        return _error(None, -32600, "invalid request")
    call_id = call.get("id")
    method = call.get("method")
    if call.get("jsonrpc") != "2.0" or not isinstance(method, str):
        return _error(call_id, -32600, "invalid request")
    handler = METHODS.get(method)
    if handler is None:
        return _error(call_id, -32601, f"the method {method} does not exist/is not available")
    params = call.get("params", [])
    if not isinstance(params, list):
        return _error(call_id, -32602, "non-array args")
    try:
        result = handler(params)
    except InvalidParams as error:
        return _error(call_id, -32602, str(error))
    return {"jsonrpc": "2.0", "id": call_id, "result": result}


# --- methods ---------------------------------------------------------------------------------


def eth_block_number(params: list) -> str:
    return hex(head_block(NETWORK))


def eth_chain_id(params: list) -> str:
    return hex(CHAIN_ID)


def eth_get_transaction_by_hash(params: list) -> dict | None:
    row = _row(_hash_param(params))
    return None if row is None else transaction_json(row)


def eth_get_transaction_receipt(params: list) -> dict | None:
    row = _row(_hash_param(params))
    if row is None or row.block_number is None:
        return None
    return receipt_json(row)


def eth_get_block_by_number(params: list) -> dict | None:
    if len(params) < 2:
        raise InvalidParams(f"missing value for required argument {len(params)}")
    number = _block_param(params[0])
    if number is None or number > head_block(NETWORK):
        return None
    return block_json(number)


METHODS = {
    "eth_blockNumber": eth_block_number,
    "eth_chainId": eth_chain_id,
    "eth_getTransactionByHash": eth_get_transaction_by_hash,
    "eth_getTransactionReceipt": eth_get_transaction_receipt,
    "eth_getBlockByNumber": eth_get_block_by_number,
}


def _hash_param(params: list) -> str:
    if not params:
        raise InvalidParams("missing value for required argument 0")
    value = params[0]
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise InvalidParams("invalid argument 0: hex string has wrong length, want 64 for Hash")
    return value


def _block_param(value) -> int | None:
    if value in _TAGS:
        head = head_block(NETWORK)
        return {"latest": head, "pending": head, "safe": head - 1, "earliest": 0}.get(
            value, head - FINALITY_DEPTH
        )
    if isinstance(value, str) and _QUANTITY.fullmatch(value):
        return int(value, 16)
    raise InvalidParams("invalid argument 0: hex string without 0x prefix or a block tag")


def _row(tx_hash: str) -> ChainTransfer | None:
    # Hex hashes are case-insensitive on the wire.
    return ChainTransfer.objects.filter(network=NETWORK, tx_hash__iexact=tx_hash).first()


# --- rendering -------------------------------------------------------------------------------


def transaction_json(row: ChainTransfer) -> dict:
    included = row.block_number is not None
    is_token = bool(row.token)
    signature = _digest("sig", row.tx_hash)
    return {
        "blockHash": block_hash(row.block_number) if included else None,
        "blockNumber": hex(row.block_number) if included else None,
        "from": row.sender.lower(),
        "gas": hex(TOKEN_GAS if is_token else NATIVE_GAS),
        "gasPrice": hex(GAS_PRICE_WEI),
        "hash": row.tx_hash.lower(),
        "input": _transfer_call(row) if is_token else "0x",
        "nonce": hex(row.pk),
        "to": (row.token if is_token else row.recipient).lower(),
        "transactionIndex": "0x0" if included else None,
        "value": "0x0" if is_token else hex(int(row.amount_units)),
        "type": "0x0",
        "chainId": hex(CHAIN_ID),
        "v": hex(CHAIN_ID * 2 + 35),
        "r": "0x" + signature[:64],
        "s": "0x" + _digest("s", row.tx_hash)[:64],
    }


def receipt_json(row: ChainTransfer) -> dict:
    is_token = bool(row.token)
    gas_used = TOKEN_GAS if is_token else NATIVE_GAS
    logs = [_transfer_log(row)] if is_token and row.succeeded else []
    return {
        "blockHash": block_hash(row.block_number),
        "blockNumber": hex(row.block_number),
        "contractAddress": None,
        "cumulativeGasUsed": hex(gas_used),
        "effectiveGasPrice": hex(GAS_PRICE_WEI),
        "from": row.sender.lower(),
        "gasUsed": hex(gas_used),
        "logs": logs,
        "logsBloom": "0x" + "00" * 256,
        "status": "0x1" if row.succeeded else "0x0",
        "to": (row.token if is_token else row.recipient).lower(),
        "transactionHash": row.tx_hash.lower(),
        "transactionIndex": "0x0",
        "type": "0x0",
    }


def block_json(number: int) -> dict:
    rows = list(ChainTransfer.objects.filter(network=NETWORK, block_number=number).order_by("id"))
    return {
        "number": hex(number),
        "hash": block_hash(number),
        "parentHash": block_hash(number - 1),
        "timestamp": hex(_block_timestamp(number, rows)),
        "miner": "0x" + _digest("miner", "validator")[:40],
        "difficulty": "0x2",
        "extraData": "0x",
        "gasLimit": hex(140_000_000),
        "gasUsed": hex(sum(TOKEN_GAS if row.token else NATIVE_GAS for row in rows)),
        "baseFeePerGas": "0x0",
        "size": hex(1_000 + 120 * len(rows)),
        "transactions": [row.tx_hash.lower() for row in rows],
        "uncles": [],
    }


def _block_timestamp(number: int, rows: list[ChainTransfer]) -> int:
    """Unix seconds: the first transfer's block_time, else paced back from now."""
    if rows:
        when = rows[0].block_time
    else:
        when = timezone.now() - BLOCK_INTERVAL * (head_block(NETWORK) - number)
    return int(when.timestamp())


def block_hash(number: int) -> str:
    return "0x" + _digest("block", str(number))


def _transfer_call(row: ChainTransfer) -> str:
    return "0x" + TRANSFER_SELECTOR + _word_address(row.recipient) + _word_int(row.amount_units)


def _transfer_log(row: ChainTransfer) -> dict:
    return {
        "address": row.token.lower(),
        "topics": [
            TRANSFER_TOPIC,
            "0x" + _word_address(row.sender),
            "0x" + _word_address(row.recipient),
        ],
        "data": "0x" + _word_int(row.amount_units),
        "blockNumber": hex(row.block_number),
        "blockHash": block_hash(row.block_number),
        "transactionHash": row.tx_hash.lower(),
        "transactionIndex": "0x0",
        "logIndex": "0x0",
        "removed": False,
    }


def _word_address(address: str) -> str:
    """A 20-byte address left-padded to a 32-byte ABI word (no 0x)."""
    return address.lower().removeprefix("0x").rjust(64, "0")


def _word_int(amount) -> str:
    return format(int(amount), "064x")


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join((NETWORK, *parts)).encode()).hexdigest()
