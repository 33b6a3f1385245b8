"""The correlation id follows a request into its log lines and into the Celery tasks it sends."""

import io
import logging
import re
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from apps.common.correlation import correlation_scope, get_correlation_id
from apps.common.logging import CorrelationIdFilter, RedactSecretsFilter
from viralcore.celery import app as celery_app

SEEN_KEY = "test:correlation-seen-by-task"


@celery_app.task(name="tests.record_correlation_id")
def record_correlation_id():
    logging.getLogger("tests.task").info("task ran")
    cache.set(SEEN_KEY, get_correlation_id(), timeout=60)


@pytest.fixture
def log_output():
    """Root-logger output formatted the way the console handler formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CorrelationIdFilter())
    handler.addFilter(RedactSecretsFilter())
    handler.setFormatter(logging.Formatter("%(name)s [%(correlation_id)s] %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


def test_the_callers_request_id_is_echoed(client):
    response = client.get("/health/", HTTP_X_REQUEST_ID="lb-7f3a-1234")
    assert response["X-Request-ID"] == "lb-7f3a-1234"


def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get("/health/")["X-Request-ID"]
    second = client.get("/health/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("x" * 129, "at most 128 characters"),
        ("abc def", "may contain only"),
        ("<script>", "may contain only"),
        ("-starts-with-dash", "may contain only"),
    ],
)
def test_a_huge_or_invalid_request_id_is_refused_clearly(client, header, message):
    response = client.get("/health/", HTTP_X_REQUEST_ID=header)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request_id"
    assert message in body["detail"]


def test_log_lines_of_a_request_carry_its_id(client, log_output):
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-abc-123")
    lines = [line for line in log_output.getvalue().splitlines() if "/no-such-page/" in line]
    assert lines, log_output.getvalue()
    assert all("[req-abc-123]" in line for line in lines)


def test_log_lines_outside_any_request_show_a_dash(log_output):
    logging.getLogger("tests").info("outside")
    assert "tests [-] outside" in log_output.getvalue()


def test_the_id_is_forgotten_when_the_request_finishes(client):
    client.get("/health/", HTTP_X_REQUEST_ID="finished-request")
    assert get_correlation_id() is None


def test_scopes_nest_and_restore_the_outer_id():
    with correlation_scope("outer"):
        with correlation_scope("inner"):
            assert get_correlation_id() == "inner"
        assert get_correlation_id() == "outer"
    assert get_correlation_id() is None


@pytest.fixture
def celery_worker_thread():
    """A real Celery worker consuming the configured broker (memory, or Redis in CI)."""
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="INFO"):
        yield


def test_a_task_sent_during_a_request_runs_under_the_requests_id(celery_worker_thread, log_output):
    with correlation_scope("req-into-celery-42"):
        record_correlation_id.delay()
    assert wait_for(lambda: cache.get(SEEN_KEY)) == "req-into-celery-42"
    task_lines = [line for line in log_output.getvalue().splitlines() if "task ran" in line]
    assert task_lines == ["tests.task [req-into-celery-42] task ran"]


def test_a_task_sent_outside_any_request_gets_an_id_of_its_own(celery_worker_thread):
    record_correlation_id.delay()
    seen = wait_for(lambda: cache.get(SEEN_KEY))
    assert re.fullmatch(r"[0-9a-f]{32}", seen)


def test_an_eager_task_keeps_the_callers_id():
    with correlation_scope("eager-caller"):
        record_correlation_id.apply()
    assert cache.get(SEEN_KEY) == "eager-caller"


def wait_for(read, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the task did not run in time")
