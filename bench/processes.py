"""What the worker benchmarks share: their database and Redis, gunicorn serving the sandbox
fakes, a Celery worker, and stopping both (used by bench/boosts.py, bench/payments.py and
bench/payouts.py).

Every process is started in a session of its own and stopped by its process group only, so a
benchmark never touches anybody else's gunicorn or Celery on a shared machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def create_database_if_missing(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def redis_client():
    import redis

    return redis.Redis.from_url(os.environ["REDIS_URL"])


def flush_redis() -> None:
    redis_client().flushdb()


def exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def free_connections() -> int:
    """PostgreSQL's max_connections minus the connections to every other database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int, count(*) FILTER "
            "(WHERE datname IS DISTINCT FROM current_database()) FROM pg_stat_activity"
        )
        limit, others = cursor.fetchone()
    return limit - others


def start_gunicorn(
    port: int, workdir: Path, *, workers: int, threads: int, pool_size: int, access_log=False
) -> subprocess.Popen:
    """gunicorn (gthread) on PORT with the environment of this process; up when /health/ is."""
    import httpx

    command = [
        sys.executable, "-m", "gunicorn", "viralcore.wsgi", "--bind", f"127.0.0.1:{port}",
        "--worker-class", "gthread", "--workers", str(workers),
        "--threads", str(threads), "--log-level", "warning",
    ]  # fmt: skip
    if access_log:
        command += ["--access-logfile", str(workdir / "access.log")]
        command += ["--access-logformat", "%(U)s %(s)s"]
    env = {**os.environ, "DB_POOL_MAX_SIZE": str(pool_size)}
    process = spawn(command, env, workdir / "gunicorn.log")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(process)
    raise SystemExit(f"gunicorn did not start; see {workdir / 'gunicorn.log'}")


def start_worker(
    queue: str, pool: str, concurrency: int, workdir: Path, *, bench: str, pool_size: int
) -> subprocess.Popen:
    """`celery worker -Q QUEUE -P POOL -c CONCURRENCY`, DB_POOL_MAX_SIZE=POOL_SIZE; up when it
    answers a ping (prefetch multiplier and acks_late come from the settings)."""
    from viralcore.celery import app

    name = f"bench-{bench}-{os.getpid()}@{socket.gethostname()}"
    command = [
        sys.executable, "-m", "celery", "-A", "viralcore", "worker", "-Q", queue,
        "-P", pool, "-c", str(concurrency), "-n", name, "--loglevel", "WARNING",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    env = {**os.environ, "DB_POOL_MAX_SIZE": str(pool_size)}
    log_path = workdir / f"worker-{concurrency}.log"
    process = spawn(command, env, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if app.control.ping(destination=[name], timeout=1.0):
            return process
    stop(process)
    raise SystemExit(f"the Celery worker did not start; see {log_path}")


def spawn(command: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    with log_path.open("ab") as log:
        # A session of its own: stopped by this script (also on Ctrl-C), group and all.
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
