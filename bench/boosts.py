"""Boost dispatch: due phases placed with the sandbox SMM panel; orders per minute, lateness.

    make bench
    .venv/bin/python bench/boosts.py                        # 2,000 phases, 32 worker threads
    .venv/bin/python bench/boosts.py --concurrency 64
    .venv/bin/python bench/boosts.py --pool prefork --concurrency 4  # the Procfile's `worker` shape

Starts gunicorn serving the fake SMM panel, which sleeps --latency-ms (150 ms) before every
answer, points a Provider at it and gives the panel a balance no run can spend. Then:

- baseline: --sample phases claimed and placed one after the other in this process (the old
  bot's way, one provider order after another): provider orders per minute;
- the real path: --phases boost orders of one phase each (1,000 views; every 4th also 50
  likes, so it places two orders), all due at the same instant. This process plays beat,
  running the dispatch_due_phases task (claim up to BOOST_DISPATCH_BATCH due phases with a
  lease, enqueue place_phase for each) every --dispatch-every seconds, the first run half a
  period after the due time, while a Celery worker consumes the boosts queue, until no phase is
  waiting: provider orders per minute from the first placement to the last (ProviderOrder.
  placed_at) and from the due time, and each phase's lateness (placed_at - due_at, p50/p99).

Prints both rates and their ratio, the dispatcher's runs, CPU per provider order of each
process, and whether every phase was placed exactly once: orders the fake stored == `add` calls
in its log == placed ProviderOrder rows == the number expected, one per phase and kind.
DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/viralcore_bench_boosts (created and
migrated when needed; rows are added, never deleted, and phases earlier runs left open are
canceled first); REDIS_URL to redis://127.0.0.1:6379/12, which is flushed and is also the
broker. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
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

from payouts import quantile
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

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/viralcore_bench_boosts"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"  # 13 is payouts', 14 CI's, 15 payments'
# Enough threads that 64 placing threads' calls never queue behind the fake's sleeps.
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 64
# The fake gives its connection back before it sleeps: a few per process are enough.
GUNICORN_DB_POOL = 8
PANEL = "benchsmm"  # the fake panel and the Provider row pointing at it
PANEL_BALANCE = Decimal("1000000.00")  # a run spends about 150 USD
VIEWS, LIKES, LIKES_EVERY = 1000, 50, 4
QUEUE = "boosts"
# Seconds from the phases' creation to their due time.
DUE_IN = 3.0
# Connections left free for the other people using this PostgreSQL.
CONNECTION_HEADROOM = 10
WAITING = ("pending", "dispatching")  # not placed yet, and not given up on either
AIM_RATE, AIM_P99 = 1000, 60.0


def main() -> int:
    options = parse_arguments()
    port = free_port()
    configure_environment(port)
    sys.path.insert(0, str(ROOT))
    create_database_if_missing(os.environ["DATABASE_URL"])
    flush_redis()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="bench-boosts-"))
    processes: list[subprocess.Popen] = []
    try:
        processes.append(
            start_gunicorn(
                port,
                workdir,
                workers=GUNICORN_WORKERS,
                threads=GUNICORN_THREADS,
                pool_size=GUNICORN_DB_POOL,
            )
        )
        if not run(options, processes, workdir):
            raise SystemExit("\nnot every phase was placed exactly once: see above")
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
    parser.add_argument("--phases", type=int, default=2000, help="due phases for the worker")
    parser.add_argument("--sample", type=int, default=40, help="phases placed one at a time")
    parser.add_argument("--concurrency", type=int, default=32, help="worker threads/processes")
    parser.add_argument("--pool", choices=("threads", "prefork"), default="threads")
    parser.add_argument("--latency-ms", type=int, default=150, help="per SMM panel answer")
    parser.add_argument(
        "--dispatch-every", type=float, default=10.0, help="seconds between dispatcher runs"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds after the due time")
    options = parser.parse_args()
    if options.phases < 1 or options.sample < 1:
        parser.error("--phases and --sample must be at least 1")
    if not 0 <= options.latency_ms <= 60_000:
        parser.error("--latency-ms must be between 0 and 60000 (the fake's limit)")
    if options.dispatch_every <= 0:
        parser.error("--dispatch-every must be above 0")
    return options


def configure_environment(port: int) -> None:
    """The environment of this process, gunicorn and the worker (they inherit it)."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/boosts.py needs PostgreSQL: DATABASE_URL must be postgres://")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "viralcore.settings",
            "CELERY_BROKER_URL": os.environ["REDIS_URL"],
            # As production runs: DEBUG keeps every query in memory; quiet logs.
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "SANDBOX": "true",
            "SANDBOX_BASE_URL": f"http://127.0.0.1:{port}/sandbox",
        }
    )


