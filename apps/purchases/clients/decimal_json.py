"""A ProviderClient that reads prices and amounts as Decimal, never float.

JSON numbers with a fraction or an exponent become Decimal digit for digit (json.loads with
parse_float=Decimal); NaN and Infinity, which Python's json would accept, make the answer
malformed. Providers that send amounts as strings ("612.34000000") go through `to_decimal`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from apps.common.http.client import BODY_EXCERPT_CHARS, ProviderClient
from apps.common.http.decimal_json import loads_decimal_json
from apps.common.http.errors import ProviderBadResponse


def to_decimal(value: Any) -> Decimal:
    """A finite Decimal from a JSON number or a numeric string; ValueError for anything else."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError(f"expected a number, got {type(value).__name__}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError("expected a number") from None
    if not number.is_finite():
        raise ValueError("expected a finite number")
    return number


class DecimalJsonClient(ProviderClient):
    """get_json/post_json give Decimal for every non-integer number."""

    def _json(self, response: httpx.Response) -> Any:
        try:
            return loads_decimal_json(response.content)
        except ValueError as exc:
            raise self.unexpected(response, "malformed JSON") from exc

    def unexpected(self, response: httpx.Response, what: str) -> ProviderBadResponse:
        """The error for a successful answer we cannot use; WHAT says why (never a secret)."""
        return ProviderBadResponse(
            f"{self._where(response.request)} returned {what} (HTTP {response.status_code})",
            provider=self.provider,
            status_code=response.status_code,
            body=response.text[:BODY_EXCERPT_CHARS],
        )
