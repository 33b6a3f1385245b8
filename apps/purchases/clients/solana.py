"""What a Solana transaction paid our deposit wallet, read over JSON-RPC (external-apis.md §6).

Two calls, status first. ``getSignatureStatuses`` says whether the cluster knows the signature
at all (``null``: unknown, so no second call), whether it is only ``processed`` (executed, not
yet voted on: pending, and ``getTransaction`` would answer ``null`` anyway), and how deep it is.
Only then ``getTransaction`` (``jsonParsed``, commitment ``confirmed``, version-0 transactions
accepted) gives the amounts, read from balance deltas rather than from instructions, whose
parsed shapes vary by program version:

- SOL: postBalances - preBalances at every account key equal to our wallet;
- SPL tokens: postTokenBalances - preTokenBalances (matched by accountIndex; a missing pre entry
  is 0, as for a token account created in the same transaction) over the entries whose
  ``owner`` is our wallet. Tokens land in a token account, a different address owned by the
  wallet, so matching the account key instead of the owner would miss every token payment.

Addresses and mints are base58 and compared exactly. ``meta.err`` null means success.
Depth: ``confirmations`` counts blocks on top of the transaction's own, so one is added; a
rooted (finalized) transaction reports ``null`` and is at least FINALIZED_DEPTH deep, measured
from the slot the status call was answered at.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings

from apps.common.http import (
    CircuitBreaker,
    ProviderBadResponse,
    ProviderClient,
    ProviderRejected,
    ProviderUnavailable,
)
from apps.purchases.assets import NATIVE, Network
from apps.purchases.chains.base import ChainReceipt, TxStatus

PROVIDER = "chain-solana"
LAMPORT_DECIMALS = 9
# A rooted slot has at least 31 confirmed blocks on top of it (the max vote lockout).
FINALIZED_DEPTH = 32
# JSON-RPC errors that mean our request was wrong; every other code is the node's trouble
# (behind, slot skipped, internal error, rate limit) and may pass.
_REQUEST_ERROR_CODES = frozenset({-32700, -32600, -32601, -32602})
_TRANSACTION_CONFIG = {
    "encoding": "jsonParsed",
    "commitment": "confirmed",
    "maxSupportedTransactionVersion": 0,
}
# What a document that is not shaped as documented raises while we read it.
_SHAPE_ERRORS = (AttributeError, IndexError, KeyError, TypeError, ValueError)
_request_ids = itertools.count(1)


@dataclass(frozen=True)
class _SignatureStatus:
    processed_only: bool
    confirmations: int  # counting the transaction's own block
    final: bool


class SolanaClient(ProviderClient):
    network = Network.SOLANA

    def __init__(self, base_url: str, provider: str = PROVIDER, **options: Any) -> None:
        super().__init__(base_url, provider, **options)

    def fetch_receipt(self, tx_hash: str, *, deposit_address: str) -> ChainReceipt | None:
        status = self._status(tx_hash)
        if status is None:
            return None
        if status.processed_only:
            return ChainReceipt(status=TxStatus.PENDING)
        transaction = self.rpc("getTransaction", [tx_hash, _TRANSACTION_CONFIG])
        if transaction is None:
            # Confirmed in the status cache but not served by this node yet: ask again later.
            return ChainReceipt(status=TxStatus.PENDING, confirmations=status.confirmations)
        try:
            return _receipt(transaction, status, wallet=deposit_address)
        except _SHAPE_ERRORS as exc:
            raise self._malformed("getTransaction", transaction, exc) from exc

    def _status(self, tx_hash: str) -> _SignatureStatus | None:
        answer = self.rpc("getSignatureStatuses", [[tx_hash], {"searchTransactionHistory": True}])
        try:
            return _signature_status(answer)
        except _SHAPE_ERRORS as exc:
            raise self._malformed("getSignatureStatuses", answer, exc) from exc

    def rpc(self, method: str, params: list) -> Any:
        """The ``result`` of one JSON-RPC call; a lookup, so it is retried like a GET."""
        call = {"jsonrpc": "2.0", "id": next(_request_ids), "method": method, "params": params}
        response = self.request("POST", "", json=call, idempotent=True)
        body = self._json(response)
        if not isinstance(body, dict) or not ("result" in body or "error" in body):
            raise self._malformed(method, body, None, response)
        if body.get("error") is not None:
            raise self._rpc_error(method, body["error"], response)
        return body["result"]

    def _rpc_error(self, method: str, error: Any, response: httpx.Response) -> Exception:
        code = error.get("code") if isinstance(error, dict) else None
        message = str(error.get("message", ""))[:200] if isinstance(error, dict) else ""
        text = f"{self.provider}: {method} answered JSON-RPC error {code}: {message}"
        if code in _REQUEST_ERROR_CODES:
            return ProviderRejected(
                text, provider=self.provider, status_code=response.status_code, body=error
            )
        return ProviderUnavailable(
            text, provider=self.provider, status_code=response.status_code, retryable=True
        )

    def _malformed(
        self,
        method: str,
        answer: Any,
        cause: Exception | None,
        response: httpx.Response | None = None,
    ) -> ProviderBadResponse:
        why = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
        return ProviderBadResponse(
            f"{self.provider}: {method} answered an unexpected document{why}",
            provider=self.provider,
            status_code=response.status_code if response is not None else 200,
            body=repr(answer)[:2000],
        )


def build_solana_client(**options: Any) -> SolanaClient:
    """The client of settings.SOLANA_RPC_URL, with the breaker every process shares for it.

    OPTIONS go to ProviderClient (e.g. max_retries, backoff_seconds for a benchmark or a test).
    """
    breaker = CircuitBreaker(PROVIDER, failure_threshold=5, reset_timeout=60)
    return SolanaClient(settings.SOLANA_RPC_URL, breaker=breaker, **options)


# --- reading the answers ---------------------------------------------------------------------


def _signature_status(answer: dict) -> _SignatureStatus | None:
    value = answer["value"][0]
    if value is None:
        return None
    commitment = value.get("confirmationStatus")  # absent on very old nodes
    blocks_on_top = value.get("confirmations")
    if blocks_on_top is None:  # rooted: finalized by a supermajority
        depth = _integer(answer["context"]["slot"]) - _integer(value["slot"]) + 1
        return _SignatureStatus(False, max(FINALIZED_DEPTH, depth), final=True)
    return _SignatureStatus(
        processed_only=commitment == "processed",
        confirmations=_integer(blocks_on_top) + 1,
        final=commitment == "finalized",
    )


def _receipt(transaction: dict, status: _SignatureStatus, *, wallet: str) -> ChainReceipt:
    meta = transaction["meta"]
    block_time = transaction.get("blockTime")
    return ChainReceipt(
        status=TxStatus.SUCCESS if meta["err"] is None else TxStatus.FAILED,
        received=_received(transaction, wallet),
        confirmations=status.confirmations,
        final=status.final,
        block_time=datetime.fromtimestamp(_integer(block_time), UTC) if block_time else None,
    )


def _received(transaction: dict, wallet: str) -> dict[str, Decimal]:
    received: dict[str, Decimal] = {}
    lamports = _lamports_delta(transaction, wallet)
    if lamports > 0:
        received[NATIVE] = Decimal(lamports).scaleb(-LAMPORT_DECIMALS)
    for mint, (units, decimals) in _token_deltas(transaction["meta"], wallet).items():
        if units > 0:
            received[mint] = Decimal(units).scaleb(-decimals)
    return received


def _lamports_delta(transaction: dict, wallet: str) -> int:
    meta = transaction["meta"]
    keys = _account_keys(transaction)
    pre, post = meta["preBalances"], meta["postBalances"]
    if not len(keys) == len(pre) == len(post):
        raise ValueError("balances do not match the account keys")
    return sum(
        _integer(post[index]) - _integer(pre[index])
        for index, key in enumerate(keys)
        if key == wallet
    )


def _account_keys(transaction: dict) -> list[str]:
    """Every account key in balance order: the message's, then any loaded from lookup tables.

    jsonParsed already lists loaded addresses in accountKeys (source "lookupTable"); the plain
    json encoding leaves them in meta.loadedAddresses, so they are appended only when missing.
    """
    keys = [
        key["pubkey"] if isinstance(key, dict) else key
        for key in transaction["transaction"]["message"]["accountKeys"]
    ]
    meta = transaction["meta"]
    loaded = meta.get("loadedAddresses") or {}
    if len(keys) < len(meta["preBalances"]):
        keys += list(loaded.get("writable", [])) + list(loaded.get("readonly", []))
    return keys


def _token_deltas(meta: dict, wallet: str) -> dict[str, tuple[int, int]]:
    """Mint -> (raw units gained by WALLET's token accounts, the mint's decimals)."""
    before = {entry["accountIndex"]: entry for entry in meta.get("preTokenBalances") or []}
    after = {entry["accountIndex"]: entry for entry in meta.get("postTokenBalances") or []}
    units: dict[str, int] = defaultdict(int)
    decimals: dict[str, int] = {}
    for index in before.keys() | after.keys():
        entry = after.get(index) or before[index]
        if entry.get("owner") != wallet:
            continue
        mint = entry["mint"]
        units[mint] += _raw_amount(after.get(index)) - _raw_amount(before.get(index))
        decimals[mint] = _integer(entry["uiTokenAmount"]["decimals"])
    return {mint: (units[mint], decimals[mint]) for mint in units}


def _raw_amount(entry: dict | None) -> int:
    if entry is None:
        return 0
    amount = entry["uiTokenAmount"]["amount"]
    if not (isinstance(amount, str) and amount.isascii() and amount.isdigit()):
        raise ValueError(f"token amount {amount!r} is not a whole number string")
    return int(amount)


def _integer(value: Any) -> int:
    # Lamports, slots and times are JSON integers; a float or a bool here is a broken answer.
    if type(value) is not int:
        raise ValueError(f"{value!r} is not an integer")
    return value
