"""Backups as an operator sees them: `manage.py backup`, `manage.py restore`, the age on /metrics.

The round trip restores into a brand-new database (a new PostgreSQL database, or a new SQLite
file) and proves it with the same `ledger_check` and `audit_verify` CI runs.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import logging
import os
import re
import secrets
import sqlite3
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.common.tasks_backup import daily_backup
from apps.ledger.models import Entry
from apps.ledger.services.accounts import system_account, user_account
from apps.ledger.services.posting import transfer
from tests.factories import BotUserFactory

REPO = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^viralcore-(postgresql-\d{8}T\d{6}Z\.dump|sqlite-\d{8}T\d{6}Z\.sqlite3\.gz)$")


class FreshDatabase:
    """A new, empty database of the test's vendor, reachable by URL from a subprocess."""

    def __init__(self, tmp_path: Path):
        self.vendor = connection.vendor
        if self.vendor == "postgresql":
            self.name = f"viralcore_restore_{secrets.token_hex(4)}"
            self._admin("CREATE DATABASE {}")
            self.url = self._postgres_url(self.name)
        else:
            self.path = tmp_path / "restored" / "viralcore.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def count(self, table: str) -> int:
        if self.vendor == "postgresql":
            with psycopg.connect(self._postgres_url(self.name)) as database:
                return database.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
        database = sqlite3.connect(self.path)
        try:
            return database.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
        finally:
            database.close()

    def is_empty(self) -> bool:
        if self.vendor == "sqlite":
            return not self.path.exists() or self.path.stat().st_size == 0
        with psycopg.connect(self._postgres_url(self.name)) as database:
            tables = database.execute(
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()[0]
        return tables == 0

    def drop(self):
        if self.vendor == "postgresql":
            self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")

    def _admin(self, statement: str):
        with psycopg.connect(self._postgres_url("postgres"), autocommit=True) as database:
            database.execute(statement.format(self.name))

    @staticmethod
    def _postgres_url(name: str) -> str:
        settings_dict = connection.settings_dict
        password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgresql://{settings_dict['USER']}{password}@{host}:{port}/{name}"


@pytest.fixture
def fresh_database(tmp_path):
    database = FreshDatabase(tmp_path)
    yield database
    database.drop()


def manage(*arguments: str, database_url: str, tmp_path: Path, stdin=subprocess.DEVNULL):
    """Run manage.py as an operator would, against DATABASE_URL, with the real settings."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "viralcore.settings",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp_path / "var"),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=REPO,
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def make_money_move():
    """A ledger transfer between a system account and a user, with its audit events."""
    owner = BotUserFactory()
    transfer(
        source=system_account(kind="commissions", currency="USD"),
        destination=user_account(owner=owner, kind="affiliate"),
        amount=Decimal("25.00"),
        idempotency_key=f"backup-test:{owner.telegram_id}",
        kind="commission",
        actor=Actor.system("tests.backups"),
        memo="backup round trip",
    )


def run_backup(directory: Path) -> tuple[Path, str]:
    output = StringIO()
    call_command("backup", "--dir", str(directory), stdout=output)
    backups = [path for path in directory.iterdir() if NAME.match(path.name)]
    assert len(backups) == 1, sorted(path.name for path in directory.iterdir())
    return backups[0], output.getvalue()


def rewrite_sidecar(path: Path):
    """Make the sidecar match the file again, as if the damage happened before the checksum."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_new_database_that_passes_the_ledger_and_audit_checks(
    tmp_path, fresh_database
):
    make_money_move()
    make_money_move()
    backup, _ = run_backup(tmp_path / "backups")

    restored = manage(
        "restore", str(backup), "--yes", database_url=fresh_database.url, tmp_path=tmp_path
    )
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout

    for command in ("ledger_check", "audit_verify"):
        checked = manage(command, database_url=fresh_database.url, tmp_path=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    assert fresh_database.count(Entry._meta.db_table) == Entry.objects.count() >= 4
    assert fresh_database.count(AuditEvent._meta.db_table) == AuditEvent.objects.count() >= 2


@pytest.mark.django_db(transaction=True)
def test_backup_writes_a_timestamped_file_with_a_sha256sum_sidecar(tmp_path):
    backup, output = run_backup(tmp_path / "new-folder")
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    assert backup.name.startswith(f"viralcore-{vendor}-")
    digest = hashlib.sha256(backup.read_bytes()).hexdigest()
    assert (tmp_path / "new-folder" / f"{backup.name}.sha256").read_text() == (
        f"{digest}  {backup.name}\n"
    )
    assert str(backup) in output and digest in output
    assert f"{backup.stat().st_size} bytes" in output
    # Only the backup and its sidecar: no temporary file is left behind.
    assert len(list(backup.parent.iterdir())) == 2
    if vendor == "sqlite":
        assert gzip.decompress(backup.read_bytes()).startswith(b"SQLite format 3\x00")
    else:
        assert backup.read_bytes().startswith(b"PGDMP")


@pytest.mark.django_db(transaction=True)
def test_a_backup_whose_checksum_does_not_match_is_refused_and_nothing_is_restored(
    tmp_path, fresh_database
):
    backup, _ = run_backup(tmp_path / "backups")
    with backup.open("ab") as stream:
        stream.write(b"tampered")

    result = manage(
        "restore", str(backup), "--yes", database_url=fresh_database.url, tmp_path=tmp_path
    )
    assert result.returncode == 1
    assert "Checksum mismatch" in result.stderr and "Traceback" not in result.stderr
    assert fresh_database.is_empty()


@pytest.mark.django_db(transaction=True)
def test_a_backup_without_its_checksum_file_is_refused(tmp_path, fresh_database):
    backup, _ = run_backup(tmp_path / "backups")
    backup.with_name(backup.name + ".sha256").unlink()

    result = manage(
        "restore", str(backup), "--yes", database_url=fresh_database.url, tmp_path=tmp_path
    )
    assert result.returncode == 1
    assert "No checksum file" in result.stderr
    assert fresh_database.is_empty()


@pytest.mark.django_db(transaction=True)
def test_restore_into_a_database_that_is_not_empty_is_refused(tmp_path, fresh_database):
    make_money_move()
    backup, _ = run_backup(tmp_path / "backups")
    first = manage(
        "restore", str(backup), "--yes", database_url=fresh_database.url, tmp_path=tmp_path
    )
    assert first.returncode == 0, first.stderr
    entries = fresh_database.count(Entry._meta.db_table)

    second = manage(
        "restore", str(backup), "--yes", database_url=fresh_database.url, tmp_path=tmp_path
    )
    assert second.returncode == 1
    assert "Refusing to restore" in second.stderr and "new" in second.stderr
    assert fresh_database.count(Entry._meta.db_table) == entries


@pytest.mark.django_db(transaction=True)
def test_a_damaged_archive_with_a_matching_checksum_is_refused_cleanly(tmp_path, fresh_database):
    backup, _ = run_backup(tmp_path / "backups")
    backup.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    rewrite_sidecar(backup)

    result = manage(
        "restore", str(backup), "--yes", database_url=fresh_database.url, tmp_path=tmp_path
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(r"not a readable gzip archive|Reading the archive failed", result.stderr)
    assert fresh_database.is_empty()


@pytest.mark.django_db(transaction=True)
def test_restore_asks_for_confirmation_and_refuses_without_a_terminal(tmp_path, fresh_database):
    backup, _ = run_backup(tmp_path / "backups")

    result = manage("restore", str(backup), database_url=fresh_database.url, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "pass --yes" in result.stderr
    assert fresh_database.is_empty()


@pytest.mark.django_db
def test_restoring_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="No backup file at"):
        call_command("restore", str(tmp_path / "viralcore-sqlite-20260101T000000Z.sqlite3.gz"))


@pytest.mark.django_db
def test_a_backup_of_the_other_database_vendor_is_refused(tmp_path):
    if connection.vendor == "postgresql":
        other = tmp_path / "viralcore-sqlite-20260101T000000Z.sqlite3.gz"
        other.write_bytes(gzip.compress(b"SQLite format 3\x00"))
        expected = "is a SQLite backup but the target database .* is PostgreSQL"
    else:
        other = tmp_path / "viralcore-postgresql-20260101T000000Z.dump"
        other.write_bytes(b"PGDMP\x01\x0e\x00")
        expected = "is a PostgreSQL backup but the target database .* is SQLite"
    rewrite_sidecar(other)
    with pytest.raises(CommandError, match=expected):
        call_command("restore", str(other), "--yes")


def _old_backup(directory: Path, vendor: str, days_ago: int) -> Path:
    taken_at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days_ago)
    suffix = ".dump" if vendor == "postgresql" else ".sqlite3.gz"
    path = directory / f"viralcore-{vendor}-{taken_at:%Y%m%dT%H%M%SZ}{suffix}"
    path.write_bytes(b"old backup")
    rewrite_sidecar(path)
    return path


@pytest.mark.django_db(transaction=True)
@override_settings(BACKUP_KEEP_DAYS=7)
def test_retention_deletes_only_our_backups_older_than_the_kept_days(tmp_path):
    old = [_old_backup(tmp_path, "sqlite", 8), _old_backup(tmp_path, "postgresql", 30)]
    recent = _old_backup(tmp_path, "sqlite", 6)
    others = [
        tmp_path / "notes.txt",
        tmp_path / "viralcore-postgresql-before-upgrade.dump",
        tmp_path / "viralcore-sqlite-20200101T000000Z.sqlite3.gz.copy",
    ]
    for path in others:
        path.write_text("not ours")

    output = StringIO()
    call_command("backup", "--dir", str(tmp_path), stdout=output)

    for path in old:
        assert not path.exists()
        assert not path.with_name(path.name + ".sha256").exists()
        assert f"deleted old backup: {path.name}" in output.getvalue()
    assert recent.exists() and recent.with_name(recent.name + ".sha256").exists()
    assert all(path.exists() for path in others)


def backup_age_on_metrics(client) -> float:
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    match = re.search(r"^viralcore_backup_age_seconds (\S+)$", text, re.MULTILINE)
    assert match, text[-500:]
    return float(match.group(1))


@pytest.mark.django_db(transaction=True)
def test_the_age_of_the_last_backup_shows_on_metrics_and_ready_without_failing_it(client, tmp_path):
    with override_settings(BACKUP_DIR=str(tmp_path)):
        assert backup_age_on_metrics(client) == -1
        ready = client.get("/ready/")
        assert ready.status_code == 200
        assert ready.json()["backup_age_seconds"] == -1

        _old_backup(tmp_path, "sqlite", 2)
        assert 2 * 86400 <= backup_age_on_metrics(client) < 2 * 86400 + 60

        call_command("backup", stdout=StringIO())
        assert 0 <= backup_age_on_metrics(client) < 60
        assert 0 <= client.get("/ready/").json()["backup_age_seconds"] < 60


@pytest.mark.django_db
def test_a_backup_without_its_checksum_file_does_not_count_as_the_last_good_one(client, tmp_path):
    unfinished = _old_backup(tmp_path, "sqlite", 0)
    unfinished.with_name(unfinished.name + ".sha256").unlink()
    with override_settings(BACKUP_DIR=str(tmp_path)):
        assert backup_age_on_metrics(client) == -1


def test_a_failing_pg_dump_exits_non_zero_without_showing_the_password(tmp_path):
    result = manage(
        "backup",
        "--dir",
        str(tmp_path / "backups"),
        database_url="postgres://app:pw-never-shown@127.0.0.1:1/viralcore",
        tmp_path=tmp_path,
    )
    assert result.returncode == 1
    assert "Backup failed: pg_dump failed" in result.stderr
    assert "pw-never-shown" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "backups").iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_the_daily_job_writes_a_backup_and_logs_it(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="apps.common.tasks_backup")
    with override_settings(BACKUP_DIR=str(tmp_path)):
        written = daily_backup.apply().get()
    assert NAME.match(Path(written).name)
    assert "Daily backup written" in caplog.text


