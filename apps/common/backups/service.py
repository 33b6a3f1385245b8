"""Take a backup of the default database, or restore one into an empty database."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from apps.common.backups import postgres, sqlite
from apps.common.backups.files import (
    BackupError,
    backup_name,
    delete_older_than,
    parse_name,
    publish,
    verify_checksum,
)

VENDOR_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


@dataclasses.dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    checksum: str
    deleted: list[Path]


def make_backup(*, directory: Path | None = None) -> BackupResult:
    """Dump the default database into DIRECTORY (BACKUP_DIR), then apply the retention."""
    connection = connections[DEFAULT_DB_ALIAS]
    vendor = connection.vendor
    if vendor not in VENDOR_NAMES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    directory = Path(directory or settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    final = directory / backup_name(vendor, now)
    # A hidden name that does not match ours: an interrupted dump is never taken for a backup.
    temporary = directory / f".{final.name}.partial"
    try:
        if vendor == "postgresql":
            postgres.dump(connection.settings_dict, temporary)
        else:
            sqlite.dump(connection, temporary)
        checksum = publish(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    # Retention only after a good backup: a failing job never eats the last good ones.
    cutoff = now - datetime.timedelta(days=settings.BACKUP_KEEP_DAYS)
    deleted = delete_older_than(directory, cutoff)
    return BackupResult(final, final.stat().st_size, checksum, deleted)


def vendor_of_file(path: Path) -> str:
    """The vendor a backup file was taken from, by its first bytes (names can be changed)."""
    with path.open("rb") as stream:
        head = stream.read(8)
    if head.startswith(postgres.MAGIC):
        return "postgresql"
    if head.startswith(sqlite.MAGIC):
        return "sqlite"
    parsed = parse_name(path.name)
    if parsed:
        return parsed[0]
    raise BackupError(
        f"{path.name} is neither a pg_dump archive nor a gzip-compressed SQLite file."
    )


def check_restorable(path: Path) -> str:
    """Every check before a restore; returns a description of the target for the confirmation."""
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    verify_checksum(path)
    connection = connections[DEFAULT_DB_ALIAS]
    file_vendor, target_vendor = vendor_of_file(path), connection.vendor
    if file_vendor != target_vendor:
        raise BackupError(
            f"{path.name} is a {VENDOR_NAMES[file_vendor]} backup but the target database "
            f"(DATABASE_URL) is {VENDOR_NAMES.get(target_vendor, target_vendor)}."
        )
    if target_vendor == "postgresql":
        _check_postgres_target(connection, path)
    else:
        _check_sqlite_target(connection)
    return f"{VENDOR_NAMES[target_vendor]} database {connection.settings_dict['NAME']}"


def _check_postgres_target(connection, path: Path) -> None:
    migrations = postgres.applied_migrations(connection)
    # Give the connection back before pg_restore needs the database.
    connection.close()
    if migrations:
        raise BackupError(
            f"Refusing to restore: database {connection.settings_dict['NAME']} is not empty "
            f"({migrations} migrations applied). Restore only into a new, empty database: "
            "create one (createdb) and point DATABASE_URL at it."
        )
    postgres.check_archive(path, connection.settings_dict)


def _check_sqlite_target(connection) -> None:
    if connection.is_in_memory_db():
        raise BackupError("Refusing to restore into an in-memory SQLite database.")
    # Judged from the file, without connecting: opening it would already write to it.
    problem = sqlite.target_state(Path(connection.settings_dict["NAME"]))
    if problem:
        raise BackupError(f"Refusing to restore: {problem}.")


def restore_backup(path: Path) -> None:
    """Load a checked backup (call check_restorable first) into the default database."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        postgres.restore(connection.settings_dict, path)
    else:
        connection.close()
        sqlite.restore(path, Path(connection.settings_dict["NAME"]))
