"""Write to the fake chains: record a transfer, move the head, read confirmations.

Shared by the chain fakes, the "pay this invoice" sandbox action, tests and the payments
benchmark. Hashes are generated in each chain's own format.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.sandbox.models import ChainHead, ChainTransfer

# Where each fake chain starts, so block numbers look like the real ones.
GENESIS_HEIGHTS = {
    "bsc": 40_000_000,
    "tron": 60_000_000,
    "solana": 280_000_000,
    "aptos": 1_000_000_000,
}
# Blocks a transfer gets on top of its own by default: enough for every default threshold.
SETTLED_DEPTH = 64
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def new_tx_hash(network: str) -> str:
    if network == "solana":
        return "".join(secrets.choice(_BASE58) for _ in range(88))
    digits = secrets.token_hex(32)
    return digits if network == "tron" else "0x" + digits


def head_block(network: str) -> int:
    head, _created = ChainHead.objects.get_or_create(
        network=network, defaults={"block_number": GENESIS_HEIGHTS[network]}
    )
    return head.block_number


def advance_head(network: str, blocks: int = 1) -> int:
    """Produce BLOCKS new blocks on NETWORK; returns the new head."""
    head_block(network)
    ChainHead.objects.filter(network=network).update(block_number=F("block_number") + blocks)
    return head_block(network)


@transaction.atomic
def record_transfer(
    network: str,
    *,
    recipient: str,
    amount_units: int | Decimal,
    token: str = "",
    sender: str = "",
    succeeded: bool = True,
    confirmations: int | None = SETTLED_DEPTH,
    block_time: datetime | None = None,
    tx_hash: str | None = None,
) -> ChainTransfer:
    """Put one transfer on the fake chain and return it.

    confirmations None leaves it in the mempool (no block yet); otherwise it is included so
    that it has exactly that many confirmations now (the head moves forward if needed).
    """
    block_number = None
    if confirmations is not None:
        if confirmations < 1:
            raise ValueError("confirmations is at least 1 (or None for the mempool).")
        # Every transfer is mined in a block of its own (blocks carry their time): the chain
        # grows by one block, and the transfer sits CONFIRMATIONS deep in it.
        head = advance_head(network, 1)
        if head - confirmations + 1 <= GENESIS_HEIGHTS[network]:
            head = advance_head(network, confirmations)
        block_number = head - confirmations + 1
    return ChainTransfer.objects.create(
        network=network,
        tx_hash=tx_hash or new_tx_hash(network),
        sender=sender or default_sender(network),
        recipient=recipient,
        token=token,
        amount_units=Decimal(amount_units),
        succeeded=succeeded,
        block_number=block_number,
        block_time=block_time or timezone.now(),
    )


def confirmations_of(transfer: ChainTransfer) -> int:
    if transfer.block_number is None:
        return 0
    return max(0, head_block(transfer.network) - transfer.block_number + 1)


def include_pending(transfer: ChainTransfer) -> None:
    """Mine a mempool transfer into the next block."""
    transfer.block_number = advance_head(transfer.network)
    transfer.save(update_fields=["block_number"])


def find_transfer(network: str, tx_hash: str) -> ChainTransfer | None:
    return ChainTransfer.objects.filter(network=network, tx_hash=tx_hash).first()


_SENDERS = {
    "bsc": "0x00000000000000000000000000000000000f00d5",
    "tron": "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
    "solana": "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM",
    "aptos": "0x0000000000000000000000000000000000000000000000000000000000000f00",
}


def default_sender(network: str) -> str:
    return _SENDERS[network]
