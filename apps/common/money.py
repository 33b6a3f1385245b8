"""Money as ``Decimal``: parsing user text, checking values from code, rounding, minor units.

The old system kept balances in floats and lost money to binary rounding, so nothing here
accepts or produces a float: a float passed in is a bug upstream and raises ``TypeError``
at once instead of being converted with its error baked in.

Two doors, two strictness levels:

* ``parse_amount`` reads what a bot user typed ("1,000.50", "₦5,000", "$25"). It is strict on
  shape, because a misread amount is a wrong payment: "1,00" or "10.505" could mean several
  things, so we ask the user again instead of guessing. Its ``MoneyError`` messages are shown
  to the user as they are.
* ``to_decimal`` takes values from code and APIs (Decimal, int, plain decimal strings) and
  never rounds silently; rounding is always the caller's explicit decision through
  ``quantize_money``.

All arithmetic runs in a local decimal context with generous precision and every trap that
matters enabled, so the process-wide context (which any library may change) cannot alter it.
"""

from __future__ import annotations

import decimal
import re
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
)

# Decimal places of the smallest unit each currency is settled in (cents, kobo).
CURRENCY_PLACES = {"USD": 2, "NGN": 2}
SUPPORTED_CURRENCIES = frozenset(CURRENCY_PLACES)
CURRENCY_SYMBOLS = {"USD": "$", "NGN": "₦"}

# No single plan purchase or withdrawal comes near this; anything above it is a typo or an
# attack, and refusing it keeps every later computation far inside the context's precision.
MAX_AMOUNT = Decimal("1000000000")

# What a user may write before the digits, upper-cased; longest first so "NGN" wins over "N".
_PREFIXES = sorted(
    [("$", "USD"), ("USD", "USD"), ("₦", "NGN"), ("NGN", "NGN"), ("N", "NGN")],
    key=lambda pair: len(pair[0]),
    reverse=True,
)
# Plus, hyphen-minus and the Unicode minus sign that phone keyboards produce.
_SIGNS = "+-\u2212"

# Either plain digits or digits grouped by three with commas (first group 1-3 digits, no
# leading zero), then an optional fraction. [0-9] rather than \d: \d also matches Arabic-Indic
# and other digits that Decimal would happily accept.
_USER_NUMBER = re.compile(
    r"(?P<whole>[0-9]+|[1-9][0-9]{0,2}(?:,[0-9]{3})+)(?:\.(?P<fraction>[0-9]+))?"
)
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

_ROUNDINGS = frozenset(
    {
        ROUND_05UP,
        ROUND_CEILING,
        ROUND_DOWN,
        ROUND_FLOOR,
        ROUND_HALF_DOWN,
        ROUND_HALF_EVEN,
        ROUND_HALF_UP,
        ROUND_UP,
    }
)

