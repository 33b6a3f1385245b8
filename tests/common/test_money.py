"""Money handling: strict parsing of bot input, no floats, no silent rounding."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest

from apps.common.money import (
    CURRENCY_PLACES,
    MAX_AMOUNT,
    SUPPORTED_CURRENCIES,
    MoneyError,
    format_amount,
    from_minor_units,
    parse_amount,
    quantize_money,
    to_decimal,
    to_minor_units,
)

# --- parse_amount: what a bot user types -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("25", "USD", "25.00"),
        ("10.5", "USD", "10.50"),
        ("10.05", "USD", "10.05"),
        ("0.01", "USD", "0.01"),
        ("1,000", "USD", "1000.00"),
        ("1,000.50", "USD", "1000.50"),
        ("12,345,678.90", "NGN", "12345678.90"),
        ("1000000", "NGN", "1000000.00"),
        ("  42  ", "USD", "42.00"),
        ("\t7.25\n", "USD", "7.25"),
        ("$25", "USD", "25.00"),
        ("$ 25", "USD", "25.00"),
        ("USD 25", "USD", "25.00"),
        ("usd25.10", "USD", "25.10"),
        ("₦5,000", "NGN", "5000.00"),
        ("NGN 5,000.75", "NGN", "5000.75"),
        ("ngn5000", "NGN", "5000.00"),
        ("N5,000", "NGN", "5000.00"),
        ("n 250", "NGN", "250.00"),
        ("1,000,000,000", "NGN", "1000000000.00"),
    ],
)
def test_parse_amount_accepts_the_ways_users_write_amounts(text, currency, expected):
    result = parse_amount(text, currency=currency)
    assert result == Decimal(expected)
    assert str(result) == expected  # exactly the currency's places, not just an equal value


@pytest.mark.parametrize("text", ["1,00", "1,0000", ",100", "100,", "0,100", "1,000,00", "1,,000"])
def test_thousands_commas_must_be_grouped_by_three(text):
    with pytest.raises(MoneyError, match="groups of three digits"):
        parse_amount(text, currency="USD")


@pytest.mark.parametrize("text", ["10.505", "0.001", "1,000.500"])
def test_more_decimal_places_than_the_currency_has_is_refused(text):
    with pytest.raises(MoneyError, match="at most 2 decimal places for USD"):
        parse_amount(text, currency="USD")


@pytest.mark.parametrize("text", ["-5", "+5", "\u22125", "$-5", "-$5", "NGN -5", " - 5"])
def test_signs_are_refused(text):
    currency = "NGN" if "NGN" in text else "USD"
    with pytest.raises(MoneyError, match=r"without a \+ or - sign"):
        parse_amount(text, currency=currency)


@pytest.mark.parametrize("text", ["1.2.3", "1..5", "1,000.50.25"])
def test_more_than_one_decimal_point_is_refused(text):
    with pytest.raises(MoneyError, match="one decimal point"):
        parse_amount(text, currency="USD")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "1e3",
        "1E3",
        "NaN",
        "nan",
        "Infinity",
        "inf",
        "ten",
        "12abc",
        "1 000",
        ".5",
        "5.",
        "$",
        "USD",
        "25$",
        "25 USD",
        "US$25",
        "0x10",
        "\u0661\u0662\u0663",  # Arabic-Indic digits: Decimal accepts them, we do not
        "\uff11\uff12\uff13",  # full-width digits
        "(5)",
    ],
)
def test_text_that_is_not_an_amount_gets_the_generic_hint(text):
    with pytest.raises(MoneyError) as excinfo:
        parse_amount(text, currency="USD")
    assert str(excinfo.value) == "Enter an amount like 1,000.50."


@pytest.mark.parametrize("text", ["NaN", "N", "Infinity", "N a N"])
def test_nan_is_not_read_as_the_naira_n_prefix(text):
    with pytest.raises(MoneyError, match=re.escape("Enter an amount like 1,000.50.")):
        parse_amount(text, currency="NGN")


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("$25", "NGN", "That amount is in USD, but this needs NGN. Enter it like ₦1,000.50."),
        ("USD 25", "NGN", "is in USD, but this needs NGN"),
        ("₦5,000", "USD", "That amount is in NGN, but this needs USD. Enter it like $1,000.50."),
        ("NGN5000", "USD", "is in NGN, but this needs USD"),
        ("N5000", "USD", "is in NGN, but this needs USD"),
    ],
)
def test_another_currencys_symbol_is_refused(text, currency, message):
    with pytest.raises(MoneyError, match=re.escape(message)):
        parse_amount(text, currency=currency)


def test_amounts_above_the_maximum_are_refused():
    assert parse_amount("1000000000", currency="USD") == MAX_AMOUNT
    for text in ["1000000000.01", "1,000,000,001", "9" * 500]:
        with pytest.raises(MoneyError, match=r"at most \$1,000,000,000\.00"):
            parse_amount(text, currency="USD")


@pytest.mark.parametrize("text", ["0", "0.00", "$0", "0,000"])
def test_zero_is_refused_unless_allowed(text):
    if text == "0,000":  # a zero with a thousands comma is still a misplaced comma
        with pytest.raises(MoneyError, match="groups of three"):
            parse_amount(text, currency="USD", allow_zero=True)
        return
    with pytest.raises(MoneyError, match="more than zero"):
        parse_amount(text, currency="USD")
    assert str(parse_amount(text, currency="USD", allow_zero=True)) == "0.00"


def test_parse_amount_refuses_a_float():
    with pytest.raises(TypeError, match="Floats are not accepted for money"):
        parse_amount(10.5, currency="USD")


@pytest.mark.parametrize("value", [10, Decimal("10"), b"10", None])
def test_parse_amount_only_takes_text(value):
    with pytest.raises(TypeError, match="as str"):
        parse_amount(value, currency="USD")


def test_parse_amount_messages_are_money_errors_and_value_errors():
    with pytest.raises(ValueError, match="decimal places"):
        parse_amount("1.999", currency="NGN")


# --- currencies ---------------------------------------------------------------------------


def test_supported_currencies_match_the_places_table():
    assert {"USD", "NGN"} == SUPPORTED_CURRENCIES
    assert CURRENCY_PLACES == {"USD": 2, "NGN": 2}


@pytest.mark.parametrize(
    "call",
    [
        lambda: parse_amount("1", currency="EUR"),
        lambda: to_decimal("1", currency="EUR"),
        lambda: quantize_money(Decimal("1"), currency="EUR"),
        lambda: to_minor_units(Decimal("1"), currency="EUR"),
        lambda: from_minor_units(1, currency="EUR"),
        lambda: format_amount(Decimal("1"), currency="EUR"),
    ],
)
def test_unknown_currency_is_named_in_the_error(call):
    with pytest.raises(MoneyError, match="Currency 'EUR' is not supported; use one of NGN, USD"):
        call()


@pytest.mark.parametrize("currency", ["usd", None, ""])
def test_currency_codes_must_be_exact(currency):
    with pytest.raises(MoneyError, match="is not supported"):
        to_decimal("1", currency=currency)


# --- to_decimal: values from code and APIs ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("10.5"), "10.50"),
        (Decimal("10.500"), "10.50"),  # trailing zeros lose nothing
        (Decimal("1E+2"), "100.00"),
        (Decimal("-3.25"), "-3.25"),
        (Decimal("-0"), "0.00"),
        (7, "7.00"),
        (-7, "-7.00"),
        (0, "0.00"),
        ("1000.5", "1000.50"),
        ("-3", "-3.00"),
        ("0.10", "0.10"),
        ("25.000000", "25.00"),
    ],
)
def test_to_decimal_accepts_decimals_ints_and_plain_strings(value, expected):
    result = to_decimal(value, currency="USD")
    assert str(result) == expected


@pytest.mark.parametrize("value", [Decimal("0.125"), Decimal("10.001"), "10.505", "0.0000001"])
def test_to_decimal_never_rounds_silently(value):
    with pytest.raises(MoneyError, match="more than 2 decimal places for USD") as excinfo:
        to_decimal(value, currency="USD")
    assert "quantize_money" in str(excinfo.value)


@pytest.mark.parametrize(
    "value",
    ["1,000", "1e3", "NaN", "Infinity", " 5", "+5", "", ".5", "5.", "\u0661\u0662\u0663", "0x10"],
)
def test_to_decimal_refuses_strings_that_are_not_plain_decimals(value):
    with pytest.raises(MoneyError, match="not a plain decimal number"):
        to_decimal(value, currency="USD")


@pytest.mark.parametrize(
    "value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")]
)
def test_to_decimal_refuses_nan_and_infinity(value):
    with pytest.raises(MoneyError, match="not an amount of money"):
        to_decimal(value, currency="USD")


def test_to_decimal_refuses_a_float():
    with pytest.raises(TypeError, match="Floats are not accepted for money"):
        to_decimal(0.1, currency="USD")


@pytest.mark.parametrize("value", [True, False])
def test_to_decimal_refuses_a_bool(value):
    with pytest.raises(TypeError, match="bool"):
        to_decimal(value, currency="USD")


@pytest.mark.parametrize("value", [None, [1], b"1"])
def test_to_decimal_refuses_other_types(value):
    with pytest.raises(TypeError, match="Decimal, an int or a str"):
        to_decimal(value, currency="USD")


def test_to_decimal_refuses_values_beyond_the_working_precision():
    with pytest.raises(MoneyError, match="too large"):
        to_decimal(10**50, currency="USD")


def test_to_decimal_is_exact_for_big_values_within_precision():
    # 30 significant digits: more than the default global context's 28, still exact here.
    value = "123456789012345678901234567.89"
    assert str(to_decimal(value, currency="NGN")) == value


# --- quantize_money: explicit rounding -----------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.125", "0.12"),
        ("0.135", "0.14"),
        ("0.145", "0.14"),
        ("2.675", "2.68"),  # the classic float failure: round(2.675, 2) == 2.67
        ("-0.125", "-0.12"),
        ("0.1251", "0.13"),
        ("10", "10.00"),
        ("-0.001", "0.00"),  # no negative zero
    ],
)
def test_quantize_money_uses_bankers_rounding_by_default(amount, expected):
    assert str(quantize_money(Decimal(amount), currency="USD")) == expected


def test_round_half_up_passed_explicitly_changes_the_result():
    assert quantize_money(Decimal("0.125"), currency="USD") == Decimal("0.12")
    assert quantize_money(Decimal("0.125"), currency="USD", rounding=ROUND_HALF_UP) == Decimal(
        "0.13"
    )


def test_other_rounding_modes_are_honoured():
    assert quantize_money(Decimal("0.129"), currency="NGN", rounding=ROUND_DOWN) == Decimal("0.12")


def test_ten_percent_commission_is_rounded_to_the_even_cent():
    commission = Decimal("10.25") * Decimal("0.10")  # 1.0250
    assert str(quantize_money(commission, currency="USD")) == "1.02"


def test_quantize_money_refuses_an_unknown_rounding_mode():
    with pytest.raises(ValueError, match="Unknown rounding mode"):
        quantize_money(Decimal("1"), currency="USD", rounding="ROUND_SOMETIMES")


def test_quantize_money_refuses_a_float():
    with pytest.raises(TypeError, match="Floats are not accepted for money"):
        quantize_money(0.125, currency="USD")


@pytest.mark.parametrize("value", [1, "1.00", None])
def test_quantize_money_takes_only_decimals(value):
    with pytest.raises(TypeError, match="Expected a Decimal"):
        quantize_money(value, currency="USD")


def test_quantize_money_refuses_nan():
    with pytest.raises(MoneyError, match="not an amount of money"):
        quantize_money(Decimal("NaN"), currency="USD")


def test_quantize_money_refuses_values_beyond_the_working_precision():
    with pytest.raises(MoneyError, match="too large"):
        quantize_money(Decimal("1E+50"), currency="USD")


# --- minor units ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "units"),
    [
        ("0.00", 0),
        ("0.01", 1),
        ("1.50", 150),
        ("1000.05", 100005),
        ("-5.00", -500),
        ("1000000000.00", 100000000000),
        ("123456789012345678901234567.89", 12345678901234567890123456789),
    ],
)
def test_minor_units_round_trip(amount, units):
    assert to_minor_units(Decimal(amount), currency="USD") == units
    assert isinstance(to_minor_units(Decimal(amount), currency="USD"), int)
    back = from_minor_units(units, currency="USD")
    assert str(back) == amount
    assert to_minor_units(back, currency="NGN") == units


def test_to_minor_units_accepts_trailing_zeros_from_arithmetic():
    assert to_minor_units(Decimal("15.000"), currency="NGN") == 1500


def test_to_minor_units_refuses_amounts_with_more_places_than_the_currency():
    with pytest.raises(MoneyError, match="more than 2 decimal places"):
        to_minor_units(Decimal("1.005"), currency="USD")


def test_to_minor_units_refuses_a_float():
    with pytest.raises(TypeError, match="Floats are not accepted for money"):
        to_minor_units(1.5, currency="USD")


@pytest.mark.parametrize("units", [1.5, "150", Decimal("150"), True, None])
def test_from_minor_units_takes_only_ints(units):
    with pytest.raises(TypeError, match="Minor units must be an int"):
        from_minor_units(units, currency="USD")


def test_from_minor_units_refuses_values_beyond_the_working_precision():
    with pytest.raises(MoneyError, match="too large"):
        from_minor_units(10**60 + 1, currency="USD")


# --- format_amount --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1000.50", "USD", "$1,000.50"),
        ("5000", "NGN", "₦5,000.00"),
        ("-5", "USD", "-$5.00"),
        ("-1234567.8", "NGN", "-₦1,234,567.80"),
        ("0", "USD", "$0.00"),
        ("-0.00", "USD", "$0.00"),
        ("0.5", "USD", "$0.50"),
        ("999.999000", "USD", None),
        ("1000000000", "NGN", "₦1,000,000,000.00"),
        ("123456789012345678901234567.89", "USD", "$123,456,789,012,345,678,901,234,567.89"),
    ],
)
def test_format_amount(amount, currency, expected):
    if expected is None:
        with pytest.raises(MoneyError, match="decimal places"):
            format_amount(Decimal(amount), currency=currency)
        return
    assert format_amount(Decimal(amount), currency=currency) == expected


def test_format_amount_refuses_a_float():
    with pytest.raises(TypeError, match="Floats are not accepted for money"):
        format_amount(5.0, currency="USD")


def test_format_amount_refuses_infinity():
    with pytest.raises(MoneyError, match="not an amount of money"):
        format_amount(Decimal("Infinity"), currency="USD")


def test_parsed_amounts_format_back_to_what_the_user_meant():
    assert format_amount(parse_amount("1,000.5", currency="USD"), currency="USD") == "$1,000.50"
    assert format_amount(parse_amount("N5000", currency="NGN"), currency="NGN") == "₦5,000.00"
