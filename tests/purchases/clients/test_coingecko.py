"""The CoinGecko client against the fake CoinGecko over loopback HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings

from apps.common.http.errors import ProviderBadResponse, ProviderRejected
from apps.purchases.clients.coingecko import CoinGeckoClient, build_coingecko_client
from apps.sandbox.failures import inject_failure
from apps.sandbox.prices import set_price
from apps.sandbox.selectors import api_calls

pytestmark = pytest.mark.django_db(transaction=True)


def test_prices_arrive_as_exact_decimals(providers):
    set_price("coingecko", "tron", "0.123456789012")

    with build_coingecko_client() as client:
        prices = client.usd_prices(["binancecoin", "tron"])

    assert prices == {"binancecoin": Decimal("600"), "tron": Decimal("0.123456789012")}
    assert all(isinstance(price, Decimal) for price in prices.values())


def test_coins_coingecko_does_not_know_are_left_out(providers):
    with build_coingecko_client() as client:
        prices = client.usd_prices(["solana", "no-such-coin"])

    assert prices == {"solana": Decimal("150")}


def test_the_configured_key_is_sent_and_a_wrong_one_is_refused(providers, settings):
    settings.COINGECKO_API_KEY = "CG-right-key"

    with build_coingecko_client() as client:
        assert client.usd_prices(["solana"]) == {"solana": Decimal("150")}
    with (
        CoinGeckoClient(settings.COINGECKO_URL, api_key="CG-wrong-key") as client,
        pytest.raises(ProviderRejected) as refused,
    ):
        client.usd_prices(["solana"])

    assert refused.value.status_code == 401
    assert "CG-wrong-key" not in str(refused.value)


def test_a_500_is_retried_once(providers):
    inject_failure("coingecko.simple_price", "http_500")

    with build_coingecko_client() as client:
        assert client.usd_prices(["aptos"]) == {"aptos": Decimal("8")}

    assert [call.http_status for call in api_calls("coingecko.simple_price")] == [500, 200]


def test_a_malformed_answer_is_a_bad_response(providers):
    inject_failure("coingecko.simple_price", "malformed_json")

    with build_coingecko_client() as client, pytest.raises(ProviderBadResponse):
        client.usd_prices(["aptos"])


def test_the_base_url_is_the_one_configured():
    with build_coingecko_client() as client:
        assert str(client._http.base_url).rstrip("/") == settings.COINGECKO_URL.rstrip("/")
