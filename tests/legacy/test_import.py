"""import_legacy and legacy_reconcile on a generated legacy set: every balance, every count.

Runs on SQLite and (CI's second pass) PostgreSQL. The legacy files are built once per module;
each test imports into its own rolled-back database.
"""

from __future__ import annotations

import io
import shutil
import sqlite3
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.ledger.models import Account, Transaction
from apps.legacy import sources
from apps.legacy.fixture import build_legacy_set, extend_legacy_set
from apps.legacy.importer.run import run_import
from apps.legacy.models import ImportRun, LegacyRecord, RunStatus
from apps.purchases.models import Purchase
from apps.users.models import BotUser
from apps.withdrawals.models import Withdrawal

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def legacy_set(tmp_path_factory):
    directory = tmp_path_factory.mktemp("legacy")
    facts = build_legacy_set(directory, users=300, seed=11)
    return directory, facts


@pytest.fixture
def fresh_copy(legacy_set, tmp_path):
    """A copy the test may change (the old bot writing during the cutover)."""
    directory, _ = legacy_set
    target = tmp_path / "legacy"
    shutil.copytree(directory, target)
    return target


def _import(directory, **options) -> ImportRun:
    return run_import(directory, started_by="test", progress=False, **options)


def _cents(value: float) -> Decimal:
    return max(Decimal(repr(value)).quantize(Decimal("0.01"), ROUND_HALF_UP), Decimal("0.00"))


def _ledger_balance(telegram_id: int) -> Decimal:
    account = Account.objects.filter(owner__telegram_id=telegram_id, kind="affiliate").first()
    return account.balance if account else Decimal("0.00")


def _imported(run: ImportRun, source: str) -> int:
    return run.report["tables"][source]["imported"]


def test_every_balance_matches_and_the_counts_are_exact(legacy_set):
    directory, facts = legacy_set

    run = _import(directory)

    assert run.status == RunStatus.CLEAN, run.summary
    for telegram_id, legacy in facts["balances"].items():
        assert _ledger_balance(int(telegram_id)) == _cents(legacy), telegram_id
    tables = facts["tables"]
    assert _imported(run, "viralcore.db:users") == tables["viralcore.db:users"]
    assert BotUser.objects.count() == tables["viralcore.db:users"]
    purchases = run.report["tables"]["viralcore.db:purchases"]
    assert purchases["read"] == tables["viralcore.db:purchases"]
    assert purchases["imported"] + sum(purchases["skipped"].values()) == purchases["read"]
    assert Purchase.objects.filter(source="legacy").count() == purchases["imported"]
    orphans = purchases["skipped_ids"]["user is not a known user (orphan)"]
    assert sorted(orphans) == sorted(facts["traps"]["orphan_purchases"])
    balances = run.report["reconciliation"]["balances"]
    assert balances["checked"] == tables["viralcore.db:users"]
    assert balances["differing_count"] == 0
    call_command("ledger_check", stdout=io.StringIO())
    call_command("audit_verify", stdout=io.StringIO())


def test_a_second_run_imports_nothing(legacy_set):
    directory, _ = legacy_set
    _import(directory)
    counts = (
        Purchase.objects.count(),
        Withdrawal.objects.count(),
        LegacyRecord.objects.count(),
        Transaction.objects.count(),
        AuditEvent.objects.count(),
    )

    again = _import(directory)

    assert again.status == RunStatus.CLEAN
    assert all(table["imported"] == 0 for table in again.report["tables"].values()), {
        name: table["imported"] for name, table in again.report["tables"].items()
    }
    assert counts == (
        Purchase.objects.count(),
        Withdrawal.objects.count(),
        LegacyRecord.objects.count(),
        Transaction.objects.count(),
        AuditEvent.objects.count(),
    )


def test_since_picks_up_what_the_old_bot_did_after_the_first_run(fresh_copy, legacy_set):
    _, facts = legacy_set
    _import(fresh_copy)
    change = extend_legacy_set(fresh_copy, new_users=15, seed=5)
    since = datetime.fromisoformat(facts["latest_timestamp"][:19]).replace(tzinfo=UTC)

    run = _import(fresh_copy, since=since)

    assert run.status == RunStatus.CLEAN, run.summary
    new_users = change["added"]["viralcore.db:users"]
    assert BotUser.objects.filter(telegram_id__in=new_users).count() == len(new_users)
    new_purchases = change["added"].get("viralcore.db:purchases", [])
    assert _imported(run, "viralcore.db:purchases") == len(new_purchases)
    for telegram_id in change["changed"]["viralcore.db:users"]:
        assert _ledger_balance(telegram_id) == _cents(change["balances"][str(telegram_id)])
    finished = change["changed"]["viralcore.db:withdrawals"]
    assert LegacyRecord.objects.filter(
        source="viralcore.db:withdrawals", legacy_id__in=[str(i) for i in finished]
    ).count() == len(finished)
    call_command("ledger_check", stdout=io.StringIO())


