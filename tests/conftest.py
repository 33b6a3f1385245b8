"""Shared fixtures: a clean cache per test, staff personas, and the service markers."""

from __future__ import annotations

import io
import threading
import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connection

POSTGRES_REASON = (
    "needs PostgreSQL (row locks, triggers, real concurrency): "
    "run with DATABASE_URL=postgres://... as CI's second pass does"
)
REDIS_REASON = "needs Redis shared between processes: run with REDIS_URL=redis://... as CI does"


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    on_redis = bool(settings.REDIS_URL)
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason=POSTGRES_REASON))
        if "redis" in item.keywords and not on_redis:
            item.add_marker(pytest.mark.skip(reason=REDIS_REASON))


@pytest.fixture(autouse=True)
def clean_cache():
    """Rate-limit counters, breaker states and per-process lookups must not leak between tests.

    Rolled-back test databases hand out the same row ids again, which production never does.
    """
    from apps.ledger.services.posting import forget_telegram_ids

    cache.clear()
    forget_telegram_ids()
    yield
    cache.clear()


class _RequestsInFlight:
    """Requests the live server is handling right now (not idle keep-alive connections).

    Only server threads count: the test client runs in the main thread, and a test that never
    closes its response never sends request_finished.
    """

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    def started(self, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            with self.lock:
                self.count += 1

    def finished(self, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            with self.lock:
                self.count = max(self.count - 1, 0)


_IN_FLIGHT = _RequestsInFlight()
request_started.connect(_IN_FLIGHT.started, dispatch_uid="tests-in-flight-started")
request_finished.connect(_IN_FLIGHT.finished, dispatch_uid="tests-in-flight-finished")


@pytest.fixture(autouse=True)
def live_server_requests_finished(request):
    """After a live-server test, wait until the server has finished every request it started.

    A request the client gave up on (an injected delay past its read timeout) goes on in the
    server thread and writes later. On SQLite the live server shares the test's in-memory
    connection, so those late writes ran into the next test, at the same time as its own
    statements, and crashed sqlite3 ("commit returned NULL without setting an exception").
    The database is set up before this fixture, so it is flushed after the wait.
    """
    if "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
    yield
    deadline = time.monotonic() + 15
    while _IN_FLIGHT.count > 0 and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture
def roles(db):
    """The staff groups exactly as `manage.py setup_roles` makes them."""
    from django.core.management import call_command

    call_command("setup_roles", stdout=io.StringIO())


def _staff_in(role_name):
    from django.contrib.auth.models import Group

    from tests.factories import StaffUserFactory

    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name=role_name))
    return user


@pytest.fixture
def support_agent(roles):
    return _staff_in("Support")


@pytest.fixture
def finance_clerk(roles):
    return _staff_in("Finance")


@pytest.fixture
def second_approver(roles):
    return _staff_in("Senior finance")


@pytest.fixture
def superuser(db):
    from tests.factories import StaffUserFactory

    return StaffUserFactory(is_superuser=True)


@pytest.fixture
def eager_tasks():
    """Celery tasks run where they are queued, as a worker would run them."""
    from viralcore.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
