"""Payout throughput: approved withdrawals paid through the sandbox Flutterwave, exactly once.

    make bench
    .venv/bin/python bench/payouts.py                       # 1,000 withdrawals, 32 worker threads
    .venv/bin/python bench/payouts.py --concurrency 16
    .venv/bin/python bench/payouts.py --pool prefork --concurrency 4  # as the Procfile runs it

Starts gunicorn serving the fake Flutterwave, where every transfer create and lookup answers
after --latency-ms (300 ms) and every 20th create is stored, then held back --timeout-delay
(2 s) past the worker's 1 s read timeout: 5 % "accepted, then timed out". Creates --withdrawals
funded bot users' withdrawals of 5,000 NGN and approves each (automatic payout) as a Finance
user. Then:

- baseline: the first --sample withdrawals paid one at a time in this process (send_payout);
- the rest through a Celery worker on the default queue, from the first enqueue until none of
  them is waiting to be sent (approved, sending, unknown): payouts completed per minute;
- while it runs, the status sync (the sync_payouts task, beat's job) every --sync-every seconds
  whenever the queue is empty, until every withdrawal is paid: time until all are settled.

Prints both rates and their ratio, the final status of every withdrawal, and how many transfers
the fake received (must equal the number of withdrawals: a timeout is looked up, never resent).
DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/viralcore_bench_payouts (created,
migrated and given the staff roles when needed; rows are added, never deleted); REDIS_URL to
redis://127.0.0.1:6379/13, which is flushed and is also the broker. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
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

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/viralcore_bench_payouts"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"  # 14 is CI's, 15 the other benches'
# Enough threads that every worker thread's call, plus the creates still sleeping after their
# client gave up, never queue behind the fake's sleeps.
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 64
# The fake's injected delays sleep while the request holds its pooled connection (failure
# injection reads the database first), so each in-flight call holds one: see bench/README.md.
GUNICORN_DB_POOL = 20
AMOUNT_NGN = Decimal("5000.00")
NGN_PER_USD = Decimal("1500.00")
BANK_CODE, BANK_NAME = "044", "Access Bank"
CREATE, LOOKUP = "flutterwave.transfers.create", "flutterwave.transfers.list"
# One create in TIMEOUT_EVERY is held past the read timeout: 5 %.
TIMEOUT_EVERY = 20
READ_TIMEOUT_SECONDS = 1
# Far above anything a run makes: latency for every call, and for the creates left over.
FOREVER = 10_000_000
# Connections left free for the other people using this PostgreSQL.
CONNECTION_HEADROOM = 10
WAITING_TO_SEND = ("approved", "sending", "unknown")
NOT_SETTLED = ("approved", "sending", "sent", "unknown")


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
    with open(os.devnull, "w") as quiet:
        call_command("setup_roles", stdout=quiet)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="bench-payouts-"))
    processes: list[subprocess.Popen] = []
    try:
        processes.append(
            start_gunicorn(
                port,
                workdir,
                workers=GUNICORN_WORKERS,
                threads=GUNICORN_THREADS,
                pool_size=gunicorn_pool(options.concurrency),
            )
        )
        if not run(options, processes, workdir):
            raise SystemExit("\nnot every withdrawal was paid exactly once: see above")
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
    parser.add_argument("--withdrawals", type=int, default=1000, help="approved and paid out")
    parser.add_argument("--sample", type=int, default=20, help="paid one at a time first")
    parser.add_argument("--concurrency", type=int, default=32, help="worker threads/processes")
    parser.add_argument("--pool", choices=("threads", "prefork"), default="threads")
    parser.add_argument("--latency-ms", type=int, default=300, help="per Flutterwave answer")
    parser.add_argument(
        "--timeout-delay", type=float, default=2.0, help="seconds a timed-out create is held"
    )
    parser.add_argument("--sync-every", type=float, default=5.0, help="seconds between syncs")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait in all")
    options = parser.parse_args()
    if not 0 < options.sample < options.withdrawals:
        parser.error("--sample must be between 1 and --withdrawals - 1")
    if options.latency_ms <= 0:
        parser.error("--latency-ms must be above 0 (failure injection sleeps, it cannot skip)")
    if not READ_TIMEOUT_SECONDS < options.timeout_delay <= 120:
        parser.error(f"--timeout-delay must be above {READ_TIMEOUT_SECONDS} s and at most 120")
    return options


def configure_environment(port: int) -> None:
    """The environment of this process, gunicorn and the worker (they inherit it)."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench/payouts.py needs PostgreSQL: DATABASE_URL must be postgres://")
    sandbox = f"http://127.0.0.1:{port}/sandbox"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "viralcore.settings",
            "CELERY_BROKER_URL": os.environ["REDIS_URL"],
            # As production runs: DEBUG keeps every query in memory; quiet logs.
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "SANDBOX": "true",
            "SANDBOX_BASE_URL": sandbox,
            "FLUTTERWAVE_BASE_URL": f"{sandbox}/flutterwave",
            # A create held longer than this is "accepted, then timed out" for the client.
            "FLUTTERWAVE_READ_TIMEOUT": str(READ_TIMEOUT_SECONDS),
            # The production guards would make this a 17-minute run (60 payouts a minute) and
            # stop it at 5,000,000 NGN a day: raised so the payout path itself is measured.
            "FLUTTERWAVE_PAYOUTS_PER_MINUTE": "1000000",
            "WITHDRAWAL_DAILY_PAYOUT_CAP_NGN": "1000000000000.00",
        }
    )


