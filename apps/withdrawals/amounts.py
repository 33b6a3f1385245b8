"""Amounts as users type them ("1,500", "25.5", "₦2000") into exact Decimals, or a clear refusal."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from apps.common import money
from apps.withdrawals.errors import WithdrawalRefused

CENT = Decimal("0.01")


def parse_amount(text: str, *, currency: str) -> Decimal:
    """The amount a user typed for CURRENCY, read by the shared strict parser.

    Strict on purpose: "1,00" (a European 1.00?) or "1e2" must be asked again, not read as 100.
    """
    try:
        return money.parse_amount(text or "", currency=currency)
    except money.MoneyError as error:
        raise WithdrawalRefused(str(error)) from None


def usd_to_ngn(amount_usd: Decimal, rate: Decimal) -> Decimal:
    """What the bank receives for AMOUNT_USD: rounded down to the kobo, never more than owed."""
    return (amount_usd * rate).quantize(CENT, rounding=ROUND_DOWN)


def ngn_to_usd(amount_ngn: Decimal, rate: Decimal) -> Decimal:
    return (amount_ngn / rate).quantize(CENT, rounding=ROUND_DOWN)
