"""What every chain client tells the payment verifier, whatever the chain's wire format.

A client turns one transaction hash into a ChainReceipt: did it succeed, what did our deposit
address receive in it (per asset), how deep is it, and when was it included. The verifier
(apps/purchases/verification.py) decides from that alone, so the rules (recipient, token,
tolerance, confirmations, age) are written once for the four chains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class TxStatus(StrEnum):
    PENDING = "pending"  # known to the chain but not executed/included yet
    FAILED = "failed"  # included, and the chain says it failed (reverted, err set)
    SUCCESS = "success"


@dataclass(frozen=True)
class ChainReceipt:
    status: TxStatus
    # Asset key (NATIVE or the token id as in apps/purchases/assets.py) -> amount in whole
    # coins (Decimal, exact: raw units / 10**decimals) credited to OUR deposit address by this
    # transaction, summed over every transfer in it. Empty when nothing reached our address.
    received: dict[str, Decimal] = field(default_factory=dict)
    # Blocks on top of the transaction's block, counting its own (1 = just included).
    confirmations: int = 0
    # True when the chain says it can no longer be reverted (finalized / solidified / committed).
    final: bool = False
    # When the block was produced (aware, UTC), if the chain says.
    block_time: datetime | None = None


class ChainClient(Protocol):
    network: str

    def fetch_receipt(self, tx_hash: str, *, deposit_address: str) -> ChainReceipt | None:
        """The receipt of TX_HASH (already normalized), None while the chain does not know it.

        Raises apps.common.http.errors.ProviderError subclasses for transport trouble
        (timeouts, 5xx, 429, malformed answers); the caller retries those later.
        """
        ...
