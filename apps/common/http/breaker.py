"""A circuit breaker whose state lives in the Django cache.

With Redis as the cache every web and worker process shares one breaker per provider, so when a
provider goes down the whole fleet stops hammering it (and stops tying up workers on timeouts)
after ``failure_threshold`` consecutive failures, not each process separately.

States, derived from two keys (``circuit:{name}:failures``, ``circuit:{name}:opened_at``):

- closed: no ``opened_at``; calls pass, failures are counted.
- open: ``opened_at`` is younger than ``reset_timeout``; calls are refused without a request.
- half_open: ``opened_at`` is older; one trial call is let through (whoever wins ``cache.add``
  on ``circuit:{name}:trial``). Its success closes the circuit, its failure re-opens it.

``opened_at`` holds the value of the injectable clock rather than relying on cache expiry, so
tests can move time forward without sleeping and the open period does not depend on the
backend's TTL granularity.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.core.cache import caches

from apps.common.http.errors import CircuitOpenError

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        cache_alias: str = "default",
        trial_timeout: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_timeout <= 0:
            raise ValueError("reset_timeout must be positive")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.cache_alias = cache_alias
        # Real seconds the trial slot stays taken if its holder dies before reporting back;
        # it should outlast one request with all its timeouts.
        self.trial_timeout = max(1, math.ceil(trial_timeout))
        self.clock = clock
        self._failures_key = f"circuit:{name}:failures"
        self._opened_at_key = f"circuit:{name}:opened_at"
        self._trial_key = f"circuit:{name}:trial"

    @property
    def _cache(self):
        # Looked up per use: Django's cache handles are per thread.
        return caches[self.cache_alias]

    def state(self) -> str:
        opened_at = self._cache.get(self._opened_at_key)
        if opened_at is None:
            return CLOSED
        return OPEN if self._remaining(opened_at) > 0 else HALF_OPEN

    def before_call(self) -> None:
        """Return if a call may go out now; raise CircuitOpenError if not."""
        opened_at = self._cache.get(self._opened_at_key)
        if opened_at is None:
            return
        remaining = self._remaining(opened_at)
        if remaining > 0:
            raise self._refusal(remaining, "circuit open")
        # Half-open: add is atomic in Redis and LocMem, so exactly one caller gets the trial.
        if not self._cache.add(self._trial_key, self.clock(), timeout=self.trial_timeout):
            raise self._refusal(self.reset_timeout, "circuit half-open, trial call in progress")

    def record_success(self) -> None:
        # Any answer from the provider proves it is up: close and forget the failures.
        self._cache.delete_many([self._failures_key, self._opened_at_key, self._trial_key])

    def record_failure(self) -> None:
        if self.state() == HALF_OPEN:
            self._open()
            return
        if self._count_failure() >= self.failure_threshold:
            # add, not set: failures of calls already in flight must not extend the open period.
            self._cache.add(self._opened_at_key, self.clock(), timeout=None)

    def _count_failure(self) -> int:
        self._cache.add(self._failures_key, 0, timeout=None)
        try:
            return self._cache.incr(self._failures_key)
        except ValueError:
            # A success deleted the count between add and incr: the provider is answering.
            return 0

    def _open(self) -> None:
        # opened_at first: between the two writes the circuit reads as open, never as a free
        # half-open slot.
        self._cache.set(self._opened_at_key, self.clock(), timeout=None)
        self._cache.delete(self._trial_key)

    def _remaining(self, opened_at: float) -> float:
        return opened_at + self.reset_timeout - self.clock()

    def _refusal(self, retry_after: float, why: str) -> CircuitOpenError:
        seconds = max(1, math.ceil(retry_after))
        return CircuitOpenError(
            f"{self.name} is unavailable ({why}); retry after {seconds}s",
            provider=self.name,
            retry_after=seconds,
        )
