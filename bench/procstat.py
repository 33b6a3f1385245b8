"""CPU time of the processes a benchmark starts, read from /proc (Linux), shared by the benches."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_snapshot(gunicorn, worker, *, database_url: str | None = None) -> dict[str, float | dict]:
    """CPU seconds (user + system) used so far by each party of the measurement."""
    own = os.times()
    return {
        "worker": tree_cpu_seconds(worker.pid),
        "gunicorn": tree_cpu_seconds(gunicorn.pid),
        # Per backend: pools open connections during the run.
        "postgres": {pid: cpu_seconds(pid) for pid in bench_backends(database_url)},
        "bench": own.user + own.system,
    }


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    used = {}
    for party, now in after.items():
        if isinstance(now, dict):
            used[party] = sum(seconds - before[party].get(pid, 0.0) for pid, seconds in now.items())
        else:
            used[party] = now - before[party]
    return used


def _stat_fields(pid: int) -> list[str]:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone, or not Linux
        return []
    return text.rpartition(")")[2].split()  # fields from the state on (the name may hold spaces)


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of ROOT and its live descendants (gunicorn's workers, prefork children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += cpu_seconds(pid)
        stack.extend(children.get(pid, []))
    return total


BACKENDS_SQL = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"


def bench_backends(database_url: str | None = None) -> list[int]:
    """Process ids of the PostgreSQL backends connected to the bench database.

    Through Django's connection, or through DATABASE_URL by psycopg for a bench that does not
    set Django up (bench/webhook.py).
    """
    if database_url:
        import psycopg

        with psycopg.connect(database_url, autocommit=True) as connection:
            return [row[0] for row in connection.execute(BACKENDS_SQL).fetchall()]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BACKENDS_SQL)
        return [row[0] for row in cursor.fetchall()]
