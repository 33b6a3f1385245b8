"""The PostgreSQL backend keeps django-prometheus' query metrics with one cursor class."""

from __future__ import annotations

import pytest
from django.db import connection
from django_prometheus.db import execute_total

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _queries_counted() -> float:
    return execute_total.labels(connection.alias, connection.vendor)._value.get()


def test_every_connection_counts_its_queries_with_the_same_cursor_class():
    first = connection.get_connection_params()["cursor_factory"]
    second = connection.get_connection_params()["cursor_factory"]
    assert first is second  # built once, not once per connect

    before = _queries_counted()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("SELECT 2")
    assert _queries_counted() == before + 2
