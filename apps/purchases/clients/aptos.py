"""What an Aptos transaction paid our deposit address, from the fullnode REST API (§7).

One call: ``GET /transactions/by_hash/{hash}``. A 404 with ``error_code``
``transaction_not_found`` is "unknown" (None); ``pending_transaction`` is still in the mempool;
any committed transaction has a ``version`` and ``success``.

Value reaches an address in one of two forms, and APT (a migrated coin) may use either, so both
are read and summed per asset:

- coin form: a ``0x1::coin::DepositEvent`` whose guid (account, creation number) is the
  ``deposit_events`` handle of a ``0x1::coin::CoinStore<T>`` resource in ``changes``; that
  resource's address is the owner and T the coin type;
- fungible-asset form: a ``0x1::fungible_asset::Deposit`` naming a store object; the
  ``0x1::object::ObjectCore`` at that address gives its owner and the
  ``0x1::fungible_asset::FungibleStore`` its metadata (the asset).

APT is keyed NATIVE in either form (coin type ``0x1::aptos_coin::AptosCoin``, metadata ``0xa``);
other assets by their metadata address, or coin type, in canonical form. Addresses are compared
as 0x + 64 lower-case hex digits, because the API writes special addresses short (``0x1``).

Confirmations: a committed Aptos transaction cannot be reverted (BFT finality, no reorgs), so
every committed receipt is ``final``. Its ``confirmations`` are still counted as ledger version
- version + 1, from the ``X-Aptos-Ledger-Version`` header of the same answer: it costs no extra
call, gives staff a depth that grows as the ledger moves like the other chains', and any
committed transaction already meets the Aptos threshold (1). Without the header it is 1.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.conf import settings

from apps.common.http import (
    CircuitBreaker,
    ProviderBadResponse,
    ProviderClient,
    ProviderRejected,
)
from apps.purchases.assets import ASSETS, NATIVE, Network
from apps.purchases.chains.base import ChainReceipt, TxStatus

PROVIDER = "chain-aptos"
LEDGER_VERSION_HEADER = "X-Aptos-Ledger-Version"
APT_COIN_TYPE = "0x1::aptos_coin::AptosCoin"
APT_METADATA = "0xa"
# What a document that is not shaped as documented raises while we read it.
_SHAPE_ERRORS = (AttributeError, IndexError, KeyError, TypeError, ValueError)
_ADDRESS_IN_TYPE = re.compile(r"0x[0-9a-fA-F]{1,64}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def normalize_aptos_address(address: str) -> str:
    """ADDRESS as 0x + 64 lower-case hex digits; ValueError if it is not an Aptos address."""
    digits = address.strip().lower().removeprefix("0x")
    if not digits or len(digits) > 64 or any(char not in "0123456789abcdef" for char in digits):
        raise ValueError(f"not an Aptos address: {address!r}")
    return "0x" + digits.zfill(64)


def canonical_type(type_tag: str) -> str:
    """A Move type with every address in it normalized: 0x1::coin::X -> 0x00…01::coin::X."""
    return _ADDRESS_IN_TYPE.sub(lambda match: normalize_aptos_address(match.group()), type_tag)


_COIN_DEPOSIT = canonical_type("0x1::coin::DepositEvent")
_FA_DEPOSIT = canonical_type("0x1::fungible_asset::Deposit")
_OBJECT_CORE = canonical_type("0x1::object::ObjectCore")
_FUNGIBLE_STORE = canonical_type("0x1::fungible_asset::FungibleStore")
_COIN_STORE = re.compile(re.escape(canonical_type("0x1::coin::CoinStore")) + r"<(.+)>")
_APT_KEYS = {canonical_type(APT_COIN_TYPE), normalize_aptos_address(APT_METADATA)}
# Decimals of the assets we sell; any other asset is reported in raw units, which never
# matters: the verifier refuses an unexpected asset before it looks at an amount.
_DECIMALS = {
    asset.token: asset.decimals for asset in ASSETS.values() if asset.network == Network.APTOS
}


class AptosClient(ProviderClient):
    network = Network.APTOS

    def __init__(self, base_url: str, provider: str = PROVIDER, **options: Any) -> None:
        super().__init__(base_url, provider, **options)

    def fetch_receipt(self, tx_hash: str, *, deposit_address: str) -> ChainReceipt | None:
        wallet = normalize_aptos_address(deposit_address)
        try:
            response = self.request("GET", f"transactions/by_hash/{quote(tx_hash, safe='')}")
        except ProviderRejected as error:
            if _is_unknown_transaction(error):
                return None
            raise
        document = self._json(response)
        ledger_version = response.headers.get(LEDGER_VERSION_HEADER)
        try:
            return _receipt(document, wallet=wallet, ledger_version=ledger_version)
        except _SHAPE_ERRORS as exc:
            raise ProviderBadResponse(
                f"{self.provider}: transaction by hash answered an unexpected document "
                f"({type(exc).__name__}: {exc})",
                provider=self.provider,
                status_code=response.status_code,
                body=response.text[:2000],
            ) from exc


def build_aptos_client(**options: Any) -> AptosClient:
    """The client of settings.APTOS_API_URL, with the breaker every process shares for it.

    OPTIONS go to ProviderClient (e.g. max_retries, backoff_seconds for a benchmark or a test).
    """
    breaker = CircuitBreaker(PROVIDER, failure_threshold=5, reset_timeout=60)
    return AptosClient(settings.APTOS_API_URL, breaker=breaker, **options)


def _is_unknown_transaction(error: ProviderRejected) -> bool:
    # Only the API's own "not found": a 404 page from a wrong base URL is an error, not "unknown".
    body = error.body if isinstance(error.body, dict) else {}
    return error.status_code == 404 and body.get("error_code") == "transaction_not_found"


# --- reading the answer ----------------------------------------------------------------------


def _receipt(document: dict, *, wallet: str, ledger_version: str | None) -> ChainReceipt:
    if document["type"] == "pending_transaction":
        return ChainReceipt(status=TxStatus.PENDING)
    version = _u64(document["version"])
    success = document["success"]
    if not isinstance(success, bool):
        raise ValueError(f"success is {success!r}, not a boolean")
    return ChainReceipt(
        status=TxStatus.SUCCESS if success else TxStatus.FAILED,
        received=_received(document, wallet),
        confirmations=_confirmations(version, ledger_version),
        final=True,
        block_time=_EPOCH + timedelta(microseconds=_u64(document["timestamp"])),
    )


def _confirmations(version: int, ledger_version: str | None) -> int:
    try:
        head = _u64(ledger_version)
    except (TypeError, ValueError):
        return 1
    return max(1, head - version + 1)


@dataclass(frozen=True)
class _Holding:
    owner: str  # canonical address
    asset: str  # NATIVE, or the canonical coin type / metadata address


def _received(document: dict, wallet: str) -> dict[str, Decimal]:
    changes = [change for change in document["changes"] if change["type"] == "write_resource"]
    coin_stores = _coin_stores_by_deposit_handle(changes)
    fungible_stores = _fungible_stores_by_address(changes)
    units: dict[str, int] = defaultdict(int)
    for event in document["events"]:
        event_type = canonical_type(event["type"])
        if event_type == _COIN_DEPOSIT:
            guid = event["guid"]
            handle = (
                normalize_aptos_address(guid["account_address"]),
                _u64(guid["creation_number"]),
            )
            holding = coin_stores.get(handle)
        elif event_type == _FA_DEPOSIT:
            holding = fungible_stores.get(normalize_aptos_address(event["data"]["store"]))
        else:
            continue
        if holding is not None and holding.owner == wallet:
            units[holding.asset] += _u64(event["data"]["amount"])
    return {asset: _whole(asset, amount) for asset, amount in units.items() if amount > 0}


def _coin_stores_by_deposit_handle(changes: list[dict]) -> dict[tuple[str, int], _Holding]:
    stores = {}
    for change in changes:
        match = _COIN_STORE.fullmatch(canonical_type(change["data"]["type"]))
        if match is None:
            continue
        handle = change["data"]["data"]["deposit_events"]["guid"]["id"]
        key = (normalize_aptos_address(handle["addr"]), _u64(handle["creation_num"]))
        owner = normalize_aptos_address(change["address"])
        stores[key] = _Holding(owner, _asset_key(match.group(1)))
    return stores


def _fungible_stores_by_address(changes: list[dict]) -> dict[str, _Holding]:
    owners, metadata = {}, {}
    for change in changes:
        resource_type = canonical_type(change["data"]["type"])
        address = normalize_aptos_address(change["address"])
        data = change["data"]["data"]
        if resource_type == _OBJECT_CORE:
            owners[address] = normalize_aptos_address(data["owner"])
        elif resource_type == _FUNGIBLE_STORE:
            metadata[address] = _asset_key(data["metadata"]["inner"])
    # A store counts only when both its owner and its asset are known.
    return {
        address: _Holding(owners[address], asset)
        for address, asset in metadata.items()
        if address in owners
    }


def _asset_key(coin_type_or_metadata: str) -> str:
    canonical = canonical_type(coin_type_or_metadata.strip())
    return NATIVE if canonical in _APT_KEYS else canonical


def _whole(asset: str, units: int) -> Decimal:
    return Decimal(units).scaleb(-_DECIMALS.get(asset, 0))


def _u64(value: Any) -> int:
    # The API writes every u64 as a decimal string (JSON numbers cannot hold them exactly).
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ValueError(f"{value!r} is not a u64 string")