# --- data ------------------------------------------------------------------------------------


def arrange_panel(latency_ms: int):
    """The fake panel (LATENCY_MS per answer, no failure, a large balance) and the only enabled
    Provider, pointing at the gunicorn this run started. Returns the panel."""
    from django.conf import settings

    from apps.boosts.models import Provider
    from apps.sandbox.failures import clear_failures
    from apps.sandbox.smm import catalogue
    from apps.sandbox.smm.services import ensure_panel

    clear_failures()  # no one-off failure (or delay) injected by hand may answer for the panel
    panel = ensure_panel(
        PANEL, latency_ms=latency_ms, balance=PANEL_BALANCE, failure_mode="", partial_percent=0
    )
    services = catalogue.service_ids(PANEL)
    Provider.objects.update_or_create(
        name=PANEL,
        defaults={
            "api_url": f"{settings.SANDBOX_BASE_URL}/smm/{PANEL}/api/v2",
            # Unset: the sandbox key is used (SANDBOX is on).
            "api_key_env": "BENCH_SMM_API_KEY",
            "priority": 1,
            "is_enabled": True,
            "view_service_id": services["views"],
            "like_service_id": services["likes"],
        },
    )
    # The bench database's own rows: a failover must never leave the fake this run serves.
    Provider.objects.exclude(name=PANEL).update(is_enabled=False)
    return panel


def cancel_leftovers() -> int:
    """Phases an interrupted run left open would be claimed with this run's: canceled."""
    from apps.boosts.models import BoostOrder, BoostPhase, OrderStatus, PhaseStatus

    phases = BoostPhase.objects.filter(
        status__in=(PhaseStatus.PENDING, PhaseStatus.DISPATCHING, PhaseStatus.CHECKING)
    ).update(status=PhaseStatus.CANCELED, lease_until=None)
    BoostOrder.objects.filter(status__in=(OrderStatus.SCHEDULED, OrderStatus.RUNNING)).update(
        status=OrderStatus.CANCELED
    )
    return phases


def link_prefix(run_id: str, group: str) -> str:
    return f"https://x.com/bench_{run_id}_{group}/status/"


def prepare_phases(count: int, run_id: str, group: str, due_at):
    """COUNT boost orders of one phase each, due at DUE_AT, under one purchase (returned)."""
    from django.db.models import Max

    from apps.boosts.models import BoostOrder, BoostPhase
    from apps.boosts.services.snapshot import take_snapshot
    from apps.purchases.models import Purchase
    from apps.users.models import BotUser

    top = BotUser.objects.aggregate(top=Max("telegram_id"))["top"] or 7_000_000_000
    user = BotUser.objects.create(telegram_id=top + 1, username=f"bb_{run_id}_{group}")
    targets = {"views": VIEWS, "likes": LIKES}
    purchase = Purchase.objects.create(
        user=user,
        source="manual",
        product="x_engagement",
        plan_code="bench",
        account="bench",
        quantity=count,
        targets=targets,
        credits_total=count,
        credits_remaining=0,
        amount_usd=Decimal("0.00"),
    )
    snapshot = take_snapshot()
    prefix = link_prefix(run_id, group)
    orders = BoostOrder.objects.bulk_create(
        BoostOrder(
            user=user,
            purchase=purchase,
            platform="x",
            link=f"{prefix}{1_900_000_000_000_000_000 + n}",
            post_id=str(1_900_000_000_000_000_000 + n),
            account=f"bench_{run_id}_{group}",
            plan_code="bench",
            targets=targets,
            snapshot=snapshot,
        )
        for n in range(count)
    )
    BoostPhase.objects.bulk_create(
        BoostPhase(
            order=order,
            number=1,
            due_at=due_at,
            next_attempt_at=due_at,
            views=VIEWS,
            likes=LIKES if n % LIKES_EVERY == LIKES_EVERY - 1 else 0,
        )
        for n, order in enumerate(orders)
    )
    return purchase


def phases_of(purchase):
    from apps.boosts.models import BoostPhase

    return BoostPhase.objects.filter(order__purchase=purchase)


def placed_orders(purchase):
    from apps.boosts.models import ProviderOrder

    return ProviderOrder.objects.filter(phase__order__purchase=purchase)


def expected_orders(purchase) -> int:
    phases = phases_of(purchase)
    return phases.filter(views__gt=0).count() + phases.filter(likes__gt=0).count()