# 40 significant digits: far more than MAX_AMOUNT with its places, so quantizing a sane amount
# never runs out of precision. Traps turn NaN results and overflow into exceptions.
_CONTEXT = decimal.Context(
    prec=40,
    rounding=ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

GENERIC_HINT = "Enter an amount like 1,000.50."
FLOAT_REFUSED = "Floats are not accepted for money; pass a Decimal, an int or a str."


class MoneyError(ValueError):
    """An amount we will not use. The message is written for the bot user who typed it."""


def currency_places(currency: str) -> int:
    """Decimal places of CURRENCY; a MoneyError naming it when we do not handle it."""
    try:
        return CURRENCY_PLACES[currency]
    except (KeyError, TypeError):
        supported = ", ".join(sorted(SUPPORTED_CURRENCIES))
        raise MoneyError(
            f"Currency {currency!r} is not supported; use one of {supported}."
        ) from None


def parse_amount(text: str, *, currency: str, allow_zero: bool = False) -> Decimal:
    """Read an amount a user typed, e.g. "1,000.50", "₦5,000", "USD 25", for CURRENCY.

    Refuses anything ambiguous (misplaced commas, more decimals than the currency has, a
    sign, an exponent) instead of guessing, because a guess here becomes a wrong payment.
    Returns a Decimal with exactly the currency's places: "10.5" -> Decimal("10.50").
    """
    places = currency_places(currency)
    if isinstance(text, float):
        raise TypeError(FLOAT_REFUSED)
    if not isinstance(text, str):
        raise TypeError(f"parse_amount takes the user's text as str, not {type(text).__name__}.")
    body = text.strip()
    if not body:
        raise MoneyError(GENERIC_HINT)
    body = _strip_currency_prefix(body, currency=currency)
    match = _USER_NUMBER.fullmatch(body)
    if match is None:
        raise MoneyError(_explain_bad_number(body))
    fraction = match["fraction"] or ""
    if len(fraction) > places:
        raise MoneyError(f"Use at most {places} decimal places for {currency}, like 1,000.50.")
    amount = Decimal(match["whole"].replace(",", "") + "." + (fraction or "0"))
    _check_user_range(amount, currency=currency, allow_zero=allow_zero)
    return _exact(amount, currency=currency)


def to_decimal(value: Decimal | int | str, *, currency: str) -> Decimal:
    """Turn a value from code or an API into a Decimal with the currency's places.

    Accepts Decimal, int, or a plain decimal string ("1000.5", "-3"; no commas, exponents or
    spaces). Never rounds: a value that would lose anything when cut to the currency's places
    raises MoneyError; trailing zeros ("10.500") lose nothing and are fine. Round explicitly
    with ``quantize_money`` when a computation produced extra places. Negative values are
    allowed here (refunds, adjustments); user input goes through ``parse_amount``.
    """
    if isinstance(value, float):
        raise TypeError(FLOAT_REFUSED)
    if isinstance(value, bool):
        raise TypeError("A bool is not an amount of money.")
    if isinstance(value, str):
        if not _PLAIN_NUMBER.fullmatch(value):
            raise MoneyError(f"{value!r} is not a plain decimal number like 1000.50.")
        amount = Decimal(value)
    elif isinstance(value, Decimal | int):
        amount = Decimal(value)
    else:
        raise TypeError(f"Money must be a Decimal, an int or a str, not {type(value).__name__}.")
    return _exact(_require_finite(amount), currency=currency)


def quantize_money(amount: Decimal, *, currency: str, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """Round AMOUNT to the currency's places, explicitly.

    Banker's rounding (ROUND_HALF_EVEN) is the default for computed amounts such as FX
    conversions and 10% commissions: halves go to the even cent, so over many transactions
    the rounding does not drift in one direction (ROUND_HALF_UP would always favour one side).
    Callers bound by another rule (a provider that truncates, a fee that rounds up) pass it.
    """
    places = currency_places(currency)
    if rounding not in _ROUNDINGS:
        raise ValueError(f"Unknown rounding mode {rounding!r}; use a decimal.ROUND_* constant.")
    amount = _require_finite(_require_decimal(amount))
    with decimal.localcontext(_CONTEXT):
        try:
            return _normalise_zero(amount.quantize(Decimal(1).scaleb(-places), rounding=rounding))
        except InvalidOperation:
            raise MoneyError("That amount is too large.") from None


def to_minor_units(amount: Decimal, *, currency: str) -> int:
    """AMOUNT in the currency's smallest unit (cents, kobo), as Flutterwave and chains want.

    Refuses an amount with more (non-zero) places than the currency has: truncating it here
    would move money without anyone deciding to. Round first with ``quantize_money``.
    """
    places = currency_places(currency)
    exact = _exact(_require_finite(_require_decimal(amount)), currency=currency)
    with decimal.localcontext(_CONTEXT):
        return int(exact.scaleb(places))


def from_minor_units(units: int, *, currency: str) -> Decimal:
    """UNITS of the currency's smallest unit back to a Decimal amount: 150 USD -> 1.50."""
    places = currency_places(currency)
    if isinstance(units, bool) or not isinstance(units, int):
        raise TypeError(f"Minor units must be an int, not {type(units).__name__}.")
    with decimal.localcontext(_CONTEXT):
        return _exact(Decimal(units).scaleb(-places), currency=currency)


def format_amount(amount: Decimal, *, currency: str) -> str:
    """AMOUNT for people: "$1,000.50", "₦5,000.00", "-$5.00".

    Refuses an amount with more places than the currency has rather than showing a rounded
    figure that differs from what is charged or paid.
    """
    places = currency_places(currency)
    exact = _exact(_require_finite(_require_decimal(amount)), currency=currency)
    sign = "-" if exact < 0 else ""
    return f"{sign}{CURRENCY_SYMBOLS[currency]}{exact.copy_abs():,.{places}f}"


def _strip_currency_prefix(body: str, *, currency: str) -> str:
    """BODY without a leading "$", "USD", "₦", "NGN" or "N"; refuses another currency's one."""
    _refuse_sign(body)
    for prefix, prefix_currency in _PREFIXES:
        if body[: len(prefix)].upper() != prefix:
            continue
        rest = body[len(prefix) :].lstrip()
        # Only a prefix when a number follows: "NaN" is not "N" + "aN".
        if not rest or not (rest[0] in "0123456789" or rest[0] in _SIGNS):
            continue
        if prefix_currency != currency:
            example = format_amount(Decimal("1000.50"), currency=currency)
            raise MoneyError(
                f"That amount is in {prefix_currency}, but this needs {currency}. "
                f"Enter it like {example}."
            )
        _refuse_sign(rest)
        return rest
    return body


def _refuse_sign(body: str) -> None:
    if body[0] in _SIGNS:
        raise MoneyError("Enter the amount without a + or - sign, like 1,000.50.")


def _explain_bad_number(body: str) -> str:
    """The most helpful message for text that is not an amount."""
    if body.count(".") > 1:
        return "Use only one decimal point, like 1,000.50."
    if "," in body and _USER_NUMBER.fullmatch(body.replace(",", "")):
        return "Put commas only between groups of three digits, like 12,345,678.90."
    return GENERIC_HINT


def _check_user_range(amount: Decimal, *, currency: str, allow_zero: bool) -> None:
    if amount > MAX_AMOUNT:
        limit = format_amount(_exact(MAX_AMOUNT, currency=currency), currency=currency)
        raise MoneyError(f"The amount must be at most {limit}.")
    if amount == 0 and not allow_zero:
        raise MoneyError("The amount must be more than zero.")


def _exact(amount: Decimal, *, currency: str) -> Decimal:
    """AMOUNT with exactly the currency's places; MoneyError if that would change its value."""
    places = currency_places(currency)
    with decimal.localcontext(_CONTEXT):
        try:
            exact = amount.quantize(Decimal(1).scaleb(-places))
        except InvalidOperation:
            raise MoneyError("That amount is too large.") from None
    if exact != amount:
        raise MoneyError(
            f"{amount} has more than {places} decimal places for {currency}; "
            "round it explicitly with quantize_money."
        )
    return _normalise_zero(exact)


def _normalise_zero(amount: Decimal) -> Decimal:
    """Decimal("-0.00") -> Decimal("0.00"), so a zero never prints as "-$0.00"."""
    return amount.copy_abs() if amount == 0 else amount


def _require_decimal(amount: Decimal) -> Decimal:
    if isinstance(amount, float):
        raise TypeError(FLOAT_REFUSED)
    if not isinstance(amount, Decimal):
        raise TypeError(f"Expected a Decimal amount, not {type(amount).__name__}.")
    return amount


def _require_finite(amount: Decimal) -> Decimal:
    if not amount.is_finite():
        raise MoneyError(f"{amount} is not an amount of money.")
    return amount
