"""Fake price sources: CoinGecko /simple/price, Binance /api/v3/ticker/price and
exchangerate-api /v6/<key>/latest/<base> (external-apis.md §8; legacy spec §3.7, §3.8).

Each answers from FakePrice rows, else from the defaults below, so `make run` quotes invoices
with no setup. set_price / set_ngn_rate move a price for tests, staff and the benchmark.
Injected failures: "coingecko.simple_price", "binance.ticker", "fx.latest".
"""

from __future__ import annotations

import hmac
from decimal import Decimal, InvalidOperation
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.sandbox.models import FakePrice
from apps.sandbox.provider_fakes import json_response, provider_endpoint

Source = FakePrice.Source

DEFAULT_USD_PRICES = {
    "binancecoin": Decimal("600"),
    "solana": Decimal("150"),
    "tron": Decimal("0.25"),
    "aptos": Decimal("8"),
    "tether": Decimal("1"),
}
DEFAULT_NGN_PER_USD = Decimal("1550")
NGN = "NGN"
# Binance quotes coins in USDT; the symbols the fake knows, by CoinGecko id.
BINANCE_SYMBOLS = {
    "BNBUSDT": "binancecoin",
    "SOLUSDT": "solana",
    "TRXUSDT": "tron",
    "APTUSDT": "aptos",
}
BINANCE_PRICE_PLACES = Decimal("0.00000001")  # Binance writes "612.34000000"


# --- services --------------------------------------------------------------------------------


def _as_decimal(value: Decimal | str | int) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Prices are Decimal, str or int, never float.")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number.") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{value!r} is not a price (a finite number, zero or more).")
    return number


def _save_price(source: str, coin: str, value: Decimal | str | int) -> FakePrice:
    row = FakePrice.objects.filter(source=source, coin=coin).first() or FakePrice(
        source=source, coin=coin
    )
    row.price = _as_decimal(value)
    try:
        row.full_clean(validate_unique=False)
    except ValidationError as error:
        raise ValueError("; ".join(error.messages)) from None
    row.save()
    return row


def set_price(source: str, coin: str, usd: Decimal | str | int) -> FakePrice:
    """Make SOURCE ("coingecko" or "binance") answer USD for COIN (a CoinGecko id)."""
    if source not in (Source.COINGECKO, Source.BINANCE):
        raise ValueError(f"Unknown price source {source!r}; coingecko or binance.")
    return _save_price(source, coin.strip().lower(), usd)


def set_ngn_rate(rate: Decimal | str | int) -> FakePrice:
    """Make the fake exchangerate-api answer RATE naira per US dollar."""
    return _save_price(Source.FX, NGN, rate)


def fake_price(source: str, coin: str) -> Decimal | None:
    """What SOURCE answers for COIN now; None for a coin it does not know."""
    row = FakePrice.objects.filter(source=source, coin=coin).first()
    return row.price if row else DEFAULT_USD_PRICES.get(coin)


def fake_ngn_rate() -> Decimal:
    row = FakePrice.objects.filter(source=Source.FX, coin=NGN).first()
    return row.price if row else DEFAULT_NGN_PER_USD


# --- CoinGecko -------------------------------------------------------------------------------


def _coingecko_error(status: int, text: str) -> dict:
    return {"status": {"error_code": status, "error_message": text}}


def _coingecko_key_refused(request) -> bool:
    """Keyless calls are allowed (CoinGecko's public tier); a wrong key is not."""
    sent = request.headers.get("x-cg-demo-api-key") or request.GET.get("x_cg_demo_api_key")
    expected = settings.COINGECKO_API_KEY
    if not sent or not expected:
        return False
    return not hmac.compare_digest(sent.encode(), expected.encode())


@provider_endpoint("coingecko.simple_price", error_body=_coingecko_error)
def coingecko_simple_price(request):
    if _coingecko_key_refused(request):
        error = _coingecko_error(10002, "Invalid API key. Please check your key.")
        return json_response(error, HTTPStatus.UNAUTHORIZED)
    ids = [coin.strip().lower() for coin in request.GET.get("ids", "").split(",") if coin.strip()]
    currencies = [c.strip().lower() for c in request.GET.get("vs_currencies", "").split(",")]
    if not ids:
        return json_response({"error": "Missing parameter ids"}, HTTPStatus.BAD_REQUEST)
    if not any(currencies):
        return json_response({"error": "Missing parameter vs_currencies"}, HTTPStatus.BAD_REQUEST)
    body = {}
    for coin in ids:
        usd = fake_price(Source.COINGECKO, coin)
        if usd is not None:  # unknown ids are simply absent, as CoinGecko does
            body[coin] = {"usd": usd} if "usd" in currencies else {}
    return json_response(body)


# --- Binance ---------------------------------------------------------------------------------


def _binance_error(status: int, text: str) -> dict:
    code = -1003 if status == HTTPStatus.TOO_MANY_REQUESTS else -1000
    return {"code": code, "msg": text}


def _ticker(symbol: str) -> dict | None:
    coin = BINANCE_SYMBOLS.get(symbol)
    price = fake_price(Source.BINANCE, coin) if coin else None
    if price is None:
        return None
    return {"symbol": symbol, "price": str(price.quantize(BINANCE_PRICE_PLACES))}


@provider_endpoint("binance.ticker", error_body=_binance_error)
def binance_ticker_price(request):
    symbol = request.GET.get("symbol")
    if symbol is None:  # Binance answers every symbol when none is asked for
        return json_response([_ticker(symbol) for symbol in BINANCE_SYMBOLS])
    ticker = _ticker(symbol.upper())
    if ticker is None:
        return json_response({"code": -1121, "msg": "Invalid symbol."}, HTTPStatus.BAD_REQUEST)
    return json_response(ticker)


# --- exchangerate-api ------------------------------------------------------------------------


def _fx_error(status: int, text: str) -> dict:
    kind = "quota-reached" if status == HTTPStatus.TOO_MANY_REQUESTS else "internal-error"
    return {"result": "error", "error-type": kind}


@provider_endpoint("fx.latest", error_body=_fx_error, path_holds_secret=True)
def fx_latest(request, api_key: str, base_code: str):
    expected = settings.FX_API_KEY or ""
    if not hmac.compare_digest(api_key.encode(), expected.encode()):
        body = {"result": "error", "error-type": "invalid-key"}
        return json_response(body, HTTPStatus.FORBIDDEN)
    if base_code.upper() != "USD":
        body = {"result": "error", "error-type": "unsupported-code"}
        return json_response(body, HTTPStatus.NOT_FOUND)
    now = timezone.now()
    return json_response(
        {
            "result": "success",
            "documentation": "https://www.exchangerate-api.com/docs",
            "time_last_update_unix": int(now.timestamp()),
            "time_last_update_utc": now.strftime("%a, %d %b %Y %H:%M:%S +0000"),
            "base_code": "USD",
            "conversion_rates": {"USD": Decimal(1), NGN: fake_ngn_rate()},
        }
    )