def statuses(purchase) -> Counter:
    return Counter(phases_of(purchase).values_list("status", flat=True))


def describe(counts: Counter) -> str:
    return ", ".join(f"{number} {status}" for status, number in sorted(counts.items()))


def last_id(model) -> int:
    return model.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- measurements ----------------------------------------------------------------------------


def run(options, processes: list, workdir: Path) -> bool:
    """The whole measurement; whether every phase was placed with exactly one order per kind."""
    from django.conf import settings
    from django.utils import timezone

    from apps.sandbox.models import ApiCall

    if not enough_connections(options):
        raise SystemExit(
            "PostgreSQL has too few free connections for this run (max_connections, others' "
            f"use, {CONNECTION_HEADROOM} spare); try a lower --concurrency"
        )
    run_id = uuid.uuid4().hex[:6]
    leftovers = cancel_leftovers()
    panel = arrange_panel(options.latency_ms)
    print(
        f"run {run_id}: fake SMM panel {PANEL} at {options.latency_ms} ms per answer, gunicorn "
        f"{GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads; BOOST_DISPATCH_BATCH "
        f"{settings.BOOST_DISPATCH_BATCH}, a dispatcher run every {options.dispatch_every:g} s; "
        f"load average before the runs {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
        flush=True,
    )
    if leftovers:
        print(f"note: {leftovers} open phases of earlier runs canceled first")
    sample = prepare_phases(options.sample, run_id, "s", timezone.now() - timedelta(seconds=1))
    baseline = sequential(sample)
    print_row("sequential, in-process", baseline, baseline["rate"])
    print_statements(baseline["statements"])
    worker = start_worker(
        QUEUE,
        options.pool,
        options.concurrency,
        workdir,
        bench="boosts",
        # place_phase gives its connection back while the panel answers, but a thread holds
        # one for its claim and its records (prefork: each child has a pool of its own).
        pool_size=options.concurrency + 2,
    )
    processes.append(worker)
    try:
        marks = {"api_call": last_id(ApiCall)}
        started = time.monotonic()
        batch = prepare_phases(options.phases, run_id, "w", timezone.now() + timedelta(days=1))
        prepared = time.monotonic() - started
        result = through_worker(batch, options, gunicorn=processes[0], worker=worker)
    finally:
        stop(worker)
        processes.remove(worker)
    label = f"worker -P {options.pool} -c {options.concurrency}"
    print_row(label, result, baseline["rate"])
    print_from_due(result)
    print_resources(result)
    print_dispatcher(result, options, prepared)
    exact = print_exactly_once(batch, panel, marks, run_id)
    print_aim(result)
    return exact and not result["timed_out"]


