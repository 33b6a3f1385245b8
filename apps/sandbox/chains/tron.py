"""The fake Tron full node behind TronGrid: /sandbox/chains/tron/wallet/... and /walletsolidity/...

Renders the ChainTransfer rows of network "tron" as java-tron's HTTP API does (external-apis.md
§5.2 and the node's own documentation). Every endpoint takes {"value": "<txid>", "visible": bool}
as a JSON POST body or as query parameters; addresses are hex (41...) unless visible is true.

- /wallet/gettransactionbyid: the transaction of an included row, {} otherwise (the node's
  transaction store only holds transactions in blocks). A native row is a TransferContract
  (amount in sun); a token row is a TriggerSmartContract calling transfer(to, amount) on the
  token. ret[0].contractRet is SUCCESS, or REVERT (token) / TRANSFER_FAILED (native) when the row
  failed.
- /wallet/gettransactionfrompending: a mempool row (no ret yet), {} otherwise.
- /wallet/gettransactioninfobyid: the execution result of an included row, {} otherwise:
  blockNumber, blockTimeStamp (ms), receipt, and for a successful token row one Transfer log
  (20-byte addresses without 41, topics and data without 0x). Failed rows carry result FAILED.
- /wallet/getnowblock: the head block (block_header.raw_data.number).
- /walletsolidity/...: the same three lookups answered from solidified blocks only. A row is
  solidified once it has SOLIDIFIED_CONFIRMATIONS confirmations (19, as on mainnet).

A TRON-PRO-API-KEY header that differs from settings.TRONGRID_API_KEY (when one is set) gets 401,
as TronGrid answers an unknown key. Injected failures are consumed as "tron.<endpoint>" for
/wallet/ ("tron.gettransactioninfobyid") and "tron.walletsolidity.<endpoint>" for the solidity
node. SANDBOX_CHAIN_LATENCY_MS (optional setting) delays every answer.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.purchases.clients.tron_address import to_hex
from apps.sandbox.chains.common import bad_gateway, simulate_latency
from apps.sandbox.chains.ledger import head_block
from apps.sandbox.failures import Kind, consume_failure
from apps.sandbox.guards import sandbox_only
from apps.sandbox.models import ChainTransfer

NETWORK = "tron"
SOLIDIFIED_CONFIRMATIONS = 19
API_KEY_HEADER = "TRON-PRO-API-KEY"
TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
TRANSFER_SELECTOR = "a9059cbb"
# Resource figures of a typical USDT transfer and TRX transfer; only for realism.
TOKEN_ENERGY, TOKEN_FEE_SUN, TOKEN_NET_USAGE = 64_285, 13_844_850, 345
NATIVE_NET_USAGE = 268
FEE_LIMIT_SUN = 100_000_000
TRANSACTION_TTL = timedelta(seconds=60)
_TXID = re.compile(r"[0-9a-fA-F]{64}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class NodeError(Exception):
    """java-tron answers bad input with HTTP 200 and {"Error": "<exception class> : <message>"}."""


# --- endpoints -------------------------------------------------------------------------------


def _endpoint(method: str, lookup):
    """A view for one node endpoint: latency, API key, injected failures, then LOOKUP(params)."""

    @sandbox_only
    @csrf_exempt
    @never_cache
    def view(request):
        simulate_latency()
        if not _api_key_accepted(request):
            return JsonResponse({"Error": "ApiKey not exists"}, status=401)
        failure = consume_failure(f"{NETWORK}.{method}")
        if failure is not None and failure.kind == Kind.DELAY:
            time.sleep(failure.delay_seconds or 0)
        elif failure is not None:
            return _failure_response(failure)
        try:
            body = lookup(_params(request))
        except NodeError as error:
            body = {"Error": str(error)}
        return JsonResponse(body)

    view.__name__ = method.replace(".", "_")
    return view


def _api_key_accepted(request) -> bool:
    sent = request.headers.get(API_KEY_HEADER)
    expected = getattr(settings, "TRONGRID_API_KEY", None)
    return not (sent and expected and sent != expected)


def _params(request) -> dict:
    params = {key: request.GET.get(key) for key in request.GET}
    if request.method == "POST" and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            raise NodeError("class com.google.gson.JsonSyntaxException : malformed JSON") from None
        if isinstance(body, dict):
            params.update(body)
    return params


def _failure_response(failure) -> HttpResponse:
    if failure.kind == Kind.HTTP_429:
        response = JsonResponse({"Error": "Too Many Requests"}, status=429)
        response["Retry-After"] = str(failure.retry_after)
        return response
    if failure.kind == Kind.HTTP_403_BLOCKED:
        message = (
            "The key exceeds the frequency limit(15), and the query server is suspended for 30s"
        )
        return JsonResponse({"Error": message}, status=403)
    if failure.kind == Kind.HTTP_500:
        return HttpResponse("Internal Server Error", status=500, content_type="text/plain")
    if failure.kind == Kind.HTTP_502:
        return bad_gateway()
    return HttpResponse(b'{"id":"', content_type="application/json")  # malformed_json


# --- lookups ---------------------------------------------------------------------------------


def _txid(params: dict) -> str:
    value = params.get("value")
    if not isinstance(value, str) or not _TXID.fullmatch(value):
        raise NodeError(
            "class java.lang.IllegalArgumentException : value must be a 32-byte transaction id"
        )
    return value.lower()


def _visible(params: dict) -> bool:
    return params.get("visible") in (True, "true", "True")


def _row(txid: str) -> ChainTransfer | None:
    return ChainTransfer.objects.filter(network=NETWORK, tx_hash__iexact=txid).first()


def _solid_head() -> int:
    return head_block(NETWORK) - (SOLIDIFIED_CONFIRMATIONS - 1)


def _included(row: ChainTransfer | None, *, solid: bool) -> bool:
    if row is None or row.block_number is None:
        return False
    return not solid or row.block_number <= _solid_head()


def transaction_lookup(*, solid: bool):
    def lookup(params: dict) -> dict:
        row = _row(_txid(params))
        if not _included(row, solid=solid):
            return {}
        return transaction_json(row, visible=_visible(params))

    return lookup


def pending_lookup(params: dict) -> dict:
    row = _row(_txid(params))
    if row is None or row.block_number is not None:
        return {}
    return transaction_json(row, visible=_visible(params))


def info_lookup(*, solid: bool):
    def lookup(params: dict) -> dict:
        row = _row(_txid(params))
        if not _included(row, solid=solid):
            return {}
        return transaction_info_json(row, visible=_visible(params))

    return lookup


def now_block_lookup(*, solid: bool):
    def lookup(params: dict) -> dict:
        return block_json(_solid_head() if solid else head_block(NETWORK))

    return lookup


gettransactionbyid = _endpoint("gettransactionbyid", transaction_lookup(solid=False))
gettransactioninfobyid = _endpoint("gettransactioninfobyid", info_lookup(solid=False))
gettransactionfrompending = _endpoint("gettransactionfrompending", pending_lookup)
getnowblock = _endpoint("getnowblock", now_block_lookup(solid=False))
solidity_gettransactionbyid = _endpoint(
    "walletsolidity.gettransactionbyid", transaction_lookup(solid=True)
)
solidity_gettransactioninfobyid = _endpoint(
    "walletsolidity.gettransactioninfobyid", info_lookup(solid=True)
)
solidity_getnowblock = _endpoint("walletsolidity.getnowblock", now_block_lookup(solid=True))


# --- rendering -------------------------------------------------------------------------------


def transaction_json(row: ChainTransfer, *, visible: bool = False) -> dict:
    """protocol.Transaction as the node prints it; `ret` only once the transaction has run."""
    created_ms = _milliseconds(row.block_time) - 3_000
    raw_data = {
        "contract": [_contract(row, visible)],
        "ref_block_bytes": _digest("ref", row.tx_hash)[:4],
        "ref_block_hash": _digest("refhash", row.tx_hash)[:16],
        "expiration": created_ms + TRANSACTION_TTL // timedelta(milliseconds=1),
        "timestamp": created_ms,
    }
    if row.token:
        raw_data["fee_limit"] = FEE_LIMIT_SUN
    transaction = {
        "visible": visible,
        "txID": row.tx_hash.lower(),
        "raw_data": raw_data,
        "signature": [_digest("sig", row.tx_hash) * 2 + "1b"],
    }
    if row.block_number is not None:
        transaction["ret"] = [{"contractRet": _contract_ret(row)}]
    return transaction


def _contract_ret(row: ChainTransfer) -> str:
    if row.succeeded:
        return "SUCCESS"
    return "REVERT" if row.token else "TRANSFER_FAILED"


def _contract(row: ChainTransfer, visible: bool) -> dict:
    if row.token:
        kind = "TriggerSmartContract"
        value = {
            "data": TRANSFER_SELECTOR + _word_address(row.recipient) + _word_int(row.amount_units),
            "owner_address": _address(row.sender, visible),
            "contract_address": _address(row.token, visible),
        }
    else:
        kind = "TransferContract"
        value = {
            "amount": int(row.amount_units),
            "owner_address": _address(row.sender, visible),
            "to_address": _address(row.recipient, visible),
        }
    return {
        "parameter": {"value": value, "type_url": f"type.googleapis.com/protocol.{kind}"},
        "type": kind,
    }


def transaction_info_json(row: ChainTransfer, *, visible: bool = False) -> dict:
    """protocol.TransactionInfo: where the transaction landed and what its execution did."""
    info = {
        "id": row.tx_hash.lower(),
        "blockNumber": row.block_number,
        "blockTimeStamp": _milliseconds(row.block_time),
    }
    if row.token:
        info.update(_token_execution(row, visible))
    else:
        info.update({"contractResult": [""], "receipt": {"net_usage": NATIVE_NET_USAGE}})
    if not row.succeeded:
        info["result"] = "FAILED"
    return info


def _token_execution(row: ChainTransfer, visible: bool) -> dict:
    receipt = {
        "energy_fee": TOKEN_FEE_SUN,
        "energy_usage_total": TOKEN_ENERGY,
        "net_usage": TOKEN_NET_USAGE,
        "result": "SUCCESS" if row.succeeded else "REVERT",
    }
    execution = {
        "fee": TOKEN_FEE_SUN,
        "contract_address": _address(row.token, visible),
        "receipt": receipt,
    }
    if row.succeeded:
        execution["contractResult"] = [_word_int(1)]
        execution["log"] = [
            {
                "address": to_hex(row.token)[2:],
                "topics": [
                    TRANSFER_TOPIC,
                    _word_address(row.sender),
                    _word_address(row.recipient),
                ],
                "data": _word_int(row.amount_units),
            }
        ]
    else:
        execution["contractResult"] = [""]
        execution["resMessage"] = b"REVERT opcode executed".hex()
    return execution


def block_json(number: int) -> dict:
    rows = list(ChainTransfer.objects.filter(network=NETWORK, block_number=number).order_by("id"))
    when = rows[0].block_time if rows else timezone.now()
    return {
        # A Tron block id starts with its number (8 bytes), then 24 bytes of the block hash.
        "blockID": f"{number:016x}" + _digest("block", str(number))[16:],
        "block_header": {
            "raw_data": {
                "number": number,
                "txTrieRoot": _digest("trie", str(number)),
                "witness_address": "41" + _digest("witness", "sr")[:40],
                "parentHash": f"{number - 1:016x}" + _digest("block", str(number - 1))[16:],
                "version": 31,
                "timestamp": _milliseconds(when),
            },
            "witness_signature": _digest("witness-sig", str(number)) * 2 + "00",
        },
    }


def _address(base58: str, visible: bool) -> str:
    return base58 if visible else to_hex(base58)


def _word_address(base58: str) -> str:
    """A Tron address as a 32-byte ABI word: its 20 bytes without 41, left-padded."""
    return to_hex(base58)[2:].rjust(64, "0")


def _word_int(amount) -> str:
    return format(int(amount), "064x")


def _milliseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join((NETWORK, *parts)).encode()).hexdigest()
