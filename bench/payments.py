"""Payment verification throughput: claims verified per minute against the sandbox chains.

    make bench
    .venv/bin/python bench/payments.py                       # 1,000 claims, 32 worker threads
    .venv/bin/python bench/payments.py --concurrency 16 32 64
    .venv/bin/python bench/payments.py --pool prefork --concurrency 4  # as the Procfile runs

Starts gunicorn serving the sandbox chain fakes (each HTTP answer delayed by
SANDBOX_CHAIN_LATENCY_MS, 200 ms by default, as a remote RPC node would be), creates open
invoices spread over the eight assets, pays each on the fake chain and claims its hash. Then:

- baseline: the first --sample claims verified one at a time in this process, as the old bot
  did in its chat handler;
- the rest through a Celery worker (threads pool unless --pool says otherwise), from the
  first enqueue until the database says no claim of the batch is pending.

Prints claims per minute for both, the worker settings, the ratio against the baseline and the
chain HTTP calls per verification (from gunicorn's access log). Each further --concurrency value
gets a fresh batch of claims. DATABASE_URL defaults to
postgres://postgres@127.0.0.1:5432/viralcore_bench_payments (created and migrated when needed;
rows are added, never deleted); REDIS_URL to redis://127.0.0.1:6379/15, which is flushed.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from processes import (
    ROOT,
    create_database_if_missing,
    exit_on_sigterm,
    flush_redis,
    free_connections,
    free_port,
    redis_client,
    start_gunicorn,
    start_worker,
    stop,
)
from procstat import bench_backends, cpu_snapshot, cpu_used

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/viralcore_bench_payments"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
# Enough threads that 64 verifier threads' requests never queue behind the fakes' sleeps.
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 64
# The fakes hold a database connection only after their sleep, for a few queries.
GUNICORN_DB_POOL = 8
ASSET_CODES = ("usdt_bep20", "bnb", "usdt_trc20", "trx", "usdt_sol", "sol", "usdt_aptos", "apt")
# Prices that make every invoice amount exact in its coin (stablecoins: 1 USD).
COIN_PRICES = {"bnb": Decimal(500), "sol": Decimal(100), "trx": Decimal("0.25"), "apt": Decimal(8)}
INVOICE_USD = Decimal("10.00")  # 10 posts of plan t2
BUYERS = 100  # every other one invited by a referrer, so half the payments pay a commission
# Connections left free for the other people using this PostgreSQL.
CONNECTION_HEADROOM = 10
BY_HASH = re.compile(r"/by_hash/[^/]+")


def main() -> int:
    options = parse_arguments()
    port = free_port()
    configure_environment(options, port)
    sys.path.insert(0, str(ROOT))
    create_database_if_missing(os.environ["DATABASE_URL"])
    flush_redis()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="bench-payments-"))
    processes: list[subprocess.Popen] = []
    try:
        processes.append(
            start_gunicorn(
                port,
                workdir,
                workers=GUNICORN_WORKERS,
                threads=GUNICORN_THREADS,
                pool_size=GUNICORN_DB_POOL,
                # print_rpc_calls counts the chain HTTP calls per verification from it.
                access_log=True,
            )
        )
        run(options, processes, workdir)
    except BaseException:
        print(f"\nlogs of gunicorn and the worker: {workdir}", file=sys.stderr)
        raise
    finally:
        for process in reversed(processes):
            stop(process)
    shutil.rmtree(workdir)
    return 0


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=1000, help="claims in the first batch")
    parser.add_argument("--sample", type=int, default=20, help="verified one at a time first")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[32], help="worker threads; one run each"
    )
    parser.add_argument("--pool", choices=("threads", "prefork"), default="threads")
    parser.add_argument("--latency-ms", type=int, default=200, help="per chain HTTP answer")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per worker run")
    options = parser.parse_args()
    if not 0 < options.sample < options.claims:
        parser.error("--sample must be between 1 and --claims - 1")
    return options


def configure_environment(options, port: int) -> None:
    """The environment of this process, gunicorn and the worker (they inherit it)."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/payments.py needs PostgreSQL: DATABASE_URL must be postgres://")
    sandbox = f"http://127.0.0.1:{port}/sandbox"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "viralcore.settings",
            "CELERY_BROKER_URL": os.environ["REDIS_URL"],
            # As production runs: DEBUG keeps every query in memory; quiet logs.
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "SANDBOX": "true",
            "SANDBOX_CHAIN_LATENCY_MS": str(options.latency_ms),
            "SANDBOX_BASE_URL": sandbox,
            "BSC_RPC_URL": f"{sandbox}/chains/bsc/rpc",
            "TRONGRID_URL": f"{sandbox}/chains/tron",
            "SOLANA_RPC_URL": f"{sandbox}/chains/solana/rpc",
            "APTOS_API_URL": f"{sandbox}/chains/aptos/v1",
        }
    )


