"""The fake price sources' wire format: CoinGecko, Binance's ticker and exchangerate-api."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.sandbox.failures import inject_failure
from apps.sandbox.prices import fake_ngn_rate, set_ngn_rate, set_price
from apps.sandbox.selectors import api_calls

pytestmark = pytest.mark.django_db

SIMPLE_PRICE = "/sandbox/coingecko/simple/price"
TICKER = "/sandbox/binance/api/v3/ticker/price"


def fx_url(key: str, base: str = "USD") -> str:
    return f"/sandbox/fx/v6/{key}/latest/{base}"


# --- CoinGecko -------------------------------------------------------------------------------


def test_coingecko_answers_the_default_prices_as_json_numbers(client):
    response = client.get(SIMPLE_PRICE, {"ids": "binancecoin,tron", "vs_currencies": "usd"})

    assert response.status_code == 200
    assert response.content == b'{"binancecoin":{"usd":600},"tron":{"usd":0.25}}'
    assert response["Cache-Control"].startswith("max-age=0")


def test_coingecko_leaves_unknown_ids_out(client):
    response = client.get(SIMPLE_PRICE, {"ids": "solana,no-such-coin", "vs_currencies": "usd"})

    assert response.json() == {"solana": {"usd": 150}}


def test_a_price_set_for_coingecko_is_answered_digit_for_digit(client):
    set_price("coingecko", "aptos", "7.123456789012")

    response = client.get(SIMPLE_PRICE, {"ids": "aptos", "vs_currencies": "usd"})

    assert response.content == b'{"aptos":{"usd":7.123456789012}}'


def test_coingecko_without_ids_is_a_400(client):
    response = client.get(SIMPLE_PRICE, {"vs_currencies": "usd"})

    assert response.status_code == 400


def test_coingecko_refuses_a_wrong_api_key_when_one_is_configured(client, settings):
    settings.COINGECKO_API_KEY = "CG-right"

    wrong = client.get(
        SIMPLE_PRICE,
        {"ids": "solana", "vs_currencies": "usd"},
        headers={"x-cg-demo-api-key": "CG-wrong"},
    )
    right = client.get(
        SIMPLE_PRICE,
        {"ids": "solana", "vs_currencies": "usd"},
        headers={"x-cg-demo-api-key": "CG-right"},
    )

    assert wrong.status_code == 401
    assert wrong.json()["status"]["error_code"] == 10002
    assert right.status_code == 200


def test_an_injected_429_carries_retry_after_and_is_logged(client):
    inject_failure("coingecko.simple_price", "http_429", retry_after=7)

    response = client.get(SIMPLE_PRICE, {"ids": "solana", "vs_currencies": "usd"})

    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    [call] = api_calls("coingecko.simple_price")
    assert (call.http_status, call.injected) == (429, "http_429")
    assert call.params == {"ids": "solana", "vs_currencies": "usd"}


# --- Binance ---------------------------------------------------------------------------------


def test_binance_answers_a_ticker_with_the_price_as_an_eight_place_string(client):
    set_price("binance", "binancecoin", "612.34")

    response = client.get(TICKER, {"symbol": "BNBUSDT"})

    assert response.json() == {"symbol": "BNBUSDT", "price": "612.34000000"}


def test_binance_refuses_an_unknown_symbol_with_its_error_code(client):
    response = client.get(TICKER, {"symbol": "DOGEUSDT"})

    assert response.status_code == 400
    assert response.json() == {"code": -1121, "msg": "Invalid symbol."}


def test_coingecko_and_binance_prices_are_set_separately(client):
    set_price("binance", "solana", "151")

    gecko = client.get(SIMPLE_PRICE, {"ids": "solana", "vs_currencies": "usd"}).json()
    ticker = client.get(TICKER, {"symbol": "SOLUSDT"}).json()

    assert gecko == {"solana": {"usd": 150}}
    assert ticker["price"] == "151.00000000"


# --- exchangerate-api ------------------------------------------------------------------------


def test_fx_answers_the_naira_rate_as_a_json_number(client, settings):
    set_ngn_rate("1550.12")

    response = client.get(fx_url(settings.FX_API_KEY))

    assert response.status_code == 200
    assert b'"NGN":1550.12' in response.content
    body = response.json()
    assert (body["result"], body["base_code"]) == ("success", "USD")


def test_fx_refuses_a_wrong_key_and_never_logs_the_key(client):
    response = client.get(fx_url("not-the-key-4242"))

    assert response.status_code == 403
    assert response.json() == {"result": "error", "error-type": "invalid-key"}
    [call] = api_calls("fx.latest")
    assert "not-the-key-4242" not in str(call.params) + call.description


def test_fx_only_knows_usd_as_base(client, settings):
    response = client.get(fx_url(settings.FX_API_KEY, "EUR"))

    assert response.json()["error-type"] == "unsupported-code"


def test_fx_defaults_to_1550_naira_per_dollar():
    assert fake_ngn_rate() == Decimal("1550")


# --- services and guards ---------------------------------------------------------------------


def test_prices_are_never_set_from_a_float():
    with pytest.raises(TypeError):
        set_price("coingecko", "solana", 150.5)


def test_an_unknown_source_or_a_negative_price_is_refused():
    with pytest.raises(ValueError):
        set_price("kraken", "solana", "150")
    with pytest.raises(ValueError):
        set_ngn_rate("-1")


def test_the_fakes_are_gone_when_the_sandbox_is_off(client, settings):
    settings.SANDBOX = False

    response = client.get(SIMPLE_PRICE, {"ids": "solana", "vs_currencies": "usd"})

    assert response.status_code == 404
