"""The base of every external-provider client (Telegram, Flutterwave, SMM panels, chain RPCs).

What it guarantees, so subclasses only describe endpoints:

- Every call has connect/read/write/pool timeouts; a client without them is refused, because one
  hung provider would otherwise pin web and worker processes indefinitely.
- Only idempotent calls are retried, and only on failures another attempt can fix (connection
  errors, timeouts, 429, 5xx), with capped exponential backoff and jitter. A POST is sent once
  unless the caller says it is idempotent: a payout sent twice is money lost.
- Every attempt feeds a shared circuit breaker, so a provider that is down is not called at all.
- Errors and log lines name the provider, the method and a redacted path; never headers, query
  strings or the bot token Telegram puts in its URL path.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import ssl
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from apps.common.http.breaker import CircuitBreaker
from apps.common.http.errors import (
    ProviderBadResponse,
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)

logger = logging.getLogger("apps.common.http")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=5.0)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Backoff never grows past this, whatever the attempt number.
MAX_BACKOFF_SECONDS = 8.0
# A Retry-After longer than this is not waited out in-process: the call fails with retry_after
# set, and the caller (typically a Celery task) reschedules instead of blocking a worker.
MAX_RETRY_AFTER_SECONDS = 10.0
# Error bodies are kept for diagnosis, but a provider's HTML error page can be large.
BODY_EXCERPT_CHARS = 2000

# Telegram's /bot<id>:<token>/method; also in percent-encoded form.
_BOT_TOKEN_SEGMENT = re.compile(r"/bot\d+(?::|%3A)[^/]*", re.IGNORECASE)
_TIMEOUT_FIELDS = ("connect", "read", "write", "pool")


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs ~30 ms of CPU per client."""
    return httpx.create_ssl_context()


def redact_path(path: str) -> str:
    """PATH without its query string or fragment and with any bot token replaced."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    return _BOT_TOKEN_SEGMENT.sub("/bot[REDACTED]", path)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or HTTP-date); None if absent or bad."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = _seconds_until(value)
    if seconds is None or not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _seconds_until(http_date: str) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


def _require_timeouts(timeout: httpx.Timeout) -> None:
    if not isinstance(timeout, httpx.Timeout):
        raise TypeError("timeout must be an httpx.Timeout with every field set")
    missing = [name for name in _TIMEOUT_FIELDS if getattr(timeout, name) is None]
    if missing:
        raise ValueError(f"provider clients need every timeout set; missing: {', '.join(missing)}")


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, ProviderError) and error.retryable


def _body_excerpt(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:BODY_EXCERPT_CHARS]


class ProviderClient:
    """A synchronous HTTP client for one provider; subclasses add the provider's endpoints."""

    def __init__(
        self,
        base_url: str,
        provider: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
        max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
        breaker: CircuitBreaker | None = None,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        _require_timeouts(timeout)
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self.provider = provider
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.breaker = breaker if breaker is not None else CircuitBreaker(provider)
        self._backoff = wait_exponential_jitter(
            multiplier=backoff_seconds, max=max_backoff_seconds, jitter=backoff_seconds
        )
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            headers=headers,
            transport=transport,
            verify=shared_ssl_context(),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ProviderClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- public calls ---

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one call, retried only when IDEMPOTENT (by default: the method is idempotent).

        Pass ``idempotent=True`` for a POST that is safe to repeat: a lookup, or a request
        carrying an idempotency reference the provider deduplicates on.
        """
        method = method.upper()
        # Built once: a bad argument fails here, before the breaker hands out a trial slot.
        request = self._http.build_request(
            method, path, json=json, data=data, params=params, headers=headers
        )
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        attempts = 1 + self.max_retries if idempotent else 1
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            retry=retry_if_exception(_is_retryable),
            wait=self._wait,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                response = self._attempt(request, attempt.retry_state.attempt_number, attempts)
        return response

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self._json(self.request("GET", path, **kwargs))

    def post_json(self, path: str, **kwargs: Any) -> Any:
        return self._json(self.request("POST", path, **kwargs))

    # --- one attempt ---

    def _attempt(self, request: httpx.Request, number: int, attempts: int) -> httpx.Response:
        self.breaker.before_call()
        started = time.monotonic()
        try:
            response = self._http.send(request)
        except httpx.RequestError as exc:
            self.breaker.record_failure()
            self._log(request, type(exc).__name__, started, number, attempts)
            raise self._transport_error(request, exc, number, attempts) from exc
        self._log(request, response.status_code, started, number, attempts)
        return self._check_status(request, response, number, attempts)

    def _transport_error(
        self, request: httpx.Request, exc: httpx.RequestError, number: int, attempts: int
    ) -> ProviderError:
        kind = type(exc).__name__
        where = self._where(request)
        if isinstance(exc, httpx.TimeoutException):
            message = f"{where} timed out ({kind}, attempt {number} of {attempts})"
            return ProviderTimeout(message, provider=self.provider, retryable=True)
        message = f"{where} failed: connection error ({kind}, attempt {number} of {attempts})"
        return ProviderUnavailable(message, provider=self.provider, retryable=True)

    def _check_status(
        self, request: httpx.Request, response: httpx.Response, number: int, attempts: int
    ) -> httpx.Response:
        status = response.status_code
        if status >= 500:
            self.breaker.record_failure()
            raise ProviderUnavailable(
                f"{self._where(request)} failed with HTTP {status} "
                f"(attempt {number} of {attempts})",
                provider=self.provider,
                status_code=status,
                **self._retry_hint(response),
            )
        # The provider answered: a 4xx is our request's fault, not a sign it is down.
        self.breaker.record_success()
        if status >= 400:
            hint = self._retry_hint(response) if status == 429 else {"retryable": False}
            raise ProviderRejected(
                f"{self._where(request)} rejected with HTTP {status}",
                provider=self.provider,
                status_code=status,
                body=_body_excerpt(response),
                **hint,
            )
        return response

    def _retry_hint(self, response: httpx.Response) -> dict[str, Any]:
        """Whether to retry after a 429/5xx, and how long the provider asked us to wait."""
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        too_long = retry_after is not None and retry_after > self.max_retry_after
        return {"retryable": not too_long, "retry_after": retry_after}

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        return retry_after if retry_after is not None else self._backoff(state)

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderBadResponse(
                f"{self._where(response.request)} returned malformed JSON "
                f"(HTTP {response.status_code})",
                provider=self.provider,
                status_code=response.status_code,
                body=response.text[:BODY_EXCERPT_CHARS],
            ) from exc

    # --- naming things safely ---

    def _where(self, request: httpx.Request) -> str:
        return f"{self.provider}: {request.method} {redact_path(request.url.path)}"

    def _log(
        self,
        request: httpx.Request,
        outcome: int | str,
        started: float,
        number: int,
        attempts: int,
    ) -> None:
        elapsed_ms = round((time.monotonic() - started) * 1000)
        failed = not isinstance(outcome, int) or outcome >= 400
        path = redact_path(request.url.path)
        logger.log(
            logging.INFO if failed else logging.DEBUG,
            "%s %s %s -> %s in %dms (attempt %d of %d)",
            self.provider,
            request.method,
            path,
            outcome,
            elapsed_ms,
            number,
            attempts,
            extra={
                "provider": self.provider,
                "http_method": request.method,
                "http_path": path,
                "http_status": outcome if isinstance(outcome, int) else None,
                "http_error": None if isinstance(outcome, int) else outcome,
                "elapsed_ms": elapsed_ms,
                "attempt": number,
            },
        )
