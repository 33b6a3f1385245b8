"""Readiness checks beyond django-health-check's own database and cache checks."""

from __future__ import annotations

import dataclasses
import datetime

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from apps.common.broker import connect_to_broker


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (Redis in production, the filesystem in dev)."""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )

    def run(self):
        try:
            connect_to_broker(timeout=2)
        except Exception as error:
            # The broker URL may carry a password: name the failure, never the URL.
            raise ServiceUnavailable(f"broker unreachable ({type(error).__name__})") from None


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration in the code is applied: a release that skipped `migrate` is not ready."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self):
        connection = connections[self.alias]
        try:
            loader = MigrationExecutor(connection).loader
            # Every node, not the plan to the leaves: a plan skips an unapplied migration whose
            # descendants are recorded as applied (a half-done or hand-edited history).
            unapplied = sorted(set(loader.graph.nodes) - set(loader.applied_migrations))
        except Exception as error:
            raise ServiceUnavailable(f"cannot read migrations ({type(error).__name__})") from None
        finally:
            # This runs in a worker thread of the async view; its connection must not leak.
            connection.close()
        if unapplied:
            names = ", ".join(f"{app_label}.{name}" for app_label, name in unapplied)
            raise ServiceUnavailable(f"unapplied migrations: {names}")
