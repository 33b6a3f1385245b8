"""The pricing service: cross-checked, cached quotes and amounts that never round down."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.purchases.pricing import (
    USER_MESSAGE,
    FxQuote,
    PriceDisagreement,
    PriceQuote,
    PriceUnavailable,
    crypto_amount,
    ngn_amount,
    usd_price,
    usd_to_ngn,
)
from apps.sandbox.failures import inject_failure
from apps.sandbox.prices import set_ngn_rate, set_price
from apps.sandbox.selectors import api_calls

live = pytest.mark.django_db(transaction=True)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def quote(usd: str) -> PriceQuote:
    return PriceQuote(coin="x", usd=Decimal(usd), sources={}, fetched_at=NOW)


def fx(rate: str, buffer: str = "100") -> FxQuote:
    return FxQuote(rate=Decimal(rate), buffer=Decimal(buffer), source="test", fetched_at=NOW)


def both_sources(coin: str, coingecko: str, binance: str) -> None:
    set_price("coingecko", coin, coingecko)
    set_price("binance", coin, binance)


def price_calls() -> int:
    return len(api_calls("coingecko.simple_price")) + len(api_calls("binance.ticker"))


# --- quotes ----------------------------------------------------------------------------------


@live
def test_a_quote_uses_coingecko_and_records_both_sources(providers):
    both_sources("binancecoin", "612.34", "612.50")

    result = usd_price("binancecoin")

    assert result.coin == "binancecoin"
    assert result.usd == Decimal("612.34")
    assert result.sources == {"coingecko": Decimal("612.34"), "binance": Decimal("612.50")}
    assert result.fetched_at.tzinfo is not None


@live
def test_a_second_quote_within_the_cache_time_makes_no_call(providers):
    first = usd_price("solana")
    calls_after_first = price_calls()
    set_price("coingecko", "solana", "999")  # a change the cached quote must not see

    second = usd_price("solana")

    assert calls_after_first == 2
    assert price_calls() == 2
    assert second == first


@live
def test_each_coin_has_its_own_cache_entry(providers):
    usd_price("solana")
    usd_price("aptos")

    assert price_calls() == 4


@live
@pytest.mark.parametrize(
    ("coingecko", "binance"),
    [
        ("100", "102"),  # 2 % of the lower price: just inside
        ("102", "100"),
        ("98", "99.96"),
    ],
)
def test_sources_within_the_deviation_are_accepted(providers, settings, coingecko, binance):
    settings.PRICE_MAX_DEVIATION_PERCENT = Decimal("2")
    both_sources("aptos", coingecko, binance)

    assert usd_price("aptos").usd == Decimal(coingecko)


@live
@pytest.mark.parametrize(
    ("coingecko", "binance"),
    [
        ("100", "102.01"),  # just outside
        ("102.01", "100"),
        ("100", "98"),  # 2 % of 100 but 2.04 % of the lower price, 98
    ],
)
def test_sources_beyond_the_deviation_are_refused(providers, settings, coingecko, binance):
    settings.PRICE_MAX_DEVIATION_PERCENT = Decimal("2")
    both_sources("aptos", coingecko, binance)

    with pytest.raises(PriceDisagreement) as refused:
        usd_price("aptos")

    assert str(refused.value) == USER_MESSAGE
    assert "coingecko" in refused.value.cause
    assert "binance" in refused.value.cause


@live
def test_a_refused_quote_is_not_cached(providers):
    both_sources("aptos", "8", "9")
    with pytest.raises(PriceDisagreement):
        usd_price("aptos")

    set_price("binance", "aptos", "8")

    assert usd_price("aptos").usd == Decimal("8")


@live
@pytest.mark.parametrize("down", ["coingecko.simple_price", "binance.ticker"])
def test_a_quote_that_cannot_be_cross_checked_is_refused(providers, caplog, down):
    caplog.set_level(logging.WARNING)
    inject_failure(down, "http_500", times=2)

    with pytest.raises(PriceUnavailable) as refused:
        usd_price("tron")

    assert str(refused.value) == "Prices are unavailable right now, please try again in a minute."
    assert "HTTP 500" in refused.value.cause
    assert "Price quote refused" in caplog.text


@live
def test_a_coin_coingecko_does_not_know_is_unavailable(providers):
    with pytest.raises(PriceUnavailable) as refused:
        usd_price("no-such-coin")

    assert "coingecko has no price" in refused.value.cause


@live
def test_a_coin_without_a_second_source_is_refused(providers):
    set_price("coingecko", "dogecoin", "0.1")

    with pytest.raises(PriceUnavailable) as refused:
        usd_price("dogecoin")

    assert "binance has no price" in refused.value.cause


@live
def test_tether_is_one_dollar_without_asking_anyone(providers):
    result = usd_price("tether")

    assert result.usd == Decimal(1)
    assert result.sources == {"fixed": Decimal(1)}
    assert price_calls() == 0


# --- USD -> NGN ------------------------------------------------------------------------------


@live
def test_the_naira_rate_is_exact_carries_the_buffer_and_is_cached(providers, settings):
    settings.NGN_BUFFER_PER_USD = Decimal("100")
    set_ngn_rate("1550.12")

    first = usd_to_ngn()
    set_ngn_rate("1600")
    second = usd_to_ngn()

    assert (first.rate, first.buffer, first.ngn_per_usd) == (
        Decimal("1550.12"),
        Decimal("100"),
        Decimal("1650.12"),
    )
    assert first.source == "exchangerate-api"
    assert second == first
    assert len(api_calls("fx.latest")) == 1


@live
def test_a_rate_source_down_is_unavailable_without_showing_the_key(providers, settings):
    settings.FX_API_KEY = "fx-key-that-must-stay-hidden"
    inject_failure("fx.latest", "http_502", times=2)

    with pytest.raises(PriceUnavailable) as refused:
        usd_to_ngn()

    assert "fx-key-that-must-stay-hidden" not in str(refused.value) + refused.value.cause
    assert "[REDACTED]" in refused.value.cause


def test_no_rate_without_an_fx_key(settings):
    settings.FX_API_KEY = None

    with pytest.raises(PriceUnavailable) as refused:
        usd_to_ngn()

    assert "FX_API_KEY" in refused.value.cause


# --- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usd", "price", "decimals", "amount"),
    [
        ("100", "600", 18, "0.16666667"),  # 0.1666666… rounds up, not to nearest
        ("10", "3", 18, "3.33333334"),
        ("30", "150", 9, "0.20000000"),  # exact stays exact
        ("10", "0.3", 6, "33.333334"),  # TRX: 6 decimals
        ("12.50", "1", 6, "12.500000"),  # USDT
        ("0.01", "612.34", 8, "0.00001634"),
        ("20", "8", 8, "2.50000000"),
    ],
)
def test_crypto_amounts_round_up_to_at_most_eight_places(usd, price, decimals, amount):
    result = crypto_amount(Decimal(usd), quote(price), decimals)

    assert str(result) == amount


def test_a_quotient_just_above_a_step_is_rounded_up_not_lost_in_precision():
    # 1 / (1 - 1e-40) exceeds 1 by ~1e-40, beyond Decimal's default 28 digits.
    result = crypto_amount(Decimal(1), quote("0." + "9" * 40), 18)

    assert result == Decimal("1.00000001")


@pytest.mark.parametrize(
    ("usd", "rate", "buffer", "amount"),
    [
        ("10", "1550.12", "100", "16501.20"),
        ("3.333", "1550.12", "100", "5499.85"),  # 5499.84996 up to whole kobo
        ("0.01", "1550.123", "100", "16.51"),  # 16.50123: up, never down to 16.50
        ("1", "1550", "0", "1550.00"),
    ],
)
def test_naira_amounts_add_the_buffer_and_round_up_to_kobo(usd, rate, buffer, amount):
    assert str(ngn_amount(Decimal(usd), fx(rate, buffer))) == amount


@pytest.mark.parametrize("usd", [Decimal("0"), Decimal("-1"), Decimal("NaN")])
def test_amounts_of_nothing_are_refused(usd):
    with pytest.raises(ValueError):
        crypto_amount(usd, quote("1"), 6)
    with pytest.raises(ValueError):
        ngn_amount(usd, fx("1550"))


def test_amounts_are_never_computed_from_a_float():
    with pytest.raises(TypeError):
        crypto_amount(10.0, quote("1"), 6)
