"""HTTP client base for external providers: timeouts, safe retries, a shared circuit breaker."""

from apps.common.http.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from apps.common.http.client import (
    DEFAULT_TIMEOUT,
    IDEMPOTENT_METHODS,
    ProviderClient,
    parse_retry_after,
    redact_path,
)
from apps.common.http.errors import (
    CircuitOpenError,
    ProviderBadResponse,
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)

__all__ = [
    "CLOSED",
    "DEFAULT_TIMEOUT",
    "HALF_OPEN",
    "IDEMPOTENT_METHODS",
    "OPEN",
    "CircuitBreaker",
    "CircuitOpenError",
    "ProviderBadResponse",
    "ProviderClient",
    "ProviderError",
    "ProviderRejected",
    "ProviderTimeout",
    "ProviderUnavailable",
    "parse_retry_after",
    "redact_path",
]
