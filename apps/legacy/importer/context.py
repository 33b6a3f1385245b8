"""What every table step shares: the open files, the report, the run, and batch plumbing.

A step reads its table in batches; each batch's writes (our rows, their LegacyRecord rows and
one audit event naming the batch) commit together, so a run stopped anywhere resumes at the
first batch it had not committed, and a row is never imported twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import reset_queries, transaction

from apps.audit.actors import Actor
from apps.audit.services import record_event
from apps.legacy import sources
from apps.legacy.importer.copy import insert_all
from apps.legacy.models import ImportRun, LegacyRecord
from apps.legacy.progress import table_progress
from apps.legacy.report import Report
from apps.users.models import BotUser

ACTOR = Actor.system("manage.py import_legacy")
BATCH_ACTION = "legacy.rows_imported"


@dataclass
class Context:
    files: dict[str, sources.LegacyFile]
    run: ImportRun
    since: datetime | None = None
    stream: object = None
    show_progress: bool = True
    report: Report = field(default_factory=Report)

    def source(self, file_name: str, table: str) -> str:
        return f"{file_name}:{table}"

    def table_columns(self, file_name: str, table: str) -> list[str] | None:
        found = self.files.get(file_name)
        if found is None or not found.readable:
            return None
        return found.tables.get(table)

    def has_columns(self, file_name: str, table: str, required: Iterable[str]) -> bool:
        """True when TABLE is there with REQUIRED columns; an unknown shape is an error."""
        columns = self.table_columns(file_name, table)
        if columns is None:
            return False
        missing = sorted(set(required) - set(columns))
        if missing:
            self.report.errors.append(
                f"{file_name}:{table} has an unknown shape (missing {', '.join(missing)}): "
                "not imported."
            )
            return False
        return True

    def since_filter(self, *columns: str) -> tuple[str, tuple]:
        """SQL keeping rows on or after the --since day in any of COLUMNS (text timestamps).

        The day is compared, not the time: the formats mix ' ' and 'T' after the date, so text
        comparison is only sound on the date. Rows already imported are skipped anyway, and a
        row whose timestamp is not a date at all is kept (it must be reported).
        """
        if self.since is None:
            return "", ()
        day = self.since.strftime("%Y-%m-%d")
        parts = []
        for column in columns:
            parts.append(
                f"substr({column}, 1, 10) >= ? OR {column} IS NULL "
                f"OR {column} NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"
            )
        return " OR ".join(f"({part})" for part in parts), (day,) * len(columns)

    def batches(
        self,
        file_name: str,
        table: str,
        *,
        where: str = "",
        params: tuple = (),
        counted=True,
        label: str = "",
    ):
        """TABLE in batches with a progress bar; COUNTED=False for a second pass."""
        found = self.files[file_name]
        total = sources.count(found, table, where, params)
        label = label or self.source(file_name, table)
        started = time.monotonic()
        with table_progress(self.stream, label, total, enabled=self.show_progress) as bar:
            for rows in sources.batches(found, table, where=where, params=params):
                if counted:
                    self.report.table(label).read += len(rows)
                yield rows
                bar.update(len(rows))
                # With DEBUG on, Django keeps the last 9,000 statements' SQL: with 1,000-row
                # INSERTs that alone is hundreds of MB. The import's memory must stay flat.
                reset_queries()
        # Wall time while the step worked on the batches too (the generator waits for it).
        self.report.table(label).seconds += time.monotonic() - started


def known(source: str, legacy_ids: Iterable) -> dict[str, int]:
    """Legacy id (as text) → our id, for the rows of SOURCE an earlier batch or run imported."""
    wanted = [str(legacy_id) for legacy_id in legacy_ids]
    found = LegacyRecord.objects.filter(source=source, legacy_id__in=wanted)
    return dict(found.values_list("legacy_id", "target_id"))


def remember(ctx: Context, source: str, target_type: str, pairs: list[tuple]) -> None:
    """Record (legacy id, our id) PAIRS of SOURCE, in the caller's transaction."""
    insert_all(
        LegacyRecord,
        [
            LegacyRecord(
                source=source,
                legacy_id=str(legacy_id),
                target_type=target_type,
                target_id=target_id,
                run=ctx.run,
            )
            for legacy_id, target_id in pairs
        ],
    )


def audit_batch(
    ctx: Context, source: str, target_type: str, pairs: list[tuple], telegram_ids: Iterable = ()
) -> None:
    """One audit event per imported batch: which legacy rows became which of ours, by whom."""
    if not pairs:
        return
    record_event(
        actor=ACTOR,
        action=BATCH_ACTION,
        object_type="legacy.import_run",
        object_id=ctx.run.pk,
        after={
            "table": source,
            "target": target_type,
            "count": len(pairs),
            "rows": [[str(legacy_id), target_id] for legacy_id, target_id in pairs],
        },
        search_terms=sorted({str(value) for value in telegram_ids if value}),
    )


ORPHAN = "user is not a known user (orphan)"


def users_by_telegram_id(telegram_ids) -> dict[int, int]:
    """Telegram id → our BotUser id, for the ids that are users here."""
    ids = [value for value in set(telegram_ids) if isinstance(value, int)]
    return dict(BotUser.objects.filter(telegram_id__in=ids).values_list("telegram_id", "pk"))


def import_owned_rows(ctx: Context, source: str, rows: list[dict], *, model, target: str, build):
    """The common shape of a batch of rows that belong to a user (purchases, withdrawals).

    Rows imported before are counted and skipped, rows of unknown users are orphans; BUILD(row,
    user pk) returns the unsaved object or None (it reported why). The objects, their
    LegacyRecords and the batch's audit event commit together.
    """
    counts = ctx.report.table(source)
    done = known(source, (row["id"] for row in rows))
    users = users_by_telegram_id(row["user_id"] for row in rows)
    fresh = []
    for row in rows:
        if str(row["id"]) in done:
            counts.already += 1
        elif row["user_id"] not in users:
            counts.skip(ORPHAN, row["id"])
        else:
            built = build(row, users[row["user_id"]])
            if built is not None:
                fresh.append((row["id"], built))
    with transaction.atomic():
        model.objects.bulk_create([built for _, built in fresh])
        pairs = [(legacy_id, built.pk) for legacy_id, built in fresh]
        remember(ctx, source, target, pairs)
        owners = [built.user_id for _, built in fresh]
        audit_batch(ctx, source, target, pairs, telegram_ids=telegram_ids_of(users, owners))
    counts.imported += len(fresh)


def telegram_ids_of(users: dict, owner_pks: list) -> list:
    """From USERS (Telegram id → our id), the Telegram ids of OWNER_PKS: the users whose rows
    a batch imported, which support can then search the batch's audit event by."""
    wanted = set(owner_pks)
    return [telegram_id for telegram_id, pk in users.items() if pk in wanted]