def drop_queued_tasks() -> None:
    """Forget the verify tasks submit_hash queued on commit: the measurement enqueues its own."""
    client = redis_client()
    keys = [key for key in client.scan_iter(match="celery*") if client.type(key) == b"list"]
    if keys:
        client.delete(*keys)


# --- data ------------------------------------------------------------------------------------


def prepare_claims(count: int, run_id: str, batch: int) -> list[int]:
    """COUNT pending claims: open invoices over the eight assets, each paid exactly and claimed."""
    from django.db import transaction

    from apps.purchases.services.claims import submit_hash
    from apps.sandbox.payments import pay_invoice

    buyers = bench_buyers(run_id, batch)
    invoices = open_invoices(count, buyers, run_id, batch)
    claim_ids = []
    for invoice in invoices:
        transfer = pay_invoice(invoice, "exact")
        with transaction.atomic():
            submitted = submit_hash(user=invoice.user, invoice=invoice, raw_hash=transfer.tx_hash)
        if not submitted.accepted:
            raise SystemExit(f"claim refused for {invoice.number}: {submitted.message}")
        claim_ids.append(submitted.claim.pk)
    drop_queued_tasks()
    return claim_ids


def bench_buyers(run_id: str, batch: int) -> list:
    from django.db.models import Max

    from apps.users.models import BotUser

    first = (BotUser.objects.aggregate(top=Max("telegram_id"))["top"] or 8_000_000_000) + 1
    referrer = BotUser.objects.create(telegram_id=first, username=f"bp_{run_id}_{batch}_ref")
    return BotUser.objects.bulk_create(
        BotUser(
            telegram_id=first + 1 + n,
            username=f"bp_{run_id}_{batch}_{n}",
            referrer=referrer if n % 2 == 0 else None,
        )
        for n in range(BUYERS)
    )


def open_invoices(count: int, buyers: list, run_id: str, batch: int) -> list:
    """Open, quoted invoices built directly (the quote task and CoinGecko are not measured)."""
    from django.conf import settings
    from django.utils import timezone

    from apps.purchases.assets import ASSETS
    from apps.purchases.models import Invoice, InvoiceStatus, Plan

    plan = Plan.objects.get(code="t2")
    snapshot = plan.snapshot()
    expires_at = timezone.now() + timedelta(minutes=settings.INVOICE_TTL_MINUTES)
    invoices = []
    for n in range(count):
        method = ASSET_CODES[n % len(ASSET_CODES)]
        paid = ASSETS[method]
        price = COIN_PRICES.get(method)
        buyer = buyers[n % len(buyers)]
        invoices.append(
            Invoice(
                number=f"BP{run_id}{batch}-{n:05d}",
                user=buyer,
                plan=plan,
                plan_snapshot=snapshot,
                quantity=10,
                amount_usd=INVOICE_USD,
                method=method,
                network=paid.network,
                asset_symbol=paid.symbol,
                amount_due=INVOICE_USD / price if price else INVOICE_USD,
                coin_price_usd=price,
                deposit_address=settings.DEPOSIT_ADDRESSES[paid.network],
                chat_id=buyer.telegram_id,
                status=InvoiceStatus.OPEN,
                expires_at=expires_at,
            )
        )
    return Invoice.objects.bulk_create(invoices)


