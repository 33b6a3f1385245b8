"""Webhook throughput and latency on gunicorn + PostgreSQL + Redis, against a trivial view.

Starts gunicorn on a bench database, then from this (second) process keeps CONCURRENCY
connections busy for DURATION seconds on each target: the Telegram webhook (secret check, JSON
parse, insert into the inbox, enqueue on commit) and /health/ (a JSON answer with no I/O), and
prints accepted requests/s, p50/p99 latency and the webhook/trivial ratio measured in this run.

Usage: python bench/webhook.py  (DATABASE_URL / REDIS_URL override the local defaults)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
PORT = 8765
CONCURRENCY = 32
DURATION = 10.0
SECRET = "bench-webhook-secret"
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/viralcore_bench")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")

_update_ids = itertools.count(int(time.time() * 1000))


def server_env() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "viralcore.settings",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
    }


def prepare_database() -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"],
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=server_env(), check=True
    )


def start_gunicorn() -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "viralcore.wsgi", "--bind", f"127.0.0.1:{PORT}",
        "--workers", "4", "--threads", "4", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env=server_env())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/health/", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("gunicorn did not start")


def webhook_request() -> bytes:
    update_id = next(_update_ids)
    chat_id = 5_000_000_000 + update_id % 1000
    body = json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": chat_id, "type": "private", "first_name": "B"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "B"},
                "text": "/start",
            },
        }
    ).encode()
    head = (
        "POST /telegram/webhook/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def health_request() -> bytes:
    return b"GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def read_response(reader: asyncio.StreamReader) -> int:
    """Status code of one HTTP/1.1 response; the body is read and dropped (Content-Length)."""
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def load(make_request) -> dict:
    """CONCURRENCY keep-alive connections for DURATION seconds.

    A bare asyncio HTTP/1.1 client: a full client library would spend more CPU per request than
    the server does, on the same two cores, and measure itself instead of the server.
    """
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + DURATION

    async def worker():
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
        try:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                writer.write(make_request())
                status = await read_response(reader)
                if status == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    failures += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    latencies.sort()
    return {
        "rate": len(latencies) / DURATION,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "failures": failures,
    }


def main() -> None:
    prepare_database()
    server = start_gunicorn()
    try:
        asyncio.run(load(health_request))  # warm up every worker
        trivial = asyncio.run(load(health_request))
        webhook = asyncio.run(load(webhook_request))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(f"{CONCURRENCY} connections, {DURATION:.0f} s each, gunicorn 4 workers x 4 threads")
    print(f"{'target':<12}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'failed':>8}")
    for name, result in (("/health/", trivial), ("webhook", webhook)):
        print(
            f"{name:<12}{result['rate']:>10.0f}{result['p50_ms']:>10.1f}"
            f"{result['p99_ms']:>10.1f}{result['failures']:>8}"
        )
    print(f"webhook / trivial throughput: {webhook['rate'] / trivial['rate']:.2f}")


if __name__ == "__main__":
    main()
