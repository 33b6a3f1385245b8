"""Real threads on real PostgreSQL connections: the guarantees that only row locks can give."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from apps.ledger.checks import run_ledger_check
from apps.ledger.errors import AdjustmentAlreadyDecided, HoldAlreadyResolved, InsufficientFunds
from apps.ledger.models import Account, AccountKind, Entry, Hold, HoldStatus, Transaction
from apps.ledger.models import TransactionKind as Kind
from apps.ledger.services import (
    approve_adjustment,
    hold_funds,
    post_transaction,
    propose_adjustment,
    reject_adjustment,
    release_hold,
    settle_hold,
    system_account,
    transfer,
    user_account,
)
from apps.users.roles import FINANCE, SENIOR_FINANCE
from tests.factories import BotUserFactory, StaffUserFactory
from tests.ledger.factories import TEST_ACTOR, funded_account

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(calls: list) -> list:
    """Run each zero-argument callable in its own thread, all released at once.

    Returns one result per call: the return value, or the exception it raised. Each thread
    closes its own database connection, as a worker process would.
    """
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            start.wait()
            results[index] = call()
        except Exception as error:  # the test inspects every outcome
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def outcome_names(results) -> Counter:
    return Counter(type(result).__name__ for result in results)


def balance_of(account) -> Decimal:
    account.refresh_from_db()
    return account.balance


def assert_ledger_clean() -> None:
    report = run_ledger_check()
    assert report.violations == []


def debit(account, revenue, amount, key):
    return lambda: transfer(
        source=account,
        destination=revenue,
        amount=amount,
        idempotency_key=key,
        kind=Kind.PURCHASE,
        actor=TEST_ACTOR,
    )


def test_ten_concurrent_debits_of_a_balance_that_covers_eight_leave_exactly_zero():
    account = funded_account("1200.00")
    revenue = system_account(kind=AccountKind.REVENUE, currency="USD")
    calls = [debit(account, revenue, Decimal("150.00"), f"buy:{n}") for n in range(10)]
    results = run_concurrently(calls)
    assert outcome_names(results) == {"Transaction": 8, "InsufficientFunds": 2}
    assert balance_of(account) == Decimal("0.00")
    assert_ledger_clean()


def test_fifty_workers_of_random_credits_and_debits_never_take_the_balance_below_zero():
    account = funded_account("100.00")
    income = system_account(kind=AccountKind.PAYMENTS_RECEIVED, currency="USD")
    revenue = system_account(kind=AccountKind.REVENUE, currency="USD")
    workers, rounds = 50, 200

    def worker(number):
        def work():
            rng = random.Random(number)  # one seeded generator per worker: reproducible
            posted = refused = 0
            for round_number in range(rounds):
                amount = Decimal(rng.randint(1, 5000)) / 100
                # Slightly more debits than credits keeps the balance near zero, so refusals
                # happen all through the run.
                credit = rng.random() < 0.45
                legs = [(income, -amount), (account, amount)] if credit else None
                legs = legs or [(account, -amount), (revenue, amount)]
                try:
                    post_transaction(
                        idempotency_key=f"random:{number}:{round_number}",
                        kind=Kind.DEPOSIT if credit else Kind.PURCHASE,
                        entries=legs,
                        actor=TEST_ACTOR,
                    )
                    posted += 1
                except InsufficientFunds:
                    refused += 1
            return posted, refused

        return work

    started = time.monotonic()
    results = run_concurrently([worker(number) for number in range(workers)])
    elapsed = time.monotonic() - started
    errors = [result for result in results if isinstance(result, Exception)]
    assert errors == []
    posted = sum(result[0] for result in results)
    assert posted + sum(result[1] for result in results) == workers * rounds
    assert Transaction.objects.count() == posted + 1  # plus the funding deposit
    assert balance_of(account) >= 0
    assert_ledger_clean()
    print(f"\n{workers * rounds} postings on one account in {elapsed:.1f}s ({posted} applied)")


def test_opposite_transfers_at_the_same_time_never_deadlock():
    alice, bob = funded_account("1000.00"), funded_account("1000.00")
    rounds = 100

    def transfers(source, destination, name):
        def work():
            for number in range(rounds):
                transfer(
                    source=source,
                    destination=destination,
                    amount=Decimal("1.00"),
                    idempotency_key=f"{name}:{number}",
                    kind=Kind.COMMISSION,
                    actor=TEST_ACTOR,
                )
            return "done"

        return work

    results = run_concurrently(
        [
            transfers(alice, bob, "a-to-b-1"),
            transfers(bob, alice, "b-to-a-1"),
            transfers(alice, bob, "a-to-b-2"),
            transfers(bob, alice, "b-to-a-2"),
        ]
    )
    assert results == ["done"] * 4
    assert (balance_of(alice), balance_of(bob)) == (Decimal("1000.00"), Decimal("1000.00"))
    assert_ledger_clean()


def test_the_same_key_from_five_threads_posts_once():
    account = funded_account("100.00")
    revenue = system_account(kind=AccountKind.REVENUE, currency="USD")
    results = run_concurrently(
        [debit(account, revenue, Decimal("30.00"), "purchase:once") for _ in range(5)]
    )
    assert {type(result) for result in results} == {Transaction}
    assert len({result.pk for result in results}) == 1
    assert Transaction.objects.filter(idempotency_key="purchase:once").count() == 1
    assert balance_of(account) == Decimal("70.00")
    assert_ledger_clean()


def test_a_hold_settled_twice_at_once_settles_once():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("40.00"), reference="wd-s", actor=TEST_ACTOR)
    results = run_concurrently(
        [lambda: settle_hold(reference="wd-s", actor=TEST_ACTOR) for _ in range(2)]
    )
    assert [getattr(result, "status", result) for result in results] == ["settled", "settled"]
    payouts = system_account(kind=AccountKind.PAYOUTS_SENT, currency="USD")
    assert payouts.balance == Decimal("40.00")
    assert Transaction.objects.filter(idempotency_key="settle:wd-s").count() == 1
    assert_ledger_clean()


def test_a_hold_released_twice_at_once_releases_once():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("40.00"), reference="wd-r", actor=TEST_ACTOR)
    results = run_concurrently(
        [lambda: release_hold(reference="wd-r", actor=TEST_ACTOR, reason="x") for _ in range(2)]
    )
    assert [getattr(result, "status", result) for result in results] == ["released"] * 2
    assert balance_of(account) == Decimal("100.00")
    assert_ledger_clean()


def test_a_settle_racing_a_release_lets_exactly_one_win():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("40.00"), reference="wd-x", actor=TEST_ACTOR)
    results = run_concurrently(
        [
            lambda: settle_hold(reference="wd-x", actor=TEST_ACTOR),
            lambda: release_hold(reference="wd-x", actor=TEST_ACTOR, reason="cancelled"),
        ]
    )
    winners = [result for result in results if isinstance(result, Hold)]
    losers = [result for result in results if isinstance(result, HoldAlreadyResolved)]
    assert (len(winners), len(losers)) == (1, 1)
    hold = Hold.objects.get(reference="wd-x")
    expected_user_balance = {HoldStatus.SETTLED: "60.00", HoldStatus.RELEASED: "100.00"}
    assert balance_of(account) == Decimal(expected_user_balance[hold.status])
    assert_ledger_clean()


def test_two_approvers_and_a_rejecter_racing_decide_an_adjustment_once(roles):
    proposer = StaffUserFactory()
    proposer.groups.add(Group.objects.get(name=FINANCE))
    seniors = [StaffUserFactory() for _ in range(3)]
    for senior in seniors:
        senior.groups.add(Group.objects.get(name=SENIOR_FINANCE))
    account = funded_account("10.00")
    adjustment = propose_adjustment(
        account=account, direction="credit", amount=Decimal("5.00"), reason="r", actor=proposer
    )
    results = run_concurrently(
        [
            lambda: approve_adjustment(adjustment=adjustment, actor=seniors[0]),
            lambda: approve_adjustment(adjustment=adjustment, actor=seniors[1]),
            lambda: reject_adjustment(adjustment=adjustment, actor=seniors[2], note="no"),
        ]
    )
    decided = [result for result in results if not isinstance(result, Exception)]
    refused = [result for result in results if isinstance(result, AdjustmentAlreadyDecided)]
    assert (len(decided), len(refused)) == (1, 2)
    expected = Decimal("15.00") if decided[0].status == "approved" else Decimal("10.00")
    assert balance_of(account) == expected
    assert_ledger_clean()


def test_the_first_postings_of_a_new_user_create_one_account():
    owner = BotUserFactory()
    results = run_concurrently(
        [lambda: user_account(owner=owner, kind=AccountKind.AFFILIATE) for _ in range(5)]
    )
    assert {type(result) for result in results} == {Account}
    assert len({result.pk for result in results}) == 1
    assert Entry.objects.count() == 0
