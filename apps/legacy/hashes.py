"""One key per payment, whatever case or prefix the old bot stored it with.

The old bot kept hashes exactly as users typed them, so one BSC transaction may sit in the old
tables as "0xABC…" and "abc…". The key drops what does not identify the transaction (0x, letter
case of hex) and keeps what does (base58 Solana signatures are case-sensitive). A 64-hex
hash has the same key on every hex chain: a hash that was ever credited is refused everywhere,
which costs nothing (distinct chains do not share transaction hashes).
"""

from __future__ import annotations

from apps.purchases.assets import Network
from apps.purchases.hashes import BASE58_SIGNATURE, HEX64

# Custom-plan rows carry a made-up reference, not a payment.
NOT_A_PAYMENT_PREFIX = "custom_plan_"


def legacy_key(raw) -> str | None:
    """The key of a hash or bank tx_ref as the old bot stored it; None when there is none."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not text or text.lower().startswith(NOT_A_PAYMENT_PREFIX):
        return None
    hex_match = HEX64.fullmatch(text.lower())
    if hex_match:
        return "hex:" + hex_match.group(1)
    if BASE58_SIGNATURE.fullmatch(text):
        return "b58:" + text
    return "ref:" + text.lower()[:120]


def claim_key(network: str, canonical_hash: str) -> str:
    """The key of a hash a user pastes today (already in our canonical form for NETWORK)."""
    if network == Network.SOLANA:
        return "b58:" + canonical_hash
    return legacy_key(canonical_hash) or ""


def credited_by_old_bot(network: str, canonical_hash: str) -> bool:
    from apps.legacy.models import UsedHash

    return UsedHash.objects.filter(key=claim_key(network, canonical_hash)).exists()
