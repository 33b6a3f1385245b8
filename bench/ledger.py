"""Ledger throughput: post_transaction against the same work in raw SQL (PostgreSQL only).

    make bench
    .venv/bin/python bench/ledger.py --seconds 10 --threads 8

Two scenarios, each run through the service and through hand-written SQL on plain psycopg
connections: (a) every posting touches one hot user account, (b) postings spread over 1,000
user accounts. Prints postings per second and the service/raw ratio. DATABASE_URL defaults to
postgres://postgres@127.0.0.1:5432/viralcore_bench; the database is created and migrated when
needed. The run adds rows to that database; it never deletes any. See bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/viralcore_bench"
SPREAD_ACCOUNTS = 1000
# Each spread account starts with this much, far more than a bounded run can spend.
SEED_PER_ACCOUNT = Decimal("100000.00")
HOT_SEED = Decimal("1000000.00")


def main() -> int:
    options = parse_arguments()
    database_url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("bench/ledger.py measures row locks: DATABASE_URL must be PostgreSQL.")
        return 2
    # As production runs: DEBUG off (DEBUG records every query in memory), one pooled
    # connection per thread plus the main thread's, quiet logs. No Redis needed.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DB_POOL_MAX_SIZE", str(options.threads + 2))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "viralcore.settings"
    sys.path.insert(0, str(ROOT))
    create_database_if_missing(database_url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    run(options, database_url)
    return 0


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario and path")
    parser.add_argument("--threads", type=int, default=8)
    return parser.parse_args()


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


@dataclass(frozen=True)
class Scenario:
    name: str
    pick: object  # (rng) -> (source Account, destination Account)


def run(options, database_url: str) -> None:
    from apps.ledger.checks import run_ledger_check

    run_id = uuid.uuid4().hex[:8]
    scenarios = build_scenarios(run_id)
    ledger_statements, audit_statements = statements_per_posting(scenarios[0], run_id)
    print(
        f"run {run_id}: {options.threads} threads, {options.seconds:g} s per measurement\n"
        f"statements per posting: service {ledger_statements + audit_statements} "
        f"({ledger_statements} ledger incl. BEGIN/COMMIT, {audit_statements} audit event), "
        "raw SQL 7 (no audit event)"
    )
    rows = []
    for scenario in scenarios:
        service = measure(scenario, options, worker=service_worker(scenario, run_id))
        raw = measure(scenario, options, worker=raw_worker(scenario, run_id, database_url))
        rows.append((scenario.name, service, raw))
    print_table(rows)
    report = run_ledger_check()
    verdict = "clean" if not report.violations else f"{len(report.violations)} VIOLATIONS"
    print(f"ledger_check afterwards: {report.summary()}: {verdict}")


def build_scenarios(run_id: str) -> list[Scenario]:
    from apps.ledger.models import AccountKind

    hot = seeded_accounts(1, HOT_SEED, run_id)[0]
    counterpart = system(AccountKind.ADJUSTMENTS)
    spread = seeded_accounts(SPREAD_ACCOUNTS, SEED_PER_ACCOUNT, run_id)

    def hot_pick(rng):
        # Credits and debits in turn keep the hot balance far above zero.
        return (counterpart, hot) if rng.random() < 0.5 else (hot, counterpart)

    def spread_pick(rng):
        source, destination = rng.sample(spread, 2)
        return source, destination

    return [Scenario("hot account", hot_pick), Scenario("1,000 accounts", spread_pick)]


def system(kind):
    from apps.ledger.services import system_account

    return system_account(kind=kind, currency="USD")


def seeded_accounts(count: int, seed: Decimal, run_id: str) -> list:
    """COUNT new bot users' affiliate accounts, funded in one deposit through the service."""
    from django.db.models import Max

    from apps.audit.actors import Actor
    from apps.ledger.models import AccountKind, TransactionKind
    from apps.ledger.services import post_transaction, user_account
    from apps.users.models import BotUser

    first_id = (BotUser.objects.aggregate(top=Max("telegram_id"))["top"] or 9_000_000_000) + 1
    owners = BotUser.objects.bulk_create(
        BotUser(telegram_id=first_id + n, username=f"bench_{run_id}_{first_id + n}")
        for n in range(count)
    )
    accounts = [user_account(owner=owner, kind=AccountKind.AFFILIATE) for owner in owners]
    source = system(AccountKind.PAYMENTS_RECEIVED)
    post_transaction(
        idempotency_key=f"bench:{run_id}:seed:{first_id}",
        kind=TransactionKind.DEPOSIT,
        entries=[(source, -seed * count)] + [(account, seed) for account in accounts],
        actor=Actor.system("bench/ledger.py"),
        memo="bench seed",
    )
    return accounts


def random_amount(rng) -> Decimal:
    return Decimal(rng.randint(1, 1000)) / 100


