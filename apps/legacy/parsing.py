"""Turning the old bot's loosely typed values into ours, or saying clearly why not.

Every parser returns a value or raises Unreadable with a message fit for the report; none
guesses. Rounding rule for money: the float as Python prints it (the shortest text that reads
back as the same float, so 0.30000000000000004 stays visible as what it is), rounded half-up to
cents. A change of more than float noise (1e-6) is a real sub-cent amount and is reported.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
FLOAT_NOISE = Decimal("0.000001")
# Nothing the old bot sold or paid came near this; a bigger number is a typo or corruption.
ABSURD_AMOUNT = Decimal("1000000000")  # 1e9 (naira withdrawals reach millions)

# The four formats of spec §1.5 item 7 (the fake-microsecond back-fill is plain ISO too): a date,
# ' ' or 'T', a time with optional fraction, an optional offset. Nothing looser is accepted.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?")
_MARKDOWN_V2_ESCAPE = re.compile(r"\\([_*\[\]()~`>#+\-=|{}.!\\])")


class Unreadable(ValueError):
    """A legacy value that cannot be turned into ours without guessing."""


def timestamp(raw) -> datetime:
    """An aware UTC datetime from any of the old bot's timestamp texts."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise Unreadable(f"timestamp {raw!r} is empty or not text")
    if not _TIMESTAMP.fullmatch(text):
        raise Unreadable(f"timestamp {raw!r} is in no known format")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:  # a well-formed text with an impossible date, such as 2025-02-30
        raise Unreadable(f"timestamp {raw!r} is not a real date and time") from None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def optional_timestamp(raw) -> datetime | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return timestamp(raw)


def money(raw, *, what: str = "amount") -> tuple[Decimal, Decimal]:
    """(cents, rounding change) for a legacy float; refuses NaN, infinity and absurd sizes."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str) or raw == "":
        raise Unreadable(f"{what} {raw!r} is not a number")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise Unreadable(f"{what} {raw!r} is not a finite number")
    try:
        exact = Decimal(repr(raw) if isinstance(raw, float) else str(raw).strip())
    except InvalidOperation:
        raise Unreadable(f"{what} {raw!r} is not a number") from None
    if not exact.is_finite() or abs(exact) >= ABSURD_AMOUNT:
        raise Unreadable(f"{what} {raw!r} is absurd (more than {ABSURD_AMOUNT:,})")
    cents = exact.quantize(CENT, rounding=ROUND_HALF_UP)
    return cents, cents - exact


def is_sub_cent(change: Decimal) -> bool:
    """A rounding that changed a real amount, not float noise."""
    return abs(change) > FLOAT_NOISE


def integer(raw, *, what: str) -> int:
    if isinstance(raw, bool):
        raise Unreadable(f"{what} {raw!r} is not a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
        return int(raw.strip())
    raise Unreadable(f"{what} {raw!r} is not a whole number")


def unescape_markdown_v2(text: str) -> str:
    """The old bot stored Telegram links MarkdownV2-escaped (https://t\\.me/…)."""
    return _MARKDOWN_V2_ESCAPE.sub(r"\1", text or "")


def handle(raw) -> str:
    """A username or X handle: no @, lower case, at most 64 characters."""
    return (raw or "").strip().lstrip("@").lower()[:64]


def text(raw, *, limit: int) -> str:
    return ("" if raw is None else str(raw)).strip()[:limit]
