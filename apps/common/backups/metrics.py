"""The age of the last good backup, read from BACKUP_DIR whenever it is asked for."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from apps.common.backups.files import backup_age_seconds


def current_backup_age_seconds() -> float:
    """Seconds since the newest complete backup in BACKUP_DIR was taken; -1 when none."""
    try:
        return backup_age_seconds(Path(settings.BACKUP_DIR), datetime.datetime.now(datetime.UTC))
    except OSError:
        # An unreadable folder must not break /ready/ or a scrape; it reads as "no backup".
        return -1.0


class BackupAgeCollector:
    """Computed at scrape time from the files, so every process (and every worker) agrees."""

    def collect(self):
        yield GaugeMetricFamily(
            "viralcore_backup_age_seconds",
            "Seconds since the newest backup with a checksum was taken (-1: no backup).",
            value=current_backup_age_seconds(),
        )


# Its own registry: the multi-process exporter builds a fresh registry on each scrape and would
# drop a collector registered in the default one.
_registry = CollectorRegistry(auto_describe=False)
_registry.register(BackupAgeCollector())


def backup_metrics_text() -> bytes:
    """The gauge in Prometheus' text format, to append to the /metrics page."""
    return generate_latest(_registry)
