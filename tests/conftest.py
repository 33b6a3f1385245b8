"""Shared fixtures: a clean cache per test, staff personas, and the service markers."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.cache import cache
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
    from apps.ledger.services.posting import _telegram_id_of

    cache.clear()
    _telegram_id_of.cache_clear()
    yield
    cache.clear()


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