def test_a_dry_run_keeps_nothing_but_its_report(legacy_set):
    directory, facts = legacy_set

    run = _import(directory, dry_run=True)

    assert BotUser.objects.count() == 0
    assert Transaction.objects.count() == 0
    assert LegacyRecord.objects.count() == 0
    stored = ImportRun.objects.get(pk=run.pk)
    assert stored.kind == "dry_run"
    assert _imported(stored, "viralcore.db:users") == facts["tables"]["viralcore.db:users"]
    assert "rolled back" in stored.summary


def test_a_run_stopped_by_an_error_keeps_whole_batches_and_resumes(fresh_copy, monkeypatch):
    from apps.legacy.importer import purchases

    monkeypatch.setattr(sources, "BATCH_SIZE", 100)
    real = purchases._purchase
    calls = {"n": 0}

    def failing(ctx, source, row, plans, user_pk):
        calls["n"] += 1
        if calls["n"] == 250:  # in the third batch
            from django.db import DatabaseError

            raise DatabaseError("connection lost")
        return real(ctx, source, row, plans, user_pk)

    monkeypatch.setattr(purchases, "_purchase", failing)
    stopped = _import(fresh_copy)
    kept = Purchase.objects.filter(source="legacy").count()

    assert stopped.status == RunStatus.FAILED
    assert "connection lost" in stopped.summary and "resume" in stopped.summary
    # The two whole batches before the error, and nothing of the third.
    first_two = _legacy_ids(fresh_copy, "purchases", limit=200)
    imported = LegacyRecord.objects.filter(source="viralcore.db:purchases")
    assert {int(i) for i in imported.values_list("legacy_id", flat=True)} <= first_two
    assert imported.count() == kept > 180

    monkeypatch.setattr(purchases, "_purchase", real)
    resumed = _import(fresh_copy)

    assert resumed.status == RunStatus.CLEAN, resumed.summary
    total = resumed.report["tables"]["viralcore.db:purchases"]
    assert total["already_imported"] == kept
    assert Purchase.objects.filter(source="legacy").count() == kept + total["imported"]


def _legacy_ids(directory, table: str, *, limit: int) -> set[int]:
    connection = sqlite3.connect(directory / "viralcore.db")
    rows = connection.execute(f"SELECT id FROM {table} ORDER BY rowid LIMIT ?", (limit,))  # noqa: S608
    ids = {row[0] for row in rows}
    connection.close()
    return ids


def test_a_file_that_is_not_sqlite_is_reported_and_the_others_are_read(fresh_copy):
    (fresh_copy / "tweets.db").write_text("id,link\n1,https://x.com\n")

    run = _import(fresh_copy)

    assert run.status == RunStatus.FAILED
    assert run.report["files"]["tweets.db"] == "not an SQLite database"
    assert "tweets.db is not an SQLite database" in run.summary
    assert _imported(run, "viralcore.db:users") > 0


def test_a_damaged_file_is_reported_and_none_of_it_is_imported(fresh_copy):
    path = fresh_copy / "tg.db"
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 1 + 8 : page * 1 + 200] = b"\xff" * 192  # garble the first table page
    path.write_bytes(bytes(data))

    run = _import(fresh_copy)

    assert "damaged" in run.report["files"]["tg.db"]
    assert "tg.db:telegram_posts" not in run.report["tables"]
    assert run.status == RunStatus.FAILED


def test_an_unknown_table_shape_is_reported_and_not_imported(fresh_copy):
    connection = sqlite3.connect(fresh_copy / "viralcore.db")
    connection.execute("ALTER TABLE withdrawals RENAME COLUMN amount_ngn TO amount_naira")
    connection.commit()
    connection.close()

    run = _import(fresh_copy)

    assert run.status == RunStatus.FAILED
    assert any(
        "withdrawals has an unknown shape (missing amount_ngn)" in e for e in run.report["errors"]
    )
    assert Withdrawal.objects.count() == 0
    assert Purchase.objects.count() > 0