@pytest.mark.django_db
def test_the_daily_job_logs_an_error_when_the_backup_fails(tmp_path, caplog):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("in the way")
    with override_settings(BACKUP_DIR=str(not_a_folder)):
        assert daily_backup.apply().get() is None
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert errors and "Daily backup FAILED" in errors[0].getMessage()


def test_the_daily_backup_is_scheduled_at_backup_time():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["backup-daily"]
    assert entry["task"] == "apps.common.tasks_backup.daily_backup"
    hour, minute = settings.BACKUP_TIME
    assert entry["schedule"].hour == {hour} and entry["schedule"].minute == {minute}
    assert "apps.common.tasks_backup" in settings.CELERY_IMPORTS


@pytest.mark.django_db(transaction=True)
def test_restore_on_a_terminal_changes_nothing_unless_the_operator_types_yes(
    tmp_path, fresh_database
):
    backup, _ = run_backup(tmp_path / "backups")
    terminal, operator_side = os.openpty()
    try:
        os.write(operator_side, b"no\n")
        result = manage(
            "restore",
            str(backup),
            database_url=fresh_database.url,
            tmp_path=tmp_path,
            stdin=terminal,
        )
    finally:
        os.close(terminal)
        os.close(operator_side)
    assert "Type 'yes' to continue" in result.stdout
    assert result.returncode == 1
    assert "Restore cancelled" in result.stderr
    assert fresh_database.is_empty()
