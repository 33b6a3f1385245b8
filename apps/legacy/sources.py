"""Reading the old bot's SQLite files: read-only, by column name, in batches.

Files are opened with mode=ro (the old bot may still be writing them during the cutover; we
never can). A file that is missing is simply absent; one that is not SQLite, or fails SQLite's
own quick_check, is reported and none of its tables are read, so nothing is half-imported from
a damaged file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

FILES = ("viralcore.db", "tweets.db", "tg.db", "groups.db", "custom.db")
SQLITE_HEADER = b"SQLite format 3\x00"
BATCH_SIZE = 1000


class SourceError(Exception):
    """A legacy file or table that cannot be read as it is."""


@dataclass
class LegacyFile:
    name: str
    path: Path
    connection: sqlite3.Connection | None = None
    problem: str = ""
    tables: dict[str, list[str]] = field(default_factory=dict)

    @property
    def readable(self) -> bool:
        return self.connection is not None


def open_files(directory: Path) -> dict[str, LegacyFile]:
    """Every expected file of DIRECTORY, opened when present and sound."""
    if not directory.is_dir():
        raise SourceError(f"{directory} is not a directory.")
    return {name: _open(name, directory / name) for name in FILES}


def _open(name: str, path: Path) -> LegacyFile:
    found = LegacyFile(name=name, path=path)
    if not path.exists():
        found.problem = "missing"
        return found
    with path.open("rb") as handle:
        if handle.read(16) != SQLITE_HEADER:
            found.problem = "not an SQLite database"
            return found
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            connection.close()
            found.problem = f"damaged (SQLite quick_check: {verdict})"
            return found
        found.tables = _tables(connection)
    except sqlite3.DatabaseError as error:
        found.problem = f"damaged ({error})"
        return found
    found.connection = connection
    return found


def _tables(connection: sqlite3.Connection) -> dict[str, list[str]]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        name: [column[1] for column in connection.execute(f'PRAGMA table_info("{name}")')]
        for name in names
    }


def close_files(files: dict[str, LegacyFile]) -> None:
    for found in files.values():
        if found.connection is not None:
            found.connection.close()


def count(found: LegacyFile, table: str, where: str = "", params: tuple = ()) -> int:
    # Table names and conditions are our own constants; values are always parameters.
    sql = f'SELECT count(*) FROM "{table}"' + (f" WHERE {where}" if where else "")  # noqa: S608
    return found.connection.execute(sql, params).fetchone()[0]


def batches(
    found: LegacyFile,
    table: str,
    *,
    where: str = "",
    params: tuple = (),
    size: int | None = None,
) -> Iterator[list[dict]]:
    """The rows of TABLE as dicts (by column name), SIZE at a time, in rowid order.

    Keyset pagination on the rowid keeps memory flat and lets SQLite use its primary key; the
    connection holds no long cursor between batches.
    """
    size = size or BATCH_SIZE  # read at call time, so tests can make batches small
    last = None
    condition = f"({where})" if where else "1"
    while True:
        page = "rowid > ?" if last is not None else "1"
        sql = (
            f'SELECT rowid AS _rowid, * FROM "{table}" WHERE {condition} AND {page} '  # noqa: S608
            f"ORDER BY rowid LIMIT {int(size)}"
        )
        args = params + ((last,) if last is not None else ())
        rows = [dict(row) for row in found.connection.execute(sql, args)]
        if not rows:
            return
        last = rows[-1]["_rowid"]
        yield rows