def outcomes(claim_ids: list[int]) -> Counter:
    from apps.purchases.models import PaymentClaim

    rows = PaymentClaim.objects.filter(pk__in=claim_ids).values_list("status", flat=True)
    return Counter(rows)


def describe(counts: Counter) -> str:
    return ", ".join(f"{number} {status}" for status, number in sorted(counts.items()))


# --- measurements ----------------------------------------------------------------------------


def run(options, processes: list, workdir: Path) -> None:
    from viralcore.celery import app

    run_id = uuid.uuid4().hex[:6]
    started = time.monotonic()
    first_batch = prepare_claims(options.claims, run_id, batch=0)
    print(
        f"run {run_id}: {options.claims} claims prepared in {time.monotonic() - started:.0f} s "
        f"(8 assets, {options.latency_ms} ms per chain HTTP answer, "
        f"gunicorn {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads); "
        f"load average before the runs {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
        flush=True,
    )
    sample, rest = first_batch[: options.sample], first_batch[options.sample :]
    baseline = sequential(sample)
    print_row("sequential, in-process", baseline, baseline["rate"])
    all_checked = list(sample)
    results = []
    for number, concurrency in enumerate(options.concurrency):
        label = f"worker -P {options.pool} -c {concurrency}"
        if not enough_connections(concurrency):
            print(
                f"{label}: skipped, PostgreSQL has too few free "
                f"connections for its pool (max_connections, others' use, {CONNECTION_HEADROOM} "
                "spare)"
            )
            continue
        batch = rest if number == 0 else prepare_claims(len(rest), run_id, batch=number)
        worker = start_worker(
            "payments",
            options.pool,
            concurrency,
            workdir,
            # A name of its own for each --concurrency value's worker, one after the other.
            bench=f"payments-{concurrency}",
            # Every verifier thread holds a pooled connection from its lease to the end of the
            # task (prefork: each child has a pool of its own and needs one or two of it).
            pool_size=concurrency + 2,
        )
        processes.append(worker)
        try:
            result = through_worker(batch, options.timeout, gunicorn=processes[0], worker=worker)
        finally:
            stop(worker)
            processes.remove(worker)
        print_row(label, result, baseline["rate"])
        print_resources(result)
        all_checked += batch
        results.append((concurrency, result))
    if results:
        best, result = max(results, key=lambda item: item[1]["rate"])
        print(f"best: -c {best}, {result['rate']:.0f} claims/min")
    prefetch = app.conf.worker_prefetch_multiplier
    print(
        f"worker settings: pool {options.pool}, prefetch multiplier {prefetch} (prefetch = "
        f"{prefetch} x concurrency), acks_late {app.conf.task_acks_late}, "
        "DB_POOL_MAX_SIZE concurrency + 2"
    )
    print_rpc_calls(workdir / "access.log", all_checked)


def sequential(claim_ids: list[int]) -> dict:
    """The old bot's shape: one claim after the other, each waiting for its chain answers."""
    from apps.purchases.services.verify import verify_claim

    began = time.monotonic()
    for claim_id in claim_ids:
        verify_claim(claim_id)
    elapsed = time.monotonic() - began
    return {
        "claims": len(claim_ids),
        "elapsed": elapsed,
        "rate": len(claim_ids) / elapsed * 60,
        "outcomes": outcomes(claim_ids),
    }


def through_worker(claim_ids: list[int], timeout: float, *, gunicorn, worker) -> dict:
    """From the first enqueue until no claim of CLAIM_IDS is pending (or TIMEOUT).

    Also the CPU seconds each party spent meanwhile: the worker, gunicorn (the chain fakes),
    PostgreSQL's backends serving the bench database, and this process (enqueue and polling).
    """
    from apps.purchases.models import ClaimStatus, PaymentClaim
    from apps.purchases.tasks import verify_claim

    pending = PaymentClaim.objects.filter(pk__in=claim_ids, status=ClaimStatus.PENDING)
    peak = 0
    cpu_before = cpu_snapshot(gunicorn, worker)
    began = time.monotonic()
    for claim_id in claim_ids:
        verify_claim.delay(claim_id)
    while True:
        left = pending.count()
        peak = max(peak, len(bench_backends()))
        if left == 0 or time.monotonic() - began > timeout:
            break
        time.sleep(0.25)
    elapsed = time.monotonic() - began
    cpu_after = cpu_snapshot(gunicorn, worker)
    done = len(claim_ids) - left
    return {
        "claims": len(claim_ids),
        "elapsed": elapsed,
        "rate": done / elapsed * 60,
        "outcomes": outcomes(claim_ids),
        "peak": peak,
        "timed_out": left > 0,
        "cpu": cpu_used(cpu_before, cpu_after),
    }