def service_worker(scenario: Scenario, run_id: str):
    from django.db import connection

    from apps.audit.actors import Actor
    from apps.ledger.models import TransactionKind
    from apps.ledger.services import transfer

    actor = Actor.system("bench/ledger.py")

    def work(thread_number: int, deadline: float) -> int:
        rng = random.Random(thread_number)
        done = 0
        try:
            while time.monotonic() < deadline:
                source, destination = scenario.pick(rng)
                transfer(
                    source=source,
                    destination=destination,
                    amount=random_amount(rng),
                    idempotency_key=f"bench:{run_id}:{scenario.name}:svc:{thread_number}:{done}",
                    kind=TransactionKind.PURCHASE,
                    actor=actor,
                )
                done += 1
        finally:
            connection.close()
        return done

    return work


RAW_LOCK = (
    "SELECT id, balance, owner_id FROM ledger_account WHERE id = ANY(%s) "
    "ORDER BY id FOR NO KEY UPDATE"
)
RAW_UPDATE = "UPDATE ledger_account SET balance = balance + %s WHERE id = %s"
RAW_TRANSACTION = (
    "INSERT INTO ledger_transaction (idempotency_key, kind, memo, actor_type, actor_id, "
    "actor_label, correlation_id, fingerprint, created_at) "
    "VALUES (%s, 'purchase', '', 'system', '', 'bench/ledger.py', '', %s, now()) RETURNING id"
)
RAW_ENTRIES = (
    "INSERT INTO ledger_entry (transaction_id, account_id, amount, currency) "
    "VALUES (%s, %s, %s, 'USD'), (%s, %s, %s, 'USD')"
)


def raw_worker(scenario: Scenario, run_id: str, database_url: str):
    import psycopg

    def work(thread_number: int, deadline: float) -> int:
        rng = random.Random(thread_number)
        done = 0
        with psycopg.connect(database_url) as connection:
            while time.monotonic() < deadline:
                source, destination = scenario.pick(rng)
                amount = random_amount(rng)
                key = f"bench:{run_id}:{scenario.name}:raw:{thread_number}:{done}"
                raw_posting(connection, key, source.pk, destination.pk, amount)
                done += 1
        return done

    return work


def raw_posting(connection, key: str, source_id: int, destination_id: int, amount) -> None:
    """BEGIN; lock in id order; check; update balances; insert transaction and entries; COMMIT."""
    with connection.transaction(), connection.cursor() as cursor:
        cursor.execute(RAW_LOCK, [sorted({source_id, destination_id})])
        rows = {row[0]: row for row in cursor.fetchall()}
        _, balance, owner_id = rows[source_id]
        if owner_id is not None and balance - amount < 0:
            raise RuntimeError(f"bench account {source_id} ran dry")
        cursor.execute(RAW_UPDATE, [-amount, source_id])
        cursor.execute(RAW_UPDATE, [amount, destination_id])
        fingerprint = hashlib.sha256(f"{key}{source_id}{destination_id}{amount}".encode())
        cursor.execute(RAW_TRANSACTION, [key, fingerprint.hexdigest()])
        (transaction_id,) = cursor.fetchone()
        cursor.execute(
            RAW_ENTRIES,
            [transaction_id, source_id, -amount, transaction_id, destination_id, amount],
        )


def measure(scenario: Scenario, options, *, worker) -> float:
    """Postings per second of WORKER on OPTIONS.threads threads for OPTIONS.seconds."""
    counts = [0] * options.threads
    errors: list[BaseException] = []
    start = threading.Barrier(options.threads + 1)

    def run(number):
        start.wait()
        try:
            counts[number] = worker(number, deadline)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(options.threads)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + options.seconds
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    if errors:
        raise errors[0]
    return sum(counts) / elapsed


def statements_per_posting(scenario: Scenario, run_id: str) -> tuple[int, int]:
    """(ledger, audit) statements one service posting sends, counted on the wire."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.audit.actors import Actor
    from apps.ledger.models import TransactionKind
    from apps.ledger.services import transfer

    source, destination = scenario.pick(random.Random(0))
    with CaptureQueriesContext(connection) as queries:
        transfer(
            source=source,
            destination=destination,
            amount=Decimal("0.01"),
            idempotency_key=f"bench:{run_id}:count-statements",
            kind=TransactionKind.PURCHASE,
            actor=Actor.system("bench/ledger.py"),
        )
    sql = [query["sql"] for query in queries.captured_queries]
    # record_event's own savepoint pair wraps its statements; count it with them.
    first = next(n for n, text in enumerate(sql) if "audit_" in text) - 1
    last = max(n for n, text in enumerate(sql) if "audit_" in text) + 1
    audit = last - first + 1
    return len(sql) - audit, audit


def print_table(rows) -> None:
    print()
    print(f"{'scenario':<16} {'service/s':>10} {'raw SQL/s':>10} {'service/raw':>12}")
    for name, service, raw in rows:
        print(f"{name:<16} {service:>10.0f} {raw:>10.0f} {service / raw:>12.2f}")


if __name__ == "__main__":
    sys.exit(main())