def queued_messages() -> int:
    """Messages waiting in the default queue (not counting those a worker has taken)."""
    return redis_client().llen("celery")


def messages_anywhere() -> int:
    """Messages waiting, plus those a worker took and has not acknowledged (acks_late)."""
    client = redis_client()
    return client.llen("celery") + client.hlen("unacked")


def drop_queued_tasks() -> None:
    """Forget what the approvals queued on commit (send_payout, the bot's outbox wake-ups).

    The measurement enqueues its own send_payout for exactly the withdrawals it times, when the
    worker is up, so the clock starts at the first enqueue and the baseline's withdrawals are
    not sent twice over (a second send_payout would only answer "not_due", but costs a slot).
    """
    client = redis_client()
    keys = [key for key in client.scan_iter() if client.type(key) == b"list"]
    if keys:
        client.delete(*keys)


# --- processes -------------------------------------------------------------------------------


def gunicorn_pool(concurrency: int) -> int:
    """Connections per gunicorn process: GUNICORN_DB_POOL, fewer for a smaller worker."""
    return min(GUNICORN_DB_POOL, concurrency + 4)


# --- data ------------------------------------------------------------------------------------


def finance_user(run_id: str):
    """A staff member of the Finance group (setup_roles made it): approves automatic payouts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from apps.users.roles import FINANCE

    user = get_user_model().objects.create_user(username=f"bench_finance_{run_id}", is_staff=True)
    user.groups.add(Group.objects.get(name=FINANCE))
    return user


def bench_users(count: int, run_id: str) -> list:
    from django.db.models import Max

    from apps.users.models import BotUser

    first = (BotUser.objects.aggregate(top=Max("telegram_id"))["top"] or 9_000_000_000) + 1
    return BotUser.objects.bulk_create(
        BotUser(telegram_id=first + n, username=f"bw_{run_id}_{n}") for n in range(count)
    )


def account_numbers():
    """Distinct 10-digit accounts the fake resolves (it refuses those ending 0000)."""
    number = 7_100_000_000
    while True:
        number += 1
        if number % 10_000:
            yield str(number)


def prepare_withdrawals(count: int, run_id: str) -> list[int]:
    """COUNT approved automatic withdrawals of AMOUNT_NGN, each by a freshly funded bot user."""
    from django.utils import timezone

    from apps.audit.actors import Actor
    from apps.ledger.models import AccountKind, TransactionKind
    from apps.ledger.services import post_transaction, system_account, user_account
    from apps.withdrawals.models import BalanceKind, PayoutMode
    from apps.withdrawals.services.approvals import approve_withdrawal
    from apps.withdrawals.services.requests import BankAccount, Rate, request_withdrawal

    actor = Actor.system("bench-payouts")
    finance = finance_user(run_id)
    source = system_account(kind=AccountKind.PAYMENTS_RECEIVED, currency="NGN")
    rate = Rate(ngn_per_usd=NGN_PER_USD, source="bench", at=timezone.now())
    accounts = account_numbers()
    ids = []
    for n, user in enumerate(bench_users(count, run_id)):
        earnings = user_account(owner=user, kind=AccountKind.EARNINGS)
        post_transaction(
            idempotency_key=f"bench-payouts:{run_id}:{n}",
            kind=TransactionKind.DEPOSIT,
            entries=[(source, -AMOUNT_NGN), (earnings, AMOUNT_NGN)],
            actor=actor,
            memo="bench deposit",
        )
        bank = BankAccount(
            bank_code=BANK_CODE,
            bank_name=BANK_NAME,
            account_number=next(accounts),
            account_name=f"BENCH USER {n}",
        )
        withdrawal = request_withdrawal(
            user=user, balance=BalanceKind.EARNINGS, amount=AMOUNT_NGN, bank=bank, rate=rate
        )
        approve_withdrawal(withdrawal=withdrawal, actor=finance, payout_mode=PayoutMode.AUTOMATIC)
        ids.append(withdrawal.pk)
    drop_queued_tasks()
    return ids


def arrange_fake(latency_ms: int, timeout_delay: float, creates: int) -> None:
    """Every Flutterwave answer LATENCY_MS late; every TIMEOUT_EVERY-th create held past the
    read timeout, the transfer already stored (the fake's accept-then-timeout).

    The fake has no latency setting for Flutterwave, so both are injected failures of kind
    delay_seconds, consumed oldest first, one per call: blocks of one long delay and
    TIMEOUT_EVERY - 1 short ones, then short ones for good.
    """
    from apps.sandbox.failures import clear_failures, inject_failure
    from apps.sandbox.flutterwave import transfers

    clear_failures()
    transfers.set_balance(None)  # an unlimited wallet: no "insufficient funds" refusal
    latency = latency_ms / 1000
    for _block in range(creates // TIMEOUT_EVERY):
        inject_failure(CREATE, "delay_seconds", times=1, delay=timeout_delay)
        inject_failure(CREATE, "delay_seconds", times=TIMEOUT_EVERY - 1, delay=latency)
    inject_failure(CREATE, "delay_seconds", times=FOREVER, delay=latency)
    for method in (LOOKUP, "flutterwave.transfers.get"):
        inject_failure(method, "delay_seconds", times=FOREVER, delay=latency)


def status_counts(ids: list[int]) -> Counter:
    from apps.withdrawals.models import Withdrawal

    return Counter(Withdrawal.objects.filter(pk__in=ids).values_list("status", flat=True))


def describe(counts: Counter) -> str:
    return ", ".join(f"{number} {status}" for status, number in sorted(counts.items()))


def count_in(ids: list[int], statuses: tuple[str, ...]) -> int:
    from apps.withdrawals.models import Withdrawal

    return Withdrawal.objects.filter(pk__in=ids, status__in=statuses).count()


# --- measurements ----------------------------------------------------------------------------


def run(options, processes: list, workdir: Path) -> bool:
    """The whole measurement; whether every withdrawal ended paid through exactly one transfer."""
    from apps.sandbox.models import ApiCall, FlutterwaveTransfer

    if not enough_connections(options):
        raise SystemExit(
            "PostgreSQL has too few free connections for this run (max_connections, others' "
            f"use, {CONNECTION_HEADROOM} spare); try a lower --concurrency"
        )
    run_id = uuid.uuid4().hex[:6]
    started = time.monotonic()
    ids = prepare_withdrawals(options.withdrawals, run_id)
    arrange_fake(options.latency_ms, options.timeout_delay, options.withdrawals)
    marks = {
        "api_call": ApiCall.objects.order_by("-id").values_list("id", flat=True).first() or 0,
        "transfer": FlutterwaveTransfer.objects.order_by("-id").values_list("id", flat=True).first()
        or 0,
    }
    leftovers = leftover_payouts(ids)
    print(
        f"run {run_id}: {options.withdrawals} approved withdrawals of {AMOUNT_NGN:,} NGN prepared "
        f"in {time.monotonic() - started:.0f} s; fake Flutterwave {options.latency_ms} ms per "
        f"answer, 1 create in {TIMEOUT_EVERY} held {options.timeout_delay:g} s against a "
        f"{READ_TIMEOUT_SECONDS} s read timeout; gunicorn {GUNICORN_WORKERS} workers x "
        f"{GUNICORN_THREADS} threads; load average before the runs {os.getloadavg()[0]:.2f} on "
        f"{os.cpu_count()} cores",
        flush=True,
    )
    if leftovers:
        print(f"note: {leftovers} unsettled payouts of earlier runs are synced too")
    sample, rest = ids[: options.sample], ids[options.sample :]
    baseline = sequential(sample)
    print_row("sequential, in-process", baseline, baseline["rate"])
    worker = start_worker(
        "celery",  # the default queue, where send_payout and sync_payouts go
        options.pool,
        options.concurrency,
        workdir,
        bench="payouts",
        # send_payout gives its connection back while Flutterwave answers, but a thread holds one
        # for its claim and its record (prefork: each child has a pool of its own).
        pool_size=options.concurrency + 2,
    )
    processes.append(worker)
    try:
        result = through_worker(rest, ids, options, gunicorn=processes[0], worker=worker)
    finally:
        stop(worker)
        processes.remove(worker)
    label = f"worker -P {options.pool} -c {options.concurrency}"
    print_row(label, result["send"], baseline["rate"])
    print_resources("send", result["send"], result["peak"])
    print_settlement(result, options)
    exact = print_exactly_once(ids, marks, options.withdrawals)
    print_unsettled(ids)
    print_fake_calls(marks)
    return exact and not result["settle"]["timed_out"] and set(status_counts(ids)) == {"paid"}


def leftover_payouts(ids: list[int]) -> int:
    from apps.withdrawals.models import Withdrawal

    due = Withdrawal.objects.filter(status__in=("sending", "sent", "unknown"))
    return due.exclude(pk__in=ids).count()


def sequential(ids: list[int]) -> dict:
    """One payout after the other in this process, each waiting for Flutterwave's answer."""
    from apps.withdrawals.services.payouts import send_payout

    began = time.monotonic()
    for withdrawal_id in ids:
        send_payout(withdrawal_id)
    elapsed = time.monotonic() - began
    return {
        "payouts": len(ids),
        "elapsed": elapsed,
        "rate": len(ids) / elapsed * 60,
        "outcomes": status_counts(ids),
    }


def through_worker(batch: list[int], every: list[int], options, *, gunicorn, worker) -> dict:
    """send_payout for BATCH through the worker; the clock runs from the first enqueue until
    none of BATCH waits to be sent (the rate), then until all of EVERY are settled.

    Meanwhile this process plays beat: sync_payouts every --sync-every seconds, skipped while
    the queue still holds messages, so sync rounds never pile duplicates on top of each other.
    """
    from apps.withdrawals.tasks import send_payout, sync_payouts

    peak, syncs = 0, 0
    cpu_start = cpu_snapshot(gunicorn, worker)
    began = time.monotonic()
    for withdrawal_id in batch:
        send_payout.delay(withdrawal_id)
    last_sync = began
    sent_at = cpu_sent = None
    lost_since = None
    while True:
        now = time.monotonic()
        peak = max(peak, len(bench_backends()))
        if sent_at is None and count_in(batch, WAITING_TO_SEND) == 0:
            sent_at, cpu_sent = now, cpu_snapshot(gunicorn, worker)
            sent_outcomes = status_counts(batch)
        unsettled = count_in(every, NOT_SETTLED)
        if unsettled == 0 or now - began > options.timeout:
            break
        if worker.poll() is not None:
            # Someone else's `pkill -f celery` on a shared machine: say so now, not at --timeout.
            raise SystemExit(f"the Celery worker exited mid-run (status {worker.returncode})")
        lost_since = check_messages_kept(batch, sent_at, lost_since, now)
        if now - last_sync >= options.sync_every and queued_messages() == 0:
            sync_payouts.delay()
            syncs += 1
            last_sync = now
        time.sleep(0.25)
    settled_at = time.monotonic()
    cpu_end = cpu_snapshot(gunicorn, worker)
    if sent_at is None:
        sent_at, cpu_sent, sent_outcomes = settled_at, cpu_end, status_counts(batch)
    done = len(batch) - count_in(batch, WAITING_TO_SEND)
    send_elapsed = sent_at - began
    return {
        "send": {
            "payouts": len(batch),
            "elapsed": send_elapsed,
            "rate": done / send_elapsed * 60,
            "outcomes": sent_outcomes,
            "timed_out": done < len(batch),
            "cpu": cpu_used(cpu_start, cpu_sent),
        },
        "settle": {
            "payouts": len(every),
            "elapsed": settled_at - began,
            "after_sent": settled_at - sent_at,
            "outcomes": status_counts(every),
            "timed_out": unsettled > 0,
            "cpu": cpu_used(cpu_sent, cpu_end),
        },
        "peak": peak,
        "syncs": syncs,
    }


def check_messages_kept(batch: list[int], sent_at, lost_since, now: float):
    """Stop when approved withdrawals of BATCH have no send_payout message anywhere.

    That happens when someone else flushes the bench's Redis database (a test suite run with
    the same REDIS_URL clears its cache with FLUSHDB): the sweeper would re-send them after a
    minute, but the figures would be void. Returns when the loss was first seen.
    """
    if sent_at is not None or messages_anywhere() or not count_in(batch, ("approved",)):
        return None
    if lost_since is None:
        return now
    if now - lost_since > 3:
        raise SystemExit(
            "the send_payout messages are gone while withdrawals are still approved: someone "
            f"flushed {os.environ['REDIS_URL']}? Run with another REDIS_URL."
        )
    return lost_since


def enough_connections(options) -> bool:
    """Whether this run's connections fit in PostgreSQL next to everyone else's, with headroom.

    This run may hold: the worker's pool (concurrency + 2; prefork: one per child), both
    gunicorn pools, and this process's own (the poller and the pg_stat_activity probe).
    """
    worker = options.concurrency + 2 if options.pool == "threads" else 2 * options.concurrency
    ours = worker + GUNICORN_WORKERS * gunicorn_pool(options.concurrency) + 2
    return ours + CONNECTION_HEADROOM <= free_connections()


# --- report ----------------------------------------------------------------------------------


def print_row(label: str, result: dict, baseline_rate: float) -> None:
    if not getattr(print_row, "header_printed", False):
        print(
            f"\n{'paid out by':<30}{'payouts':>8}{'elapsed s':>11}{'payouts/min':>13}"
            f"{'x sequential':>14}  outcome"
        )
        print_row.header_printed = True
    flag = "  TIMED OUT" if result.get("timed_out") else ""
    print(
        f"{label:<30}{result['payouts']:>8}{result['elapsed']:>11.1f}{result['rate']:>13.0f}"
        f"{result['rate'] / baseline_rate:>14.1f}  {describe(result['outcomes'])}{flag}",
        flush=True,
    )


def print_resources(phase: str, result: dict, peak: int | None = None) -> None:
    cpu = result["cpu"]
    payouts = result["payouts"]
    busy = sum(cpu.values()) / (result["elapsed"] * (os.cpu_count() or 1))
    parts = ", ".join(f"{party} {seconds / payouts * 1000:.0f}" for party, seconds in cpu.items())
    text = (
        f"{'':<4}CPU ms per payout ({phase}): {parts}; "
        f"{busy:.0%} of {os.cpu_count()} cores busy with this run"
    )
    if peak is not None:
        text += f"; peak PostgreSQL connections to the bench database: {peak}"
    print(text, flush=True)


def print_settlement(result: dict, options) -> None:
    settle = result["settle"]
    flag = "  TIMED OUT" if settle["timed_out"] else ""
    print(
        f"\nall {settle['payouts']} settled {settle['elapsed']:.1f} s after the first enqueue "
        f"({settle['after_sent']:.1f} s after the last was sent; the fake settles a transfer "
        f"5 s after its create); {result['syncs']} sync_payouts rounds, every "
        f"{options.sync_every:g} s while the queue was empty{flag}",
        flush=True,
    )
    settle = {**settle, "elapsed": settle["after_sent"]}
    if settle["elapsed"] > 0:
        print_resources("status sync, hold settled", settle)
    print(f"final status of the {settle['payouts']} withdrawals: {describe(settle['outcomes'])}")


def print_exactly_once(ids: list[int], marks: dict, expected: int) -> bool:
    from apps.audit.models import AuditEvent
    from apps.ledger.models import Hold
    from apps.sandbox.models import ApiCall, FlutterwaveTransfer
    from apps.withdrawals.models import PayoutAttempt

    attempts = PayoutAttempt.objects.filter(withdrawal_id__in=ids)
    references = list(attempts.values_list("reference", flat=True))
    stored = FlutterwaveTransfer.objects.filter(reference__in=references).count()
    new_rows = FlutterwaveTransfer.objects.filter(id__gt=marks["transfer"]).count()
    posts = ApiCall.objects.filter(id__gt=marks["api_call"], method=CREATE).count()
    numbers = Counter(attempts.values_list("number", flat=True))
    exact = stored == new_rows == posts == len(references) == expected and set(numbers) == {1}
    print(
        f"transfers the fake received: {stored} (FlutterwaveTransfer rows under this run's "
        f"references; {new_rows} rows added during the run; {posts} POST /v3/transfers; "
        f"{len(references)} payout attempts, numbers {dict(numbers)}) -> "
        f"{'exactly' if exact else 'NOT exactly'} one transfer per withdrawal ({expected})"
    )
    events = AuditEvent.objects.filter(
        object_type="withdrawals.withdrawal",
        object_id__in=[str(pk) for pk in ids],
        action__in=[f"withdrawal.{status}" for status in ("sending", "unknown", "sent", "paid")],
    )
    moves = Counter(events.values_list("action", flat=True))
    holds = Counter(
        Hold.objects.filter(reference__in=[f"withdrawal:{pk}" for pk in ids]).values_list(
            "status", flat=True
        )
    )
    print(
        "status changes (audit events): "
        + ", ".join(f"{moves[action]} {action.split('.')[1]}" for action in sorted(moves))
        + f"; holds: {describe(holds)}"
    )
    return exact


def print_unsettled(ids: list[int]) -> None:
    """Why any withdrawal is not paid: its status and its attempt's last message."""
    from apps.withdrawals.models import PayoutAttempt

    left = PayoutAttempt.objects.filter(withdrawal_id__in=ids).exclude(withdrawal__status="paid")
    reasons = Counter(
        (status, message.split(";")[0])
        for status, message in left.values_list("withdrawal__status", "message")
    )
    for (status, message), number in reasons.most_common():
        print(f"  not paid: {number} {status}: {message or '(no message)'}")


def print_fake_calls(marks: dict) -> None:
    """What the fake answered during the run, from its call log (ApiCall)."""
    from apps.sandbox.models import ApiCall

    calls = ApiCall.objects.filter(id__gt=marks["api_call"], method__startswith="flutterwave.")
    rows: dict[str, list] = {}
    for method, injected, duration_ms, status in calls.values_list(
        "method", "injected", "duration_ms", "http_status"
    ):
        rows.setdefault(method, []).append((injected, duration_ms, status))
    print("fake Flutterwave calls during the run (its ApiCall log):")
    for method, answered in sorted(rows.items()):
        limit = READ_TIMEOUT_SECONDS * 1000
        durations = sorted(duration for _, duration, _ in answered)
        held = sum(1 for duration in durations if duration >= limit)
        within = [duration for duration in durations if duration < limit] or [0]
        bare = sum(1 for injected, _, _ in answered if not injected)
        statuses = Counter(status for _, _, status in answered)
        print(
            f"  {method:<30}{len(answered):>6} calls; under the read timeout: p50 "
            f"{statistics.median(within):.0f} ms, p90 {quantile(within, 0.9)} ms; "
            f"held past it {held}; answered without the injected delay {bare}; "
            f"HTTP {dict(sorted(statuses.items()))}"
        )


def quantile(ordered: list[int], fraction: float) -> int:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


if __name__ == "__main__":
    sys.exit(main())
