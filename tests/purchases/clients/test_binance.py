"""The Binance ticker client against the fake Binance over loopback HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.common.http.errors import ProviderRejected, ProviderUnavailable
from apps.purchases.clients.binance import build_binance_client
from apps.sandbox.failures import inject_failure
from apps.sandbox.prices import set_price
from apps.sandbox.selectors import api_calls

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_ticker_price_string_becomes_an_exact_decimal(providers):
    set_price("binance", "binancecoin", "612.34")

    with build_binance_client() as client:
        price = client.usdt_price("binancecoin")

    assert price == Decimal("612.34000000")
    assert isinstance(price, Decimal)


def test_a_coin_without_a_known_pair_is_none_without_a_call(providers):
    with build_binance_client() as client:
        assert client.usdt_price("tether") is None

    assert api_calls("binance.ticker") == []


def test_an_unknown_symbol_is_refused(providers):
    with build_binance_client() as client, pytest.raises(ProviderRejected) as refused:
        client.ticker_price("DOGEUSDT")

    assert refused.value.status_code == 400
    assert refused.value.body == {"code": -1121, "msg": "Invalid symbol."}


def test_a_source_down_fails_after_one_retry(providers):
    inject_failure("binance.ticker", "http_502", times=2)

    with build_binance_client() as client, pytest.raises(ProviderUnavailable):
        client.usdt_price("solana")

    assert len(api_calls("binance.ticker")) == 2
