"""manage.py ledger_check and the nightly task: prove the invariants, shout when one breaks."""

import logging
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.ledger.checks import run_ledger_check
from apps.ledger.models import AccountKind, Entry, Hold, Transaction
from apps.ledger.services import hold_funds, system_account
from apps.ledger.tasks import nightly_ledger_check
from tests.ledger.factories import TEST_ACTOR, UserAccountFactory, fund, funded_account

pytestmark = pytest.mark.django_db


def corrupt_balance(account, balance: str) -> None:
    """What a bug or a hand edit would do: accounts are not append-only, entries are."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_account SET balance = %s WHERE id = %s", [balance, account.pk]
        )


def run_command() -> str:
    output = StringIO()
    call_command("ledger_check", stdout=output)
    return output.getvalue()


def test_a_clean_ledger_passes_with_a_report():
    account = funded_account("100.00")
    hold_funds(account=account, amount=Decimal("30.00"), reference="wd-1", actor=TEST_ACTOR)
    report = run_command()
    assert "Checked 3 accounts, 2 transactions, 4 entries." in report
    assert "Ledger OK: no violations." in report


def test_an_empty_ledger_is_clean():
    assert "Checked 0 accounts" in run_command()


def test_a_corrupted_cached_balance_fails_naming_the_account():
    account = funded_account("100.00")
    corrupt_balance(account, "150.00")
    output = StringIO()
    with pytest.raises(CommandError, match=f"account #{account.pk}"):
        call_command("ledger_check", stdout=output)
    assert (
        f"VIOLATION account #{account.pk}: cached balance 150.00 but its entries sum to 100.00"
        in output.getvalue()
    )


def test_a_nonzero_balance_without_entries_is_caught():
    account = UserAccountFactory()
    corrupt_balance(account, "5.00")
    with pytest.raises(CommandError, match=f"account #{account.pk}"):
        run_command()


def test_the_held_account_must_equal_the_open_holds():
    account = funded_account("100.00")
    hold = hold_funds(account=account, amount=Decimal("30.00"), reference="wd-2", actor=TEST_ACTOR)
    Hold.objects.filter(pk=hold.pk).update(amount=Decimal("20.00"))
    held = system_account(kind=AccountKind.WITHDRAWALS_HELD, currency="USD")
    with pytest.raises(CommandError, match=f"account #{held.pk}"):
        run_command()


def test_the_nightly_task_logs_an_error_listing_the_violations(caplog):
    account = funded_account("100.00")
    corrupt_balance(account, "90.00")
    with caplog.at_level(logging.INFO, logger="apps.ledger.tasks"):
        assert nightly_ledger_check() == 1
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert f"account #{account.pk}" in errors[0].getMessage()


def test_the_nightly_task_on_a_clean_ledger_returns_zero_and_logs_no_error(caplog):
    fund(UserAccountFactory(), "1.00")
    with caplog.at_level(logging.INFO, logger="apps.ledger.tasks"):
        assert nightly_ledger_check() == 0
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_an_entry_slipped_in_outside_the_service_breaks_the_zero_sum_and_the_balance():
    account = UserAccountFactory()
    posted = fund(account, "10.00")
    Entry.objects.create(
        transaction=posted, account=account, amount=Decimal("1.00"), currency="USD"
    )
    report = run_ledger_check()
    problems = {str(violation) for violation in report.violations}
    assert f"transaction #{posted.pk}: USD entries sum to 1.00, not 0" in problems
    assert f"account #{account.pk}: cached balance 10.00 but its entries sum to 11.00" in problems


def test_an_entry_in_another_currency_than_its_account_is_caught():
    account = UserAccountFactory()
    posted = fund(account, "10.00")
    naira = system_account(kind=AccountKind.REVENUE, currency="NGN")
    Entry.objects.create(transaction=posted, account=naira, amount=Decimal("5.00"), currency="USD")
    Entry.objects.create(transaction=posted, account=naira, amount=Decimal("-5.00"), currency="USD")
    problems = " ".join(str(violation) for violation in run_ledger_check().violations)
    assert f"transaction #{posted.pk}: entry #" in problems
    assert "is in USD" in problems


def test_a_transaction_with_a_single_entry_is_caught():
    lonely = Transaction.objects.create(
        idempotency_key="lonely",
        kind="deposit",
        actor_type="system",
        actor_label="tests",
        fingerprint="0" * 64,
    )
    violations = [str(violation) for violation in run_ledger_check().violations]
    assert f"transaction #{lonely.pk}: has fewer than two entries" in violations


@pytest.mark.postgres
def test_a_negative_user_balance_is_reported_if_the_constraint_was_ever_dropped():
    account = funded_account("5.00")
    with connection.cursor() as cursor:
        # DDL is transactional on PostgreSQL: the test's rollback restores the constraint.
        # The deferred foreign-key checks of the setup must run first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE ledger_account DROP CONSTRAINT ledger_user_balance_not_negative"
        )
    corrupt_balance(account, "-5.00")
    with pytest.raises(CommandError, match=f"account #{account.pk}: user balance is negative"):
        run_command()


def test_beat_runs_the_check_nightly_at_half_past_two_utc(settings):
    from celery.schedules import crontab

    from viralcore.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["ledger-check-nightly"]
    assert entry["task"] == "apps.ledger.tasks.nightly_ledger_check"
    assert entry["schedule"] == crontab(hour=2, minute=30)
    assert settings.TIME_ZONE == "UTC"
    assert entry["task"] in app.tasks
