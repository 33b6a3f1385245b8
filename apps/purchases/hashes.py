"""Transaction hashes as users paste them, turned into one canonical form per network.

The old bot compared hashes exactly as typed, so the same BSC transaction pasted in upper case
was a "new" payment and was credited twice. Every claim stores the canonical form, which is
unique per network: hex chains are lower-cased with their prefix handled, Solana signatures
(base58, case-sensitive) are kept as they are.
"""

from __future__ import annotations

import re

from apps.purchases.assets import Network

# Lower-case 64-hex digits with an optional 0x (group 1: the digits), and a base58 signature;
# apps/legacy/hashes.py keys the old bot's hashes with the same two shapes.
HEX64 = re.compile(r"(?:0x)?([0-9a-f]{64})")
BASE58_SIGNATURE = re.compile(r"[1-9A-HJ-NP-Za-km-z]{64,90}")

FORMAT_HINTS = {
    Network.BSC: "0x followed by 64 hexadecimal characters",
    Network.TRON: "64 hexadecimal characters",
    Network.SOLANA: "a base58 transaction signature (about 88 characters)",
    Network.APTOS: "0x followed by 64 hexadecimal characters",
}


def normalize_hash(network: str, raw: str) -> str | None:
    """The canonical hash for NETWORK, or None when RAW is not a hash of that network."""
    text = (raw or "").strip()
    if network == Network.SOLANA:
        return text if BASE58_SIGNATURE.fullmatch(text) else None
    match = HEX64.fullmatch(text.lower())
    if match is None:
        return None
    digits = match.group(1)
    # Tron transaction ids carry no prefix on the wire; EVM and Aptos hashes do.
    return digits if network == Network.TRON else "0x" + digits