def test_the_command_refuses_a_directory_that_does_not_exist(tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("import_legacy", "--from", str(tmp_path / "nowhere"), "--quiet")
    assert ImportRun.objects.count() == 0


def test_the_command_refuses_a_since_that_is_not_a_date(legacy_set):
    directory, _ = legacy_set
    with pytest.raises(CommandError, match="not a date"):
        call_command("import_legacy", "--from", str(directory), "--since", "last week")
    assert BotUser.objects.count() == 0


def test_reconcile_exits_one_when_the_old_bot_changed_a_balance(fresh_copy, tmp_path):
    call_command("import_legacy", "--from", str(fresh_copy), "--quiet", stdout=io.StringIO())
    out = io.StringIO()
    call_command("legacy_reconcile", "--from", str(fresh_copy), stdout=out)
    assert "DIFFERING 0" in out.getvalue()
    connection = sqlite3.connect(fresh_copy / "viralcore.db")
    user_id = connection.execute("SELECT id FROM users ORDER BY id LIMIT 1").fetchone()[0]
    connection.execute("UPDATE users SET affiliate_balance = 12.34 WHERE id = ?", (user_id,))
    connection.commit()
    connection.close()
    report = tmp_path / "report.json"

    with pytest.raises(CommandError) as stopped:
        call_command(
            "legacy_reconcile", "--from", str(fresh_copy), "--json", str(report),
            stdout=io.StringIO(),
        )  # fmt: skip

    assert stopped.value.returncode == 1
    run = ImportRun.objects.filter(kind="reconcile").first()
    assert run.status == RunStatus.DIFFERENCES
    differing = run.report["reconciliation"]["balances"]["differing"]
    assert [row["telegram_id"] for row in differing] == [user_id]
    assert differing[0]["expected"] == "12.34"
    assert str(user_id) in report.read_text()


def test_a_balance_the_old_bot_lowers_below_what_is_held_here_is_left_and_reported(fresh_copy):
    from apps.audit.actors import Actor
    from apps.ledger.services.holds import hold_funds

    _import(fresh_copy)
    account = Account.objects.filter(kind="affiliate").order_by("-balance").first()
    telegram_id = account.owner.telegram_id
    held = account.balance - Decimal("0.10")
    hold_funds(account=account, amount=held, reference="withdrawal:test", actor=Actor.system("t"))
    connection = sqlite3.connect(fresh_copy / "viralcore.db")
    connection.execute("UPDATE users SET affiliate_balance = 0.05 WHERE id = ?", (telegram_id,))
    connection.commit()
    connection.close()

    run = _import(fresh_copy)

    account.refresh_from_db()
    assert account.balance == Decimal("0.10")  # untouched: the hold is not spent
    finding = next(f for f in run.report["findings"] if "lowered a balance" in f["kind"])
    assert finding["ids"] == [telegram_id]
    assert run.status == RunStatus.DIFFERENCES
    differing = run.report["reconciliation"]["balances"]["differing"]
    assert [(row["telegram_id"], row["expected"]) for row in differing] == [(telegram_id, "0.05")]


def test_the_next_day_of_the_old_bot_is_picked_up_by_the_daily_run(tmp_path):
    """The runbook's daily step, with the generator's --next-day standing in for the old bot."""
    directory = tmp_path / "legacy"
    call_command("make_legacy_fixture", "--out", str(directory), "--users", "150",
                 stdout=io.StringIO())  # fmt: skip
    call_command("import_legacy", "--from", str(directory), "--quiet", stdout=io.StringIO())
    users_before = BotUser.objects.count()
    out = io.StringIO()
    call_command("make_legacy_fixture", "--out", str(directory), "--next-day", stdout=out)
    added = int(out.getvalue().split("added")[1].split()[0])  # first line: new users

    call_command("import_legacy", "--from", str(directory), "--quiet", stdout=io.StringIO())
    call_command("legacy_reconcile", "--from", str(directory), stdout=io.StringIO())

    assert BotUser.objects.count() == users_before + added
    assert ImportRun.objects.filter(status=RunStatus.CLEAN).count() == 3


def test_next_day_needs_a_generated_set(tmp_path):
    with pytest.raises(CommandError, match=r"no facts\.json"):
        call_command("make_legacy_fixture", "--out", str(tmp_path), "--next-day")


def test_piped_output_gets_plain_progress_lines_per_table(legacy_set):
    directory, _ = legacy_set
    stream = io.StringIO()  # not a terminal: no carriage-return bars

    run_import(directory, started_by="test", stream=stream, progress=True)

    lines = stream.getvalue().splitlines()
    users = [line for line in lines if line.startswith("viralcore.db:users: ")]
    assert users and "300/300 rows" in users[-1] and "rows/s" in users[-1] and "ETA" in users[-1]
    assert "\r" not in stream.getvalue()
