"""Amounts as users type them ("1,500", "25.5", "₦2000") into exact Decimals, or a clear refusal."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation

from apps.withdrawals.errors import WithdrawalRefused

CENT = Decimal("0.01")


def parse_amount(text: str) -> Decimal:
    cleaned = (text or "").strip().replace(",", "").lstrip("$₦").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise WithdrawalRefused("Please send an amount as a number, like 25 or 25.50.") from None
    if not amount.is_finite() or amount <= 0:
        raise WithdrawalRefused("The amount must be more than zero.")
    if amount != amount.quantize(CENT):
        raise WithdrawalRefused("Use at most two decimals, like 25.50.")
    return amount.quantize(CENT)


def usd_to_ngn(amount_usd: Decimal, rate: Decimal) -> Decimal:
    """What the bank receives for AMOUNT_USD: rounded down to the kobo, never more than owed."""
    return (amount_usd * rate).quantize(CENT, rounding=ROUND_DOWN)


def ngn_to_usd(amount_ngn: Decimal, rate: Decimal) -> Decimal:
    return (amount_ngn / rate).quantize(CENT, rounding=ROUND_DOWN)
