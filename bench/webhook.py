"""Webhook throughput and latency on gunicorn + PostgreSQL + Redis, against a trivial view.

Starts gunicorn on a bench database, then from this (second) process keeps CONCURRENCY
connections busy for DURATION seconds on each target: the Telegram webhook (secret check, JSON
parse, one INSERT that also notifies the wake listener, which runs beside it) and /health/ (a
JSON answer with no I/O), in ROUNDS alternating rounds. Prints per run accepted requests/s,
p50/p99 latency and the CPU milliseconds each party (gunicorn, PostgreSQL backends, the wake
listener, this load generator) spent per accepted request, then the median webhook/trivial
ratio of the rounds.

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
from procstat import cpu_snapshot, cpu_used

REPO = Path(__file__).resolve().parents[1]
PORT = 8765
CONCURRENCY = 32
DURATION = 10.0
# Alternating rounds, medians reported: one 10 s run on this shared VM varies by a third.
ROUNDS = 3
WORKERS, THREADS = 4, 4
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
        # As production runs: Django's debug mode wraps every cursor to record its SQL.
        "DEBUG": "false",
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
        "--workers", str(WORKERS), "--threads", str(THREADS), "--log-level", "warning",
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


def start_wake_listener() -> subprocess.Popen:
    """The process that turns the webhook's NOTIFY into chat tasks: its CPU is part of the cost."""
    command = [sys.executable, "manage.py", "wake_bot_chats"]
    return subprocess.Popen(command, cwd=REPO, env=server_env(), stdout=subprocess.DEVNULL)


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


def measure(make_request, server, listener) -> dict:
    """One load run, plus the CPU each party spent on it, in milliseconds per accepted request."""
    before = cpu_snapshot(server, listener, database_url=DATABASE_URL)
    result = asyncio.run(load(make_request))
    used = cpu_used(before, cpu_snapshot(server, listener, database_url=DATABASE_URL))
    accepted = max(result["rate"] * DURATION, 1)
    result["cpu_ms"] = {party: seconds * 1000 / accepted for party, seconds in used.items()}
    return result


# procstat's parties as this bench names them: its "worker" is the wake listener here and its
# "bench" this load generator.
PARTIES = (("gunicorn", "gunicorn"), ("postgres", "postgres"), ("worker", "listener"),
           ("bench", "load"))  # fmt: skip


def print_round(number: int, trivial: dict, webhook: dict) -> None:
    for name, result in (("/health/", trivial), ("webhook", webhook)):
        cpu = "  ".join(f"{label} {result['cpu_ms'][party]:.2f}" for party, label in PARTIES)
        print(
            f"{number:<6}{name:<10}{result['rate']:>8.0f}{result['p50_ms']:>8.1f}"
            f"{result['p99_ms']:>8.1f}{result['failures']:>7}   {cpu}"
        )


def main() -> None:
    prepare_database()
    server = start_gunicorn()
    listener = start_wake_listener()
    ratios, p99s = [], []
    print(f"{CONCURRENCY} connections, {DURATION:.0f} s per run, gunicorn {WORKERS}x{THREADS}")
    print(f"{'round':<6}{'target':<10}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'failed':>7}"
          "   CPU ms per accepted request")  # fmt: skip
    try:
        asyncio.run(load(health_request))  # warm up every worker
        for number in range(1, ROUNDS + 1):
            trivial = measure(health_request, server, listener)
            webhook = measure(webhook_request, server, listener)
            print_round(number, trivial, webhook)
            ratios.append(webhook["rate"] / trivial["rate"])
            p99s.append(webhook["p99_ms"])
    finally:
        for process in (listener, server):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    print(
        f"webhook / trivial throughput: median {statistics.median(ratios):.2f} "
        f"(rounds: {', '.join(f'{ratio:.2f}' for ratio in ratios)}); "
        f"webhook p99 median {statistics.median(p99s):.1f} ms"
    )


if __name__ == "__main__":
    main()
