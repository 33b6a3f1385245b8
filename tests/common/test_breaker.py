"""The cache-backed circuit breaker: counting, opening, half-open trials, shared state."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache

from apps.common.http import CircuitBreaker, CircuitOpenError
from tests.common.http_fakes import FakeClock


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_breaker(clock: FakeClock, **kwargs) -> CircuitBreaker:
    kwargs = {"failure_threshold": 3, "reset_timeout": 30.0, **kwargs}
    return CircuitBreaker("flutterwave", clock=clock, **kwargs)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.record_failure()


def test_starts_closed_and_lets_calls_through(clock):
    breaker = make_breaker(clock)
    breaker.before_call()
    assert breaker.state() == "closed"


def test_stays_closed_below_the_threshold(clock):
    breaker = make_breaker(clock)
    fail(breaker, 2)
    breaker.before_call()
    assert breaker.state() == "closed"


def test_opens_after_threshold_consecutive_failures_and_refuses_naming_the_provider(clock):
    breaker = make_breaker(clock)
    fail(breaker, 3)
    assert breaker.state() == "open"
    with pytest.raises(CircuitOpenError) as refused:
        breaker.before_call()
    assert str(refused.value) == "flutterwave is unavailable (circuit open); retry after 30s"
    assert refused.value.provider == "flutterwave"
    assert refused.value.retry_after == 30


def test_success_resets_the_consecutive_failure_count(clock):
    breaker = make_breaker(clock)
    fail(breaker, 2)
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.state() == "closed"


def test_retry_after_counts_down_while_open(clock):
    breaker = make_breaker(clock)
    fail(breaker, 3)
    clock.advance(20.5)
    with pytest.raises(CircuitOpenError, match="retry after 10s"):
        breaker.before_call()


def test_failures_in_flight_while_open_do_not_extend_the_open_period(clock):
    breaker = make_breaker(clock)
    fail(breaker, 3)
    clock.advance(20)
    breaker.record_failure()
    clock.advance(10)
    assert breaker.state() == "half_open"


def test_half_open_after_reset_timeout_and_successful_trial_closes(clock):
    breaker = make_breaker(clock)
    fail(breaker, 3)
    clock.advance(30)
    assert breaker.state() == "half_open"
    breaker.before_call()
    breaker.record_success()
    assert breaker.state() == "closed"
    breaker.before_call()


def test_failed_trial_reopens_for_a_full_reset_timeout(clock):
    breaker = make_breaker(clock)
    fail(breaker, 3)
    clock.advance(31)
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state() == "open"
    clock.advance(29)
    assert breaker.state() == "open"
    clock.advance(1)
    assert breaker.state() == "half_open"
    breaker.before_call()  # the trial slot was released on re-opening


def test_only_one_trial_while_half_open(clock):
    breaker = make_breaker(clock)
    fail(breaker, 3)
    clock.advance(30)
    breaker.before_call()
    with pytest.raises(CircuitOpenError, match="trial call in progress"):
        breaker.before_call()


def test_only_one_of_many_concurrent_callers_gets_the_trial(clock):
    breaker = make_breaker(clock)
    fail(breaker, 3)
    clock.advance(30)
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def call() -> None:
        start.wait()
        try:
            breaker.before_call()
            outcomes.append("trial")
        except CircuitOpenError:
            outcomes.append("refused")

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["trial"]


def test_state_is_shared_between_breaker_instances_through_the_cache(clock):
    # Two instances stand for two processes: the cache is all they share.
    web = make_breaker(clock)
    worker = make_breaker(clock)
    fail(web, 3)
    assert worker.state() == "open"
    with pytest.raises(CircuitOpenError):
        worker.before_call()


def test_breakers_of_different_providers_are_independent(clock):
    fail(make_breaker(clock), 3)
    other = CircuitBreaker("telegram", failure_threshold=3, clock=clock)
    assert other.state() == "closed"


def test_a_success_racing_the_failure_count_does_not_open(clock, monkeypatch):
    breaker = make_breaker(clock, failure_threshold=1)

    def incr_after_reset(key, delta=1, version=None):
        raise ValueError(f"Key '{key}' not found")

    monkeypatch.setattr(cache, "incr", incr_after_reset)
    breaker.record_failure()
    assert breaker.state() == "closed"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"failure_threshold": 0}, "failure_threshold"),
        ({"reset_timeout": 0}, "reset_timeout"),
    ],
)
def test_rejects_nonsense_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CircuitBreaker("x", **kwargs)
