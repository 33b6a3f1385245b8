"""Tron through TronGrid's full-node HTTP API: one transaction id in, a ChainReceipt out.

Calls (POST {"value": txid}, all lookups, so retried like GETs):

1. /wallet/gettransactioninfobyid: {} until the transaction is in a block; then its block number
   and time, the execution result and the TRC-20 Transfer logs.
   {} -> /wallet/gettransactionfrompending: known but not executed yet (PENDING), or unknown.
2. /wallet/gettransactionbyid: the contract itself, for native TRX (TransferContract: to_address
   and amount in sun) and ret[0].contractRet.
3. /wallet/getnowblock: the head, for confirmations.
4. /walletsolidity/gettransactioninfobyid: answers only from solidified blocks, so a non-empty
   answer means the transaction can no longer be reverted (final).

Addresses compare in base58check, exactly: the node writes hex (41...) and logs carry 20-byte
topics, all converted with apps/purchases/clients/tron_address.py. Token keys are the contract's
base58 address, as in apps/purchases/assets.py. TRX moved by contract-internal calls is not read.

The API key goes in the TRON-PRO-API-KEY header only; ProviderClient never puts headers in
errors or logs.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings

from apps.common.http.breaker import CircuitBreaker
from apps.common.http.client import ProviderClient
from apps.common.http.errors import ProviderRejected
from apps.purchases.assets import ASSETS, NATIVE, Network
from apps.purchases.chains.base import ChainReceipt, TxStatus
from apps.purchases.clients.parsing import AnswerParsing
from apps.purchases.clients.tron_address import from_topic, to_base58

PROVIDER = "chain-tron"
API_KEY_HEADER = "TRON-PRO-API-KEY"
TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
NATIVE_DECIMALS = 6  # 1 TRX = 10**6 sun
# A token we do not sell for is never credited; the verifier only needs to see that it arrived
# instead of ours, so its amount is scaled with a fixed default rather than asked of the chain.
UNKNOWN_TOKEN_DECIMALS = 18
TOKEN_DECIMALS = {
    asset.token: asset.decimals
    for asset in ASSETS.values()
    if asset.network == Network.TRON and asset.token != NATIVE
}
SUCCESS = "SUCCESS"


def chain_breaker() -> CircuitBreaker:
    """The breaker every Tron client shares (through the cache): 5 failures, open for 60 s."""
    return CircuitBreaker(PROVIDER, failure_threshold=5, reset_timeout=60)


class TronClient(AnswerParsing, ProviderClient):
    network = Network.TRON.value

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        breaker: CircuitBreaker | None = None,
        **options: Any,
    ):
        headers = {API_KEY_HEADER: api_key} if api_key else None
        super().__init__(
            base_url, PROVIDER, headers=headers, breaker=breaker or chain_breaker(), **options
        )

    def fetch_receipt(self, tx_hash: str, *, deposit_address: str) -> ChainReceipt | None:
        deposit = to_base58(deposit_address)  # ValueError for a mistyped deposit address
        info = self.node_call("/wallet/gettransactioninfobyid", tx_hash)
        if not info:
            pending = self.node_call("/wallet/gettransactionfrompending", tx_hash)
            return ChainReceipt(status=TxStatus.PENDING) if pending else None
        transaction = self.node_call("/wallet/gettransactionbyid", tx_hash)
        if not transaction:
            raise self._bad("gettransactionbyid is empty for an executed transaction", info)
        head = self._head_block_number()
        solidified = self.node_call("/walletsolidity/gettransactioninfobyid", tx_hash)
        with self._parsing("gettransactioninfobyid/gettransactionbyid", [info, transaction]):
            block_number = whole_number(info["blockNumber"])
            succeeded = _succeeded(info, transaction)
            return ChainReceipt(
                status=TxStatus.SUCCESS if succeeded else TxStatus.FAILED,
                received=credited(info, transaction, deposit) if succeeded else {},
                confirmations=max(1, head - block_number + 1),
                final=bool(solidified),
                block_time=from_milliseconds(whole_number(info["blockTimeStamp"])),
            )

    # --- node calls ---

    def node_call(self, path: str, tx_hash: str) -> dict:
        """The JSON object PATH answers for TX_HASH; {} is the node's "I do not know it"."""
        body = self.post_json(path, json={"value": tx_hash, "visible": False}, idempotent=True)
        return self._checked(path, body)

    def _head_block_number(self) -> int:
        body = self._checked("/wallet/getnowblock", self.get_json("/wallet/getnowblock"))
        with self._parsing("getnowblock", body):
            return whole_number(body["block_header"]["raw_data"]["number"])

    def _checked(self, path: str, body: Any) -> dict:
        if not isinstance(body, dict):
            raise self._bad(f"{path} answered {type(body).__name__}, not an object", body)
        if "Error" in body:  # java-tron answers bad input with 200 and {"Error": ...}
            raise ProviderRejected(
                f"{self.provider}: {path} refused: {str(body['Error'])[:200]}",
                provider=self.provider,
                status_code=200,
                body=body,
            )
        return body


def build_tron_client() -> TronClient:
    return TronClient(settings.TRONGRID_URL, api_key=settings.TRONGRID_API_KEY or None)


# --- reading the answers ---------------------------------------------------------------------


def whole_number(value: Any) -> int:
    """A JSON integer (protobuf int64 may also be printed as a string of digits)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{value!r} is not a whole number")
    if isinstance(value, str) and not value.isdigit():
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def _succeeded(info: dict, transaction: dict) -> bool:
    """Every layer must say success: the contract result, the execution, the VM receipt."""
    contract_result = transaction["ret"][0]["contractRet"]
    vm_result = info.get("receipt", {}).get("result", SUCCESS)  # absent for plain transfers
    return contract_result == SUCCESS and vm_result == SUCCESS and info.get("result") != "FAILED"


def credited(info: dict, transaction: dict, deposit: str) -> dict[str, Decimal]:
    """Whole coins per asset that DEPOSIT (base58) received in a successful transaction."""
    units: dict[str, int] = defaultdict(int)
    for contract in transaction["raw_data"]["contract"]:
        if contract.get("type") != "TransferContract":
            continue
        value = contract["parameter"]["value"]
        if to_base58(value["to_address"]) == deposit:
            units[NATIVE] += whole_number(value["amount"])
    for log in info.get("log") or []:
        transfer = _token_transfer(log)
        if transfer is not None and transfer[1] == deposit:
            token, _recipient, amount = transfer
            units[token] += amount
    return {asset: to_coins(amount, _decimals(asset)) for asset, amount in units.items() if amount}


def _token_transfer(log: dict) -> tuple[str, str, int] | None:
    """(token, recipient, raw amount) of a TRC-20 Transfer log, None for any other log."""
    topics = [str(topic).lower().removeprefix("0x") for topic in log.get("topics") or []]
    if len(topics) != 3 or topics[0] != TRANSFER_TOPIC:
        return None
    return to_base58(log["address"]), from_topic(topics[2]), int(log["data"], 16)


def _decimals(asset: str) -> int:
    if asset == NATIVE:
        return NATIVE_DECIMALS
    return TOKEN_DECIMALS.get(asset, UNKNOWN_TOKEN_DECIMALS)


def to_coins(units: int, decimals: int) -> Decimal:
    """UNITS / 10**DECIMALS, exact: built from the digits, no context rounding."""
    return Decimal(f"{units}e-{decimals}")


def from_milliseconds(milliseconds: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=milliseconds)