def enough_connections(concurrency: int) -> bool:
    """Whether this run's connections fit in PostgreSQL next to everyone else's, with headroom.

    This run may hold: the worker's pool (concurrency + 2), both gunicorn pools, and this
    process's own (the poller and the pg_stat_activity probe).
    """
    ours = concurrency + 2 + GUNICORN_WORKERS * GUNICORN_DB_POOL + 2
    return ours + CONNECTION_HEADROOM <= free_connections()


def print_row(label: str, result: dict, baseline_rate: float) -> None:
    if not getattr(print_row, "header_printed", False):
        print(
            f"\n{'verified by':<30}{'claims':>7}{'elapsed s':>11}{'claims/min':>12}"
            f"{'x sequential':>14}  outcome"
        )
        print_row.header_printed = True
    flag = "  TIMED OUT" if result.get("timed_out") else ""
    print(
        f"{label:<30}{result['claims']:>7}{result['elapsed']:>11.1f}{result['rate']:>12.0f}"
        f"{result['rate'] / baseline_rate:>14.1f}  {describe(result['outcomes'])}{flag}",
        flush=True,
    )


def print_resources(result: dict) -> None:
    cpu = result["cpu"]
    claims = result["claims"]
    busy = sum(cpu.values()) / (result["elapsed"] * (os.cpu_count() or 1))
    parts = ", ".join(f"{party} {seconds / claims * 1000:.0f}" for party, seconds in cpu.items())
    print(
        f"{'':<4}CPU ms per claim: {parts} (PostgreSQL: the bench database's backends); "
        f"{busy:.0%} of {os.cpu_count()} cores busy with this run; "
        f"peak PostgreSQL connections to the bench database: {result['peak']}",
        flush=True,
    )


def print_rpc_calls(access_log: Path, claim_ids: list[int]) -> None:
    """Chain HTTP requests gunicorn answered, per verification attempt, per chain and path."""
    from django.db.models import Count, Sum

    from apps.purchases.models import PaymentClaim

    per_path: Counter = Counter()
    statuses: Counter = Counter()
    for line in access_log.read_text().splitlines():
        path, _, status = line.rpartition(" ")
        if path.startswith("/sandbox/chains/"):
            per_path[path] += 1
            statuses[status] += 1
    attempts = {
        row["network"]: row
        for row in PaymentClaim.objects.filter(pk__in=claim_ids)
        .values("network")
        .annotate(claims=Count("id"), attempts=Sum("attempts"))
    }
    print("\nchain HTTP calls (each waits the simulated latency), over every claim checked:")
    for network in ("bsc", "tron", "solana", "aptos"):
        row = attempts.get(network)
        if not row or not row["attempts"]:
            continue
        prefix = f"/sandbox/chains/{network}/"
        endpoints: Counter = Counter()
        for path, number in per_path.items():
            if path.startswith(prefix):
                endpoints[BY_HASH.sub("/by_hash/<hash>", path.removeprefix(prefix))] += number
        checks = row["attempts"]
        detail = ", ".join(f"{path} {number / checks:.2f}" for path, number in endpoints.items())
        print(
            f"  {network:<7}{endpoints.total() / checks:>5.2f} per check "
            f"({row['claims']} claims, {checks} checks): {detail}"
        )
    print(f"  HTTP statuses: {dict(sorted(statuses.items()))}")


if __name__ == "__main__":
    sys.exit(main())
