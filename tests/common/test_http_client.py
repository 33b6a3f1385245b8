"""ProviderClient against a real HTTP server on loopback: retries, timeouts, breaker, redaction."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from django.core.cache import cache

from apps.common.http import (
    CircuitBreaker,
    CircuitOpenError,
    ProviderBadResponse,
    ProviderClient,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    parse_retry_after,
    redact_path,
)
from tests.common.http_fakes import (
    FakeClock,
    FakeProvider,
    Scripted,
    closed_port_url,
    fake_provider,
)

__all__ = ["fake_provider"]  # the fixture, imported for pytest to find

# Built at run time so no token-shaped literal sits in the repository.
BOT_TOKEN = "123456789:" + "A" * 35


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(fake: FakeProvider | str, **kwargs) -> ProviderClient:
    base_url = fake if isinstance(fake, str) else fake.url
    kwargs.setdefault("backoff_seconds", 0.01)
    return ProviderClient(base_url, kwargs.pop("provider", "flutterwave"), **kwargs)


def opened_breaker(client: ProviderClient, fake: FakeProvider, threshold: int):
    fake.script(*[Scripted(503)] * threshold)
    for _ in range(threshold):
        with pytest.raises(ProviderUnavailable):
            client.request("GET", "/health", idempotent=False)
    assert client.breaker.state() == "open"


# --- retries ---


def test_get_is_retried_after_503_then_succeeds(fake_provider):
    fake_provider.script(Scripted(503), Scripted(200, {"status": "success"}))
    with make_client(fake_provider) as client:
        assert client.get_json("/v3/transfers/42") == {"status": "success"}
    assert fake_provider.count == 2
    assert [r.path for r in fake_provider.requests] == ["/v3/transfers/42"] * 2


def test_get_gives_up_after_max_retries_with_provider_unavailable(fake_provider):
    fake_provider.script(*[Scripted(502)] * 3)
    with (
        make_client(fake_provider, max_retries=2) as client,
        pytest.raises(ProviderUnavailable) as failed,
    ):
        client.request("GET", "/v3/banks/NG")
    assert fake_provider.count == 3
    assert failed.value.status_code == 502
    assert (
        str(failed.value) == "flutterwave: GET /v3/banks/NG failed with HTTP 502 (attempt 3 of 3)"
    )


def test_post_is_not_retried_on_503(fake_provider):
    fake_provider.script(Scripted(503), Scripted(200))
    with (
        make_client(fake_provider) as client,
        pytest.raises(ProviderUnavailable, match="attempt 1 of 1"),
    ):
        client.post_json("/v3/transfers", json={"amount": 5000})
    assert fake_provider.count == 1


def test_post_marked_idempotent_is_retried(fake_provider):
    fake_provider.script(Scripted(503), Scripted(200, {"data": {"status": "SUCCESSFUL"}}))
    with make_client(fake_provider) as client:
        body = client.post_json("/v3/transfers/lookup", json={"reference": "r-1"}, idempotent=True)
    assert body == {"data": {"status": "SUCCESSFUL"}}
    assert fake_provider.count == 2
    assert (
        fake_provider.requests[0].body == fake_provider.requests[1].body == b'{"reference":"r-1"}'
    )


def test_get_marked_not_idempotent_is_sent_once(fake_provider):
    fake_provider.script(Scripted(503))
    with make_client(fake_provider) as client, pytest.raises(ProviderUnavailable):
        client.request("GET", "/v3/side-effect", idempotent=False)
    assert fake_provider.count == 1


def test_read_timeout_on_post_raises_provider_timeout_after_exactly_one_request(fake_provider):
    fake_provider.script(Scripted(200, delay=1.0))
    timeout = httpx.Timeout(0.2)
    with (
        make_client(fake_provider, timeout=timeout) as client,
        pytest.raises(ProviderTimeout) as timed_out,
    ):
        client.post_json("/v3/transfers", json={"amount": 5000})
    assert fake_provider.count == 1
    assert str(timed_out.value) == (
        "flutterwave: POST /v3/transfers timed out (ReadTimeout, attempt 1 of 1)"
    )


def test_read_timeout_on_get_is_retried(fake_provider):
    fake_provider.script(Scripted(200, delay=1.0), Scripted(200, {"ok": True}))
    with make_client(fake_provider, timeout=httpx.Timeout(0.2)) as client:
        assert client.get_json("/slow") == {"ok": True}
    assert fake_provider.count == 2


def test_429_with_retry_after_zero_is_retried(fake_provider):
    fake_provider.script(Scripted(429, headers={"Retry-After": "0"}), Scripted(200, {"ok": True}))
    with make_client(fake_provider) as client:
        assert client.get_json("/api/v2") == {"ok": True}
    assert fake_provider.count == 2


def test_429_asking_to_wait_longer_than_the_maximum_is_not_waited_out(fake_provider):
    fake_provider.script(Scripted(429, {"error": "slow down"}, headers={"Retry-After": "120"}))
    with (
        make_client(fake_provider, max_retry_after=5) as client,
        pytest.raises(ProviderRejected) as rejected,
    ):
        client.get_json("/api/v2")
    assert fake_provider.count == 1
    assert rejected.value.status_code == 429
    assert rejected.value.retry_after == 120


def test_connection_refused_raises_provider_unavailable():
    with (
        make_client(closed_port_url(), max_retries=1) as client,
        pytest.raises(ProviderUnavailable) as refused,
    ):
        client.get_json("/v3/banks/NG")
    assert "connection error (ConnectError, attempt 2 of 2)" in str(refused.value)
    assert not isinstance(refused.value, CircuitOpenError)


# --- rejections and bad responses ---


def test_400_raises_rejected_with_status_and_body_without_retry_or_breaker_failure(
    fake_provider, clock
):
    breaker = CircuitBreaker("flutterwave", failure_threshold=1, clock=clock)
    fake_provider.script(Scripted(400, {"status": "error", "message": "Invalid account"}))
    with (
        make_client(fake_provider, breaker=breaker) as client,
        pytest.raises(ProviderRejected) as rejected,
    ):
        client.request("GET", "/v3/accounts/resolve")
    assert fake_provider.count == 1
    assert rejected.value.status_code == 400
    assert rejected.value.body == {"status": "error", "message": "Invalid account"}
    assert str(rejected.value) == "flutterwave: GET /v3/accounts/resolve rejected with HTTP 400"
    assert breaker.state() == "closed"


def test_rejected_keeps_a_non_json_body_as_text(fake_provider):
    fake_provider.script(Scripted(404, "<html>not found</html>"))
    with make_client(fake_provider) as client, pytest.raises(ProviderRejected) as rejected:
        client.request("GET", "/missing")
    assert rejected.value.body == "<html>not found</html>"


def test_malformed_json_raises_provider_bad_response(fake_provider):
    fake_provider.script(Scripted(200, '{"status": "succ'))
    with make_client(fake_provider) as client, pytest.raises(ProviderBadResponse) as bad:
        client.get_json("/v3/transfers/42")
    assert bad.value.status_code == 200
    assert str(bad.value) == (
        "flutterwave: GET /v3/transfers/42 returned malformed JSON (HTTP 200)"
    )


# --- circuit breaker ---


def test_breaker_opens_after_threshold_and_refuses_without_contacting_the_server(
    fake_provider, clock
):
    breaker = CircuitBreaker("smm", failure_threshold=3, reset_timeout=30, clock=clock)
    with make_client(fake_provider, provider="smm", breaker=breaker, max_retries=0) as client:
        opened_breaker(client, fake_provider, threshold=3)
        with pytest.raises(CircuitOpenError, match=r"smm is unavailable \(circuit open\)"):
            client.get_json("/api/v2")
    assert fake_provider.count == 3


def test_retries_stop_once_the_breaker_opens(fake_provider, clock):
    breaker = CircuitBreaker("smm", failure_threshold=2, clock=clock)
    fake_provider.script(*[Scripted(503)] * 5)
    with (
        make_client(fake_provider, breaker=breaker, max_retries=4) as client,
        pytest.raises(CircuitOpenError),
    ):
        client.get_json("/api/v2")
    assert fake_provider.count == 2


def test_half_open_trial_after_reset_timeout_closes_on_success(fake_provider, clock):
    breaker = CircuitBreaker("smm", failure_threshold=2, reset_timeout=30, clock=clock)
    with make_client(fake_provider, breaker=breaker, max_retries=0) as client:
        opened_breaker(client, fake_provider, threshold=2)
        clock.advance(30)
        assert breaker.state() == "half_open"
        fake_provider.script(Scripted(200, {"ok": True}))
        assert client.get_json("/api/v2") == {"ok": True}
    assert breaker.state() == "closed"
    assert fake_provider.count == 3


def test_half_open_trial_failure_reopens(fake_provider, clock):
    breaker = CircuitBreaker("smm", failure_threshold=2, reset_timeout=30, clock=clock)
    with make_client(fake_provider, breaker=breaker, max_retries=2) as client:
        opened_breaker(client, fake_provider, threshold=2)
        clock.advance(30)
        fake_provider.script(Scripted(503))
        # The trial fails and re-opens the circuit, so the retry is refused, not sent.
        with pytest.raises(CircuitOpenError):
            client.get_json("/api/v2")
    assert breaker.state() == "open"
    assert fake_provider.count == 3


def test_only_one_concurrent_trial_in_half_open(fake_provider, clock):
    breaker = CircuitBreaker("smm", failure_threshold=2, reset_timeout=30, clock=clock)
    with make_client(fake_provider, breaker=breaker, max_retries=0) as client:
        opened_breaker(client, fake_provider, threshold=2)
        clock.advance(30)
        # The trial answers slowly so the second caller arrives while it is in flight.
        fake_provider.script(Scripted(200, {"ok": True}, delay=0.3))
        results: dict[str, object] = {}

        def call(name: str) -> None:
            try:
                results[name] = client.get_json("/api/v2")
            except CircuitOpenError as exc:
                results[name] = exc

        first = threading.Thread(target=call, args=("first",))
        first.start()
        _wait_for(lambda: fake_provider.count == 3)  # the trial is in flight
        second = threading.Thread(target=call, args=("second",))
        second.start()
        first.join()
        second.join()
    assert results["first"] == {"ok": True}
    assert isinstance(results["second"], CircuitOpenError)
    assert fake_provider.count == 3
    assert breaker.state() == "closed"


def _wait_for(condition, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def test_default_breaker_is_named_after_the_provider(fake_provider):
    with make_client(fake_provider, provider="tron-rpc") as client:
        assert client.breaker.name == "tron-rpc"


# --- secrets stay out of messages and logs ---


def test_error_messages_redact_the_bot_token_in_the_path(fake_provider):
    fake_provider.script(Scripted(503), Scripted(400, {"ok": False}))
    with make_client(fake_provider, provider="telegram") as client:
        with pytest.raises(ProviderUnavailable) as unavailable:
            client.post_json(f"/bot{BOT_TOKEN}/sendMessage", json={"chat_id": 1})
        with pytest.raises(ProviderRejected) as rejected:
            client.post_json(f"/bot{BOT_TOKEN}/sendMessage", params={"secret": "s3cr3t"})
    assert fake_provider.requests[0].path == f"/bot{BOT_TOKEN}/sendMessage"
    for error in (unavailable.value, rejected.value):
        assert BOT_TOKEN not in str(error)
        assert "s3cr3t" not in str(error)
        assert "POST /bot[REDACTED]/sendMessage" in str(error)


def test_token_in_the_base_url_is_redacted_too(fake_provider):
    base_url = f"{fake_provider.url}/bot{BOT_TOKEN}"
    fake_provider.script(Scripted(200, "not json"))
    with (
        make_client(base_url, provider="telegram") as client,
        pytest.raises(ProviderBadResponse) as bad,
    ):
        client.get_json("/getMe")
    assert "telegram: GET /bot[REDACTED]/getMe returned malformed JSON" in str(bad.value)


def test_each_attempt_is_logged_without_secrets(fake_provider, caplog):
    fake_provider.script(Scripted(503), Scripted(200, {"ok": True}))
    headers = {"Authorization": "Bearer sandbox-secret-" + "x" * 20}
    with (
        caplog.at_level(logging.DEBUG, logger="apps.common.http"),
        make_client(fake_provider, provider="telegram", headers=headers) as client,
    ):
        client.get_json(f"/bot{BOT_TOKEN}/getMe", params={"q": "s3cr3t"})
    records = [r for r in caplog.records if r.name == "apps.common.http"]
    assert [(r.levelno, r.http_status, r.attempt) for r in records] == [
        (logging.INFO, 503, 1),
        (logging.DEBUG, 200, 2),
    ]
    assert records[0].getMessage().startswith("telegram GET /bot[REDACTED]/getMe -> 503 in ")
    assert records[1].provider == "telegram"
    assert isinstance(records[1].elapsed_ms, int)
    assert all("s3cr3t" not in r.getMessage() and BOT_TOKEN not in r.getMessage() for r in records)
    assert fake_provider.requests[0].headers["Authorization"] == headers["Authorization"]


def test_transport_errors_are_logged_by_exception_name(caplog):
    with (
        caplog.at_level(logging.INFO, logger="apps.common.http"),
        make_client(closed_port_url(), max_retries=0) as client,
        pytest.raises(ProviderUnavailable),
    ):
        client.request("DELETE", "/x")
    (record,) = [r for r in caplog.records if r.name == "apps.common.http"]
    assert record.http_error == "ConnectError"
    assert record.http_status is None


@pytest.mark.parametrize(
    ("path", "redacted"),
    [
        (f"/bot{BOT_TOKEN}/sendMessage", "/bot[REDACTED]/sendMessage"),
        ("/bot123456789%3Aabc/getMe", "/bot[REDACTED]/getMe"),
        ("/v3/transfers?secret=x#frag", "/v3/transfers"),
        ("/bots/list", "/bots/list"),
    ],
)
def test_redact_path(path, redacted):
    assert redact_path(path) == redacted


# --- configuration ---


@pytest.mark.parametrize(
    "timeout",
    [None, 5.0, httpx.Timeout(None), httpx.Timeout(5.0, read=None)],
)
def test_refuses_missing_timeouts(timeout):
    with pytest.raises((TypeError, ValueError), match="timeout"):
        ProviderClient("http://127.0.0.1", "x", timeout=timeout)


def test_default_timeouts():
    with ProviderClient("http://127.0.0.1", "x") as client:
        assert client._http.timeout == httpx.Timeout(connect=5, read=15, write=15, pool=5)


def test_refuses_negative_retries():
    with pytest.raises(ValueError, match="max_retries"):
        ProviderClient("http://127.0.0.1", "x", max_retries=-1)


# --- Retry-After parsing ---


def test_parse_retry_after_accepts_seconds_and_http_dates():
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("-5") == 0.0
    assert 55 <= parse_retry_after(in_a_minute) <= 60
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00") == 0.0  # past, naive date


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf"])
def test_parse_retry_after_ignores_garbage(value):
    assert parse_retry_after(value) is None
