"""SQLite backups with the online backup API, stored gzip-compressed."""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import zlib
from pathlib import Path

from apps.common.backups.files import BackupError

MAGIC = b"\x1f\x8b"  # gzip
SQLITE_HEADER = b"SQLite format 3\x00"


def dump(connection, destination: Path) -> None:
    """Copy the live database page by page (consistent even while others write), then gzip it.

    Django's own connection is the source, so this also works on the in-memory test database.
    """
    connection.ensure_connection()
    plain = destination.with_name(destination.name + ".sqlite3")
    try:
        target = sqlite3.connect(plain)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        with plain.open("rb") as source, gzip.open(destination, "wb") as compressed:
            shutil.copyfileobj(source, compressed)
    finally:
        plain.unlink(missing_ok=True)


def target_state(database_path: Path) -> str | None:
    """Why DATABASE_PATH cannot receive a restore, or None when it is missing or empty."""
    for companion in (database_path, Path(f"{database_path}-wal")):
        if companion.exists() and companion.stat().st_size > 0:
            return (
                f"{companion} exists and is not empty; restore only into a new database: "
                "move it away (or point DATABASE_URL at a new file) and run restore again"
            )
    return None


def restore(source: Path, database_path: Path) -> None:
    """Unpack next to the target, check it is a sound SQLite database, then move it into place."""
    database_path.parent.mkdir(parents=True, exist_ok=True)
    unpacked = database_path.with_name(f".{database_path.name}.restoring")
    try:
        _gunzip(source, unpacked)
        _check_database(unpacked)
        os.replace(unpacked, database_path)
    finally:
        unpacked.unlink(missing_ok=True)


def _gunzip(source: Path, destination: Path) -> None:
    try:
        with gzip.open(source, "rb") as compressed, destination.open("wb") as plain:
            shutil.copyfileobj(compressed, plain)
    except (OSError, EOFError, zlib.error) as error:
        raise BackupError(f"{source.name} is not a readable gzip archive ({error}).") from None


def _check_database(path: Path) -> None:
    with path.open("rb") as stream:
        if stream.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError("The archive does not hold a SQLite database.")
    database = sqlite3.connect(path)
    try:
        outcome = database.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The archived database is damaged ({error}).") from None
    finally:
        database.close()
    if outcome != "ok":
        raise BackupError(f"The archived database is damaged ({outcome}).")
