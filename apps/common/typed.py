"""Numbers that bot users type or that arrive in button data, read without surprises."""

from __future__ import annotations


def whole_number(text: str, *, max_digits: int) -> int | None:
    """TEXT as an int when it is 1 to MAX_DIGITS ASCII digits, else None.

    str.isdigit() alone also says yes to "²", which int() refuses (a crashed update), and to
    other scripts' digits, which nothing the bot shows uses. MAX_DIGITS keeps ids inside the
    database's integer range.
    """
    if not (text.isascii() and text.isdigit()) or len(text) > max_digits:
        return None
    return int(text)
