"""Tron addresses in their three spellings, converted both ways.

- base58check ``T...``: what users, wallets and our settings write; the canonical form we compare.
- hex ``41...`` (21 bytes): what the full node's /wallet API returns with ``visible`` false.
- 20 bytes without the ``41`` prefix: inside EVM-style logs and topics (TRC-20 events).

A base58 address ends with a 4-byte checksum (the first bytes of a double SHA-256), so a
hand-typed address with one wrong character is detected instead of silently never matching.
"""

from __future__ import annotations

import hashlib
import re

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: position for position, char in enumerate(_ALPHABET)}
# Every mainnet account and contract address starts with this byte ("T" in base58).
ADDRESS_PREFIX = 0x41
_PAYLOAD_BYTES = 21
_CHECKSUM_BYTES = 4
_HEX_20 = re.compile(r"[0-9a-fA-F]{40}")
_HEX_21 = re.compile(r"41[0-9a-fA-F]{40}")


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:_CHECKSUM_BYTES]


def b58encode_check(payload: bytes) -> str:
    data = payload + _checksum(payload)
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, remainder = divmod(number, 58)
        digits = _ALPHABET[remainder] + digits
    # Leading zero bytes carry no value in the number; base58 writes each as "1".
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + digits


def b58decode_check(text: str) -> bytes:
    """The payload of a base58check string; ValueError on a bad character or checksum."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"{text!r} is not base58: bad character {char!r}")
        number = number * 58 + _INDEX[char]
    leading_zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    data = b"\0" * leading_zeros + body
    payload, checksum = data[:-_CHECKSUM_BYTES], data[-_CHECKSUM_BYTES:]
    if len(data) <= _CHECKSUM_BYTES or _checksum(payload) != checksum:
        raise ValueError(f"{text!r} is not valid base58check: wrong checksum")
    return payload


def to_hex(address: str) -> str:
    """The ``41...`` hex form (lower case) of a base58check Tron address; ValueError if invalid."""
    payload = b58decode_check(address)
    if len(payload) != _PAYLOAD_BYTES or payload[0] != ADDRESS_PREFIX:
        raise ValueError(f"{address!r} is not a Tron address (needs 21 bytes starting 0x41)")
    return payload.hex()


def to_base58(address: str) -> str:
    """The base58check form of ADDRESS given as base58, ``41...`` hex, ``0x41...`` or 20-byte hex.

    ValueError when it is none of those (or a base58 address with a wrong checksum).
    """
    text = address.strip()
    if text.startswith("T"):
        to_hex(text)  # validates
        return text
    if text[:2].lower() == "0x":
        text = text[2:]
    if _HEX_20.fullmatch(text):
        text = "41" + text
    if not _HEX_21.fullmatch(text):
        raise ValueError(f"{address!r} is not a Tron address in base58 or hex")
    return b58encode_check(bytes.fromhex(text))


def from_topic(topic: str) -> str:
    """The base58 address inside a 32-byte log topic (left-padded 20-byte address)."""
    digits = topic[2:] if topic[:2].lower() == "0x" else topic
    if len(digits) != 64 or not re.fullmatch(r"[0-9a-fA-F]{64}", digits):
        raise ValueError(f"{topic!r} is not a 32-byte topic")
    return to_base58(digits[-40:])


def is_valid(address: str) -> bool:
    try:
        to_hex(address)
    except ValueError:
        return False
    return True
