"""BNB Smart Chain over Ethereum JSON-RPC: one transaction hash in, a ChainReceipt out.

Two round trips, each a JSON-RPC batch (one HTTP request, so one latency and one breaker call):

1. eth_getTransactionByHash (native value and recipient), eth_getTransactionReceipt (status and
   the token Transfer logs) and eth_blockNumber (the head, for confirmations).
2. Only once included: eth_getBlockByNumber for the block's timestamp, and the "finalized" block
   (BEP-126 fast finality) to say whether the transaction can still be reverted.

What reached the deposit address is summed per asset: the transaction's value when it is sent
straight to us (BNB moved by internal contract calls is not visible without tracing), and every
ERC-20 Transfer log whose recipient topic is us, keyed by the token contract in lower case.
Addresses compare case-insensitively (EIP-55 checksums are only a spelling).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from apps.common.http.breaker import CircuitBreaker
from apps.common.http.client import ProviderClient
from apps.common.http.errors import ProviderRejected
from apps.purchases.assets import ASSETS, NATIVE, Network
from apps.purchases.chains.base import ChainReceipt, TxStatus
from apps.purchases.clients.parsing import AnswerParsing

PROVIDER = "chain-bsc"
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
NATIVE_DECIMALS = 18  # 1 BNB = 10**18 wei
# A token we do not sell for is never credited; the verifier only needs to see that it arrived
# instead of ours, so its amount is scaled with the ERC-20 default rather than asked of the chain.
UNKNOWN_TOKEN_DECIMALS = 18
TOKEN_DECIMALS = {
    asset.token: asset.decimals
    for asset in ASSETS.values()
    if asset.network == Network.BSC and asset.token != NATIVE
}
# JSON-RPC errors another attempt may fix: node-side trouble (-32000 "header not found" on a
# lagging node, -32603 internal error) and rate limits (-32005).
RETRYABLE_RPC_CODES = frozenset({-32000, -32005, -32603})
_ADDRESS = re.compile(r"0x[0-9a-f]{40}")
_QUANTITY = re.compile(r"0x[0-9a-fA-F]+")
_WORD = re.compile(r"0x[0-9a-fA-F]{64}")


def chain_breaker() -> CircuitBreaker:
    """The breaker every BSC client shares (through the cache): 5 failures, open for 60 s."""
    return CircuitBreaker(PROVIDER, failure_threshold=5, reset_timeout=60)


class BscClient(AnswerParsing, ProviderClient):
    network = Network.BSC.value

    def __init__(self, base_url: str, *, breaker: CircuitBreaker | None = None, **options: Any):
        super().__init__(base_url, PROVIDER, breaker=breaker or chain_breaker(), **options)

    def fetch_receipt(self, tx_hash: str, *, deposit_address: str) -> ChainReceipt | None:
        deposit = canonical_address(deposit_address)
        transaction, receipt, head = self.call_batch(
            ("eth_getTransactionByHash", [tx_hash]),
            ("eth_getTransactionReceipt", [tx_hash]),
            ("eth_blockNumber", []),
        )
        if transaction is None:
            # Known to neither call: not broadcast yet, dropped, or a made-up hash. A receipt
            # without its transaction is a lagging node behind a load balancer: ask again later.
            return None if receipt is None else ChainReceipt(status=TxStatus.PENDING)
        if receipt is None:
            return ChainReceipt(status=TxStatus.PENDING)
        with self._parsing("eth_getTransactionReceipt", receipt):
            block_number = quantity(receipt["blockNumber"])
            succeeded = _receipt_succeeded(receipt)
        block, finalized = self.call_batch(
            ("eth_getBlockByNumber", [hex(block_number), False]),
            ("eth_getBlockByNumber", ["finalized", False]),
        )
        with self._parsing("eth_getTransactionByHash/eth_getTransactionReceipt", transaction):
            received = credited(transaction, receipt, deposit) if succeeded else {}
        with self._parsing("eth_blockNumber/eth_getBlockByNumber", [head, block, finalized]):
            return ChainReceipt(
                status=TxStatus.SUCCESS if succeeded else TxStatus.FAILED,
                received=received,
                # A lagging node can report a head below the receipt's block: still included.
                confirmations=max(1, quantity(head) - block_number + 1),
                final=finalized is not None and quantity(finalized["number"]) >= block_number,
                block_time=None if block is None else _block_time(block),
            )

    # --- JSON-RPC ---

    def call_batch(self, *calls: tuple[str, list]) -> list[Any]:
        """The results of CALLS (method, params) sent as one batch, in the order given.

        Lookups only, so the request is retried on timeouts, 429 and 5xx. A JSON-RPC error
        object raises ProviderRejected; an answer of the wrong shape ProviderBadResponse.
        """
        payload = [
            {"jsonrpc": "2.0", "id": number, "method": method, "params": params}
            for number, (method, params) in enumerate(calls, start=1)
        ]
        response = self.request("POST", "", json=payload, idempotent=True)
        body = self._json(response)
        methods = [method for method, _params in calls]
        if isinstance(body, dict) and "error" in body:  # the whole batch refused
            raise self._rpc_error("+".join(methods), body["error"], response.status_code)
        if not isinstance(body, list):
            raise self._bad("batch answer is not a JSON array", body)
        answers = {item.get("id"): item for item in body if isinstance(item, dict)}
        return [
            self._result(method, answers.get(number), response.status_code)
            for number, method in enumerate(methods, start=1)
        ]

    def _result(self, method: str, answer: dict | None, status_code: int) -> Any:
        if answer is None:
            raise self._bad(f"no answer to {method} in the batch", answer)
        if answer.get("error") is not None:
            raise self._rpc_error(method, answer["error"], status_code)
        if "result" not in answer:
            raise self._bad(f"{method} answered neither result nor error", answer)
        return answer["result"]

    def _rpc_error(self, method: str, error: Any, status_code: int) -> ProviderRejected:
        code = error.get("code") if isinstance(error, dict) else None
        message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
        return ProviderRejected(
            f"{self.provider}: {method} answered JSON-RPC error {code}: {message[:200]}",
            provider=self.provider,
            status_code=status_code,
            body=error,
            retryable=code in RETRYABLE_RPC_CODES,
        )


def build_bsc_client() -> BscClient:
    return BscClient(settings.BSC_RPC_URL)


# --- reading the answers ---------------------------------------------------------------------


def canonical_address(address: str) -> str:
    """0x + 40 lower-case hex; ValueError for anything else (a misconfigured deposit address)."""
    text = address.strip().lower()
    if not _ADDRESS.fullmatch(text):
        raise ValueError(f"{address!r} is not a BSC address (0x followed by 40 hex digits)")
    return text


def quantity(value: Any) -> int:
    """A JSON-RPC hex quantity ("0x1a") as an int."""
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value):
        raise ValueError(f"{value!r} is not a hex quantity")
    return int(value, 16)


def _receipt_succeeded(receipt: dict) -> bool:
    status = receipt["status"]
    if status not in ("0x0", "0x1"):
        raise ValueError(f"receipt status {status!r} is neither 0x0 nor 0x1")
    return status == "0x1"


def credited(transaction: dict, receipt: dict, deposit: str) -> dict[str, Decimal]:
    """Whole coins per asset that DEPOSIT received in a successful transaction."""
    units: dict[str, int] = defaultdict(int)
    if (transaction.get("to") or "").lower() == deposit:
        value = quantity(transaction["value"])
        if value:
            units[NATIVE] += value
    for log in receipt.get("logs") or []:
        transfer = _token_transfer(log)
        if transfer is not None and transfer[1] == deposit:
            token, _recipient, amount = transfer
            units[token] += amount
    return {asset: to_coins(amount, _decimals(asset)) for asset, amount in units.items() if amount}


def _token_transfer(log: dict) -> tuple[str, str, int] | None:
    """(token, recipient, raw amount) of an ERC-20 Transfer log, None for any other log.

    ERC-721 Transfer shares the topic but indexes the token id as a fourth topic: not money.
    """
    topics = log.get("topics") or []
    if log.get("removed") or len(topics) != 3 or str(topics[0]).lower() != TRANSFER_TOPIC:
        return None
    recipient_word, data = topics[2], log["data"]
    if not _WORD.fullmatch(recipient_word) or not _WORD.fullmatch(data):
        raise ValueError(f"Transfer log with malformed topic or data: {log!r}")
    token = canonical_address(log["address"])
    return token, "0x" + recipient_word[-40:].lower(), int(data, 16)


def _decimals(asset: str) -> int:
    if asset == NATIVE:
        return NATIVE_DECIMALS
    return TOKEN_DECIMALS.get(asset, UNKNOWN_TOKEN_DECIMALS)


def to_coins(units: int, decimals: int) -> Decimal:
    """UNITS / 10**DECIMALS, exact: built from the digits, no context rounding."""
    return Decimal(f"{units}e-{decimals}")


def _block_time(block: dict) -> datetime:
    return datetime.fromtimestamp(quantity(block["timestamp"]), tz=UTC)
