"""CoinGecko /simple/price: the USD price invoices are computed from (external-apis.md §8)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from apps.common.http.breaker import CircuitBreaker
from apps.purchases.clients.decimal_json import DecimalJsonClient, to_decimal

BREAKER_NAME = "prices-coingecko"
# A quote is asked while the user waits in the chat: answer fast, retry once, then let them
# try again in a minute rather than hold the conversation on backoff.
QUOTE_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
QUOTE_RETRIES = 1
QUOTE_BACKOFF_SECONDS = 0.25
PRO_HOST = "pro-api.coingecko.com"


def _key_header(base_url: str) -> str:
    """Demo keys go in x-cg-demo-api-key; Pro keys, used against the Pro root, in x-cg-pro-."""
    host = urlsplit(base_url).hostname or ""
    return "x-cg-pro-api-key" if host == PRO_HOST else "x-cg-demo-api-key"


class CoinGeckoClient(DecimalJsonClient):
    def __init__(self, base_url: str, *, api_key: str | None = None, **options) -> None:
        headers = {"Accept": "application/json"}
        if api_key:
            headers[_key_header(base_url)] = api_key
        super().__init__(base_url, "coingecko", headers=headers, **options)

    def usd_prices(self, coin_ids: Sequence[str]) -> dict[str, Decimal]:
        """USD per coin for each CoinGecko id CoinGecko knows; unknown ids are left out."""
        response = self.request(
            "GET",
            "/simple/price",
            params={"ids": ",".join(coin_ids), "vs_currencies": "usd", "precision": "full"},
        )
        body = self._json(response)
        if not isinstance(body, dict):
            raise self.unexpected(response, "an answer that is not an object")
        prices = {}
        for coin in coin_ids:
            entry = body.get(coin)
            if not isinstance(entry, dict) or "usd" not in entry:
                continue
            try:
                prices[coin] = to_decimal(entry["usd"])
            except ValueError:
                raise self.unexpected(
                    response, f"a USD price for {coin} that is not a number"
                ) from None
        return prices


def build_coingecko_client() -> CoinGeckoClient:
    return CoinGeckoClient(
        settings.COINGECKO_URL,
        api_key=settings.COINGECKO_API_KEY or None,
        timeout=QUOTE_TIMEOUT,
        max_retries=QUOTE_RETRIES,
        backoff_seconds=QUOTE_BACKOFF_SECONDS,
        breaker=CircuitBreaker(BREAKER_NAME),
    )