class StatementCounter:
    """Counts the SQL statements a connection runs (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def sequential(purchase) -> dict:
    """The old bot's shape: one phase after the other in this process, each order waiting for
    the panel's answer before the next is sent. Also counts each phase's SQL statements."""
    from django.db import connection

    from apps.boosts.services.dispatch import claim_due_phases
    from apps.boosts.services.placing import place_phase

    phases = phases_of(purchase)
    likes = set(phases.filter(likes__gt=0).values_list("pk", flat=True))
    claimed = claim_due_phases(limit=phases.count())
    if {pk for pk, _ in claimed} != set(phases.values_list("pk", flat=True)):
        raise SystemExit("the sample's claim took other phases than the sample's")
    statements: dict[bool, list[int]] = {False: [], True: []}
    began = time.monotonic()
    for phase_id, lease in claimed:
        counter = StatementCounter()
        with connection.execute_wrapper(counter):
            place_phase(phase_id, lease)
        statements[phase_id in likes].append(counter.count)
    elapsed = time.monotonic() - began
    orders = placed_orders(purchase).exclude(provider_order_id="").count()
    return {
        "phases": len(claimed),
        "orders": orders,
        "elapsed": elapsed,
        "rate": orders / elapsed * 60,
        "outcomes": statuses(purchase),
        "statements": statements,
    }


def through_worker(purchase, options, *, gunicorn, worker) -> dict:
    """Make PURCHASE's phases due now + DUE_IN, then play beat until none of them waits.

    dispatch_due_phases runs here every --dispatch-every seconds, the first time half a period
    after the due time (a phase waits that long for beat's next run, on average). The clock and
    the CPU accounting run from the due time until no phase is pending or dispatching.
    """
    from django.utils import timezone

    from apps.boosts.tasks import dispatch_due_phases

    waiting = phases_of(purchase).filter(status__in=WAITING)
    due_at = timezone.now() + timedelta(seconds=DUE_IN)
    due = time.monotonic() + DUE_IN
    phases_of(purchase).update(due_at=due_at, next_attempt_at=due_at)
    redis = redis_client()
    time.sleep(max(0.0, due - time.monotonic()))
    cpu_before = cpu_snapshot(gunicorn, worker)
    idle_before = machine_idle()
    next_run = due + options.dispatch_every / 2
    runs, peak = [], 0
    while True:
        now = time.monotonic()
        if now >= next_run:
            backlog = redis.llen(QUEUE)
            claimed = dispatch_due_phases()  # the task's body, as beat's worker runs it
            runs.append((now - due, claimed, backlog))
            next_run += options.dispatch_every
        left = waiting.count()
        peak = max(peak, len(bench_backends()))
        if left == 0 or now - due > options.timeout:
            break
        if worker.poll() is not None:
            # Someone else's `pkill -f celery` on a shared machine: say so now, not at --timeout.
            raise SystemExit(f"the Celery worker exited mid-run (status {worker.returncode})")
        time.sleep(max(0.0, min(0.25, next_run - time.monotonic())))
    elapsed = time.monotonic() - due
    cpu_after = cpu_snapshot(gunicorn, worker)
    idle = machine_idle() - idle_before
    phases = list(phases_of(purchase).values_list("due_at", "placed_at"))
    lateness = sorted((placed - due_at).total_seconds() for due_at, placed in phases if placed)
    placed = sorted(
        placed_orders(purchase).exclude(placed_at=None).values_list("placed_at", flat=True)
    )
    span = (placed[-1] - placed[0]).total_seconds() if len(placed) > 1 else 0.0
    after_due = (placed[-1] - due_at).total_seconds() if placed else elapsed
    return {
        "phases": len(phases),
        "orders": len(placed),
        "elapsed": span,
        "rate": len(placed) / span * 60 if span else 0.0,
        "after_due": after_due,
        "rate_from_due": len(placed) / after_due * 60 if after_due > 0 else 0.0,
        "window": elapsed,
        "lateness": lateness,
        "outcomes": statuses(purchase),
        "timed_out": left > 0,
        "runs": runs,
        "peak": peak,
        "cpu": cpu_used(cpu_before, cpu_after),
        "idle": idle,
    }


def machine_idle() -> float:
    """CPU seconds the whole machine spent idle so far, all cores (/proc/stat: idle + iowait)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:  # not Linux
        return 0.0
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


def enough_connections(options) -> bool:
    """Whether this run's connections fit in PostgreSQL next to everyone else's, with headroom.

    This run may hold: the worker's pool (concurrency + 2; prefork: one per child), both
    gunicorn pools, and this process's own (the dispatcher, the poller, the probe).
    """
    worker = options.concurrency + 2 if options.pool == "threads" else 2 * options.concurrency
    ours = worker + GUNICORN_WORKERS * GUNICORN_DB_POOL + 3
    return ours + CONNECTION_HEADROOM <= free_connections()


# --- report ----------------------------------------------------------------------------------


def print_row(label: str, result: dict, baseline_rate: float) -> None:
    if not getattr(print_row, "header_printed", False):
        print(
            f"\n{'placed by':<30}{'phases':>7}{'orders':>8}{'elapsed s':>11}{'orders/min':>12}"
            f"{'x sequential':>14}  outcome"
        )
        print_row.header_printed = True
    flag = "  TIMED OUT" if result.get("timed_out") else ""
    print(
        f"{label:<30}{result['phases']:>7}{result['orders']:>8}{result['elapsed']:>11.1f}"
        f"{result['rate']:>12.0f}{result['rate'] / baseline_rate:>14.1f}  "
        f"{describe(result['outcomes'])}{flag}",
        flush=True,
    )


def print_statements(statements: dict[bool, list[int]]) -> None:
    """SQL statements place_phase ran per phase, without and with likes (two orders)."""
    parts = [
        f"{name} {sum(counts) / len(counts):.1f}"
        for name, counts in (("views only", statements[False]), ("views + likes", statements[True]))
        if counts
    ]
    print(f"{'':<4}SQL statements per phase (the sequential run): {', '.join(parts)}", flush=True)


def print_from_due(result: dict) -> None:
    lateness = result["lateness"] or [0.0]
    print(
        f"{'':<4}from the due time: all placed after {result['after_due']:.1f} s "
        f"({result['rate_from_due']:.0f} orders/min); lateness (placed_at - due_at) p50 "
        f"{quantile(lateness, 0.5):.1f} s, p99 {quantile(lateness, 0.99):.1f} s, "
        f"max {lateness[-1]:.1f} s",
        flush=True,
    )


def print_resources(result: dict) -> None:
    cpu = result["cpu"]
    orders = max(result["orders"], 1)
    capacity = result["window"] * (os.cpu_count() or 1)
    busy = sum(cpu.values()) / capacity
    parts = ", ".join(f"{party} {seconds / orders * 1000:.0f}" for party, seconds in cpu.items())
    print(
        f"{'':<4}CPU ms per provider order: {parts} (bench: the dispatcher and the polling); "
        f"{busy:.0%} of {os.cpu_count()} cores busy with this run, "
        f"{result['idle'] / capacity:.0%} idle; "
        f"peak PostgreSQL connections to the bench database: {result['peak']}",
        flush=True,
    )


def print_dispatcher(result: dict, options, prepared: float) -> None:
    runs = result["runs"]
    claiming = [(at, claimed, backlog) for at, claimed, backlog in runs if claimed]
    shown = ", ".join(
        f"+{at:.1f} s {claimed} (queue {backlog})" for at, claimed, backlog in claiming
    )
    idle = len(runs) - len(claiming)
    print(
        f"dispatcher runs (seconds after the due time, phases claimed, place_phase messages "
        f"still queued before it): {shown or 'none claimed'}"
        + (f"; {idle} more claimed nothing" if idle else "")
        + f"; {options.phases} phases prepared in {prepared:.1f} s",
        flush=True,
    )


def print_exactly_once(purchase, panel, marks: dict, run_id: str) -> bool:
    """Orders the fake stored, `add` calls in its log and placed ProviderOrder rows, against the
    number of phases x kinds; one order per phase and kind, each with an id the fake gave out."""
    from apps.sandbox.models import ApiCall
    from apps.sandbox.smm.models import SmmPanelOrder

    fake = SmmPanelOrder.objects.filter(panel=panel, link__startswith=link_prefix(run_id, "w"))
    wire_ids = {str(SmmPanelOrder.ID_BASE + pk) for pk in fake.values_list("pk", flat=True)}
    adds = ApiCall.objects.filter(id__gt=marks["api_call"], method=f"smm.{PANEL}.add")
    posts = adds.count()
    rows = placed_orders(purchase)
    placed = list(rows.exclude(provider_order_id="").values_list("phase_id", "kind", "pk"))
    ids = set(rows.exclude(provider_order_id="").values_list("provider_order_id", flat=True))
    per_kind = Counter((phase_id, kind) for phase_id, kind, _ in placed)
    twice = sum(1 for number in per_kind.values() if number > 1)
    other = Counter(rows.filter(provider_order_id="").values_list("status", flat=True))
    expected = expected_orders(purchase)
    counts = statuses(purchase)
    exact = (
        len(wire_ids) == posts == len(placed) == expected
        and ids == wire_ids
        and not twice
        and not other
        and set(counts) == {"placed"}
    )
    print(
        f"orders the fake received: {len(wire_ids)} (SmmPanelOrder rows under this run's links; "
        f"{posts} add calls in its log; {len(placed)} placed ProviderOrder rows, "
        f"{'the same ids' if ids == wire_ids else 'OTHER ids'}, {twice} phase/kind placed twice"
        + (f"; not placed: {describe(other)}" if other else "")
        + f") -> {'exactly' if exact else 'NOT exactly'} one order per phase and kind "
        f"({expected} expected)",
        flush=True,
    )
    print(f"final status of the {sum(counts.values())} phases: {describe(counts)}")
    calls = adds.values_list("duration_ms", "http_status")
    durations = sorted(duration for duration, _ in calls) or [0]
    http = Counter(status for _, status in calls)
    print(
        f"fake panel add calls (its ApiCall log): {posts}, p50 {quantile(durations, 0.5)} ms, "
        f"p99 {quantile(durations, 0.99)} ms; HTTP {dict(sorted(http.items()))}; "
        f"remainder re-orders {rows.filter(is_remainder=True).count()}"
    )
    return exact


def print_aim(result: dict) -> None:
    p99 = quantile(result["lateness"] or [float("inf")], 0.99)
    met = result["rate"] >= AIM_RATE and p99 < AIM_P99 and not result["timed_out"]
    print(
        f"aim (at least {AIM_RATE} provider orders/min, p99 lateness under {AIM_P99:.0f} s): "
        f"{'met' if met else 'NOT met'} ({result['rate']:.0f}/min, p99 {p99:.1f} s)",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
