"""exchangerate-api v6: naira per US dollar for bank-transfer invoices (legacy spec §3.8).

GET /v6/<FX_API_KEY>/latest/USD -> {"result": "success", "conversion_rates": {"NGN": 1550.12}}.
The key travels in the URL path, where ProviderClient would print it in every error message and
log line; this client describes its requests with that path segment redacted.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import quote

import httpx
from django.conf import settings

from apps.common.http.breaker import CircuitBreaker
from apps.purchases.clients.coingecko import (
    QUOTE_BACKOFF_SECONDS,
    QUOTE_RETRIES,
    QUOTE_TIMEOUT,
)
from apps.purchases.clients.decimal_json import DecimalJsonClient, to_decimal

BREAKER_NAME = "fx"
SOURCE_NAME = "exchangerate-api"
# /v6/<key>/... in any URL prefix; the key is whatever sits in the segment after /v6/.
_KEY_SEGMENT = re.compile(r"(/v6/)[^/]*")


def redact_key(path: str) -> str:
    return _KEY_SEGMENT.sub(r"\1[REDACTED]", path)


class FxClient(DecimalJsonClient):
    def __init__(self, base_url: str, *, api_key: str, **options) -> None:
        if not api_key:
            raise ValueError("exchangerate-api needs an API key (FX_API_KEY)")
        self._latest_path = f"/v6/{quote(api_key, safe='')}/latest/USD"
        super().__init__(base_url, "fx", headers={"Accept": "application/json"}, **options)

    def usd_rate(self, currency: str) -> Decimal:
        """Units of CURRENCY (e.g. "NGN") one US dollar buys now."""
        response = self.request("GET", self._latest_path)
        body = self._json(response)
        if not isinstance(body, dict) or body.get("result") != "success":
            error_type = body.get("error-type") if isinstance(body, dict) else None
            raise self.unexpected(response, f"no rates (error-type {error_type!r})")
        rates = body.get("conversion_rates")
        try:
            rate = to_decimal(rates.get(currency) if isinstance(rates, dict) else None)
        except ValueError:
            raise self.unexpected(response, f"no usable {currency} rate") from None
        if rate <= 0:
            raise self.unexpected(response, f"a {currency} rate that is not positive")
        return rate

    # --- never name the key ---

    def _described(self, request: httpx.Request) -> httpx.Request:
        """REQUEST as errors and logs may show it: the key segment of the path redacted."""
        # The encoded path: decoding first would split a key holding "%2F" at a slash.
        raw_path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        safe_url = request.url.copy_with(raw_path=redact_key(raw_path).encode("ascii"))
        return httpx.Request(request.method, safe_url)

    def _where(self, request: httpx.Request) -> str:
        return super()._where(self._described(request))

    def _log(self, request: httpx.Request, *args, **kwargs) -> None:
        super()._log(self._described(request), *args, **kwargs)


def build_fx_client() -> FxClient:
    return FxClient(
        settings.FX_RATE_URL,
        api_key=settings.FX_API_KEY or "",
        timeout=QUOTE_TIMEOUT,
        max_retries=QUOTE_RETRIES,
        backoff_seconds=QUOTE_BACKOFF_SECONDS,
        breaker=CircuitBreaker(BREAKER_NAME),
    )
