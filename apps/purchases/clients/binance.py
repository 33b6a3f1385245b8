"""Binance's public ticker, the second price source that cross-checks CoinGecko.

GET /api/v3/ticker/price?symbol=BNBUSDT -> {"symbol": "BNBUSDT", "price": "612.34000000"}.
Binance quotes in USDT, not USD; the pricing service only compares the two sources within a
tolerance of a few percent, far above USDT's usual distance from the dollar, and never charges
a Binance price.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from apps.common.http.breaker import CircuitBreaker
from apps.purchases.clients.coingecko import (
    QUOTE_BACKOFF_SECONDS,
    QUOTE_RETRIES,
    QUOTE_TIMEOUT,
)
from apps.purchases.clients.decimal_json import DecimalJsonClient, to_decimal

BREAKER_NAME = "prices-binance"
# Binance's USDT pair for each CoinGecko id we price.
SYMBOLS = {
    "binancecoin": "BNBUSDT",
    "solana": "SOLUSDT",
    "tron": "TRXUSDT",
    "aptos": "APTUSDT",
}


class BinanceClient(DecimalJsonClient):
    def __init__(self, base_url: str, **options) -> None:
        super().__init__(base_url, "binance", headers={"Accept": "application/json"}, **options)

    def ticker_price(self, symbol: str) -> Decimal:
        """The last price of SYMBOL (e.g. "BNBUSDT")."""
        response = self.request("GET", "/api/v3/ticker/price", params={"symbol": symbol})
        body = self._json(response)
        if not isinstance(body, dict) or body.get("symbol") != symbol:
            raise self.unexpected(response, f"no ticker for {symbol}")
        try:
            return to_decimal(body.get("price"))
        except ValueError:
            raise self.unexpected(response, f"a {symbol} price that is not a number") from None

    def usdt_price(self, coin: str) -> Decimal | None:
        """The USDT price of COIN (a CoinGecko id); None when Binance has no pair we know for it."""
        symbol = SYMBOLS.get(coin)
        return self.ticker_price(symbol) if symbol else None


def build_binance_client() -> BinanceClient:
    return BinanceClient(
        settings.SECOND_PRICE_URL,
        timeout=QUOTE_TIMEOUT,
        max_retries=QUOTE_RETRIES,
        backoff_seconds=QUOTE_BACKOFF_SECONDS,
        breaker=CircuitBreaker(BREAKER_NAME),
    )
