"""Errors raised by provider clients.

Messages name the provider, the HTTP method, a redacted path and what happened. They never carry
request headers, query strings, bodies or full URLs: a Telegram URL holds the bot token and a
Flutterwave request carries the secret key in a header, and these messages end up in logs, admin
pages and error trackers. Response bodies are kept as attributes for code to inspect, not in text.
"""

from __future__ import annotations

from typing import Any


class ProviderError(Exception):
    """Base of every failure talking to an external provider."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status_code = status_code
        # Whether another attempt of the same call may succeed (the retry loop reads this).
        self.retryable = retryable
        # Seconds the provider asked us to wait (Retry-After), when it said so.
        self.retry_after = retry_after


class ProviderTimeout(ProviderError):
    """The provider did not answer in time.

    Deliberately not a ProviderUnavailable: for a non-idempotent call the request may have been
    processed (a payout may have gone out), so the caller must reconcile before sending again.
    """


class ProviderUnavailable(ProviderError):
    """The provider could not be reached, dropped the connection or answered 5xx."""


class CircuitOpenError(ProviderUnavailable):
    """The circuit breaker refused the call; no request was sent."""


class ProviderRejected(ProviderError):
    """The provider answered 4xx: our request was refused (bad input, auth, rate limit)."""

    def __init__(self, message: str, *, provider: str, status_code: int, body: Any, **kwargs):
        super().__init__(message, provider=provider, status_code=status_code, **kwargs)
        # Parsed JSON when the body was JSON, else (truncated) text.
        self.body = body


class ProviderBadResponse(ProviderError):
    """The provider answered successfully but not with the JSON we expected."""

    def __init__(self, message: str, *, provider: str, status_code: int, body: str, **kwargs):
        super().__init__(message, provider=provider, status_code=status_code, **kwargs)
        self.body = body
