"""PostgreSQL backups with pg_dump / pg_restore; the password travels only in PGPASSWORD."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from apps.common.backups.files import BackupError

# Custom-format archives start with these bytes; a gzip stream (our SQLite backups) does not.
MAGIC = b"PGDMP"
# A dump of a large database takes a while, but a hung one must not block the job forever.
TIMEOUT_SECONDS = 6 * 60 * 60


def _connection_arguments(settings_dict: dict) -> list[str]:
    arguments = ["--no-password"]  # never prompt: a job has no one to answer
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            arguments.append(f"{option}={settings_dict[key]}")
    return arguments


def _environment(settings_dict: dict) -> dict:
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    sslmode = settings_dict.get("OPTIONS", {}).get("sslmode")
    if sslmode:
        environment["PGSSLMODE"] = str(sslmode)
    return environment


def _run(command: list[str], settings_dict: dict, what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed or not on PATH.")
    try:
        result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            command,
            env=_environment(settings_dict),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} did not finish within {TIMEOUT_SECONDS} seconds.") from None
    if result.returncode != 0:
        raise BackupError(
            f"{what} failed (exit {result.returncode}): {_scrub(result.stderr, settings_dict)}"
        )


def _scrub(text: str, settings_dict: dict) -> str:
    """pg_dump does not print passwords, but a server message might quote a connection string."""
    password = str(settings_dict.get("PASSWORD") or "")
    text = text.strip() or "no message"
    return text.replace(password, "***") if password else text


def dump(settings_dict: dict, destination: Path) -> None:
    """A consistent snapshot (one repeatable-read transaction), compressed by the custom format."""
    command = ["pg_dump", "--format=custom", f"--file={destination}"]
    command += _connection_arguments(settings_dict)
    command.append(f"--dbname={settings_dict['NAME']}")
    _run(command, settings_dict, "pg_dump")


def check_archive(source: Path, settings_dict: dict) -> None:
    """Read the archive's table of contents: a truncated or foreign file fails here, untouched."""
    _run(["pg_restore", "--list", str(source)], settings_dict, "Reading the archive")


def restore(settings_dict: dict, source: Path) -> None:
    """Load the archive in one transaction, so a failure leaves the target database as it was."""
    command = ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction"]
    command += _connection_arguments(settings_dict)
    command += [f"--dbname={settings_dict['NAME']}", str(source)]
    _run(command, settings_dict, "pg_restore")


def applied_migrations(connection) -> int:
    """Rows in django_migrations of CONNECTION's database; 0 when the table does not exist."""
    with connection.cursor() as cursor:
        if "django_migrations" not in connection.introspection.table_names(cursor):
            return 0
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        return cursor.fetchone()[0]
