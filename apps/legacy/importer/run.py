"""One import: the table steps in dependency order, then the reconciliation, then the report.

Users come first (everything names them), then what hangs off them. A dry run does the same
work inside one transaction and rolls it back, so its report is exactly what a real run would
do; only the ImportRun row (with that report) is kept.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone

from apps.legacy import sources
from apps.legacy.importer import (
    balances,
    boosts,
    custom_plans,
    hashes,
    history,
    purchases,
    setup,
    users,
    withdrawal_history,
    withdrawals,
)
from apps.legacy.importer.context import Context
from apps.legacy.models import ImportRun, RunKind, RunStatus
from apps.legacy.reconcile import reconcile
from apps.legacy.summary import summarize

STEPS = (
    users.import_users,
    balances.import_balances,
    purchases.import_purchases,
    hashes.import_used_hashes,
    history.import_balance_operations,
    withdrawals.import_withdrawals,
    withdrawal_history.import_withdrawal_history,
    custom_plans.import_custom_plans,
    boosts.import_boost_submissions,
    setup.import_groups,
    setup.import_provider_services,
    setup.note_tables_not_imported,
)


class _DryRunRollback(Exception):
    """Raised at the end of a dry run to undo everything it wrote."""


def run_import(
    directory: Path, *, since=None, dry_run=False, started_by: str, stream=None, progress=True
) -> ImportRun:
    files = sources.open_files(directory)
    run = ImportRun.objects.create(
        kind=RunKind.DRY_RUN if dry_run else RunKind.IMPORT,
        source_dir=str(directory),
        since=since,
        started_by=started_by,
    )
    ctx = Context(files=files, run=run, since=since, stream=stream, show_progress=progress)
    _describe_files(ctx)
    try:
        if dry_run:
            _dry(ctx)
        else:
            _steps(ctx)
            ctx.report.reconciliation = reconcile(files)
    except _Stopped:
        pass
    finally:
        sources.close_files(files)
    return _finish(run, ctx, title=f"{run.get_kind_display()} of {directory}")


def _dry(ctx: Context) -> None:
    try:
        with transaction.atomic():
            _steps(ctx)
            ctx.report.reconciliation = reconcile(ctx.files)
            raise _DryRunRollback
    except _DryRunRollback:
        ctx.report.notes.append("Dry run: everything above was rolled back; nothing was kept.")


def _steps(ctx: Context) -> None:
    for step in STEPS:
        try:
            step(ctx)
        except (DatabaseError, sqlite3.Error, OSError) as error:
            # Every batch before this one is committed; a later run resumes from here.
            ctx.report.errors.append(
                f"Stopped in {step.__module__.rsplit('.', 1)[-1]}: {type(error).__name__}: "
                f"{error}. Batches before it are kept; run again to resume."
            )
            raise _Stopped from error


class _Stopped(Exception):
    """A step failed; the report says where."""


def _describe_files(ctx: Context) -> None:
    for name, found in ctx.files.items():
        if found.readable:
            ctx.report.files[name] = f"read ({len(found.tables)} tables)"
        else:
            ctx.report.files[name] = found.problem
            if found.problem != "missing":
                ctx.report.errors.append(f"{name} is {found.problem}: none of its tables was read.")


def _finish(run: ImportRun, ctx: Context, *, title: str) -> ImportRun:
    report = ctx.report.as_dict()
    balances_result = (report["reconciliation"] or {}).get("balances") or {}
    run.report = report
    run.balances_checked = balances_result.get("checked", 0)
    run.balances_differing = balances_result.get("differing_count", 0)
    run.status = _status(run, report)
    run.finished_at = timezone.now()
    run.summary = summarize(report, title=f"{title}: {run.get_status_display()}")
    run.save()
    return run


def _status(run: ImportRun, report: dict) -> str:
    if report["errors"] or not report["reconciliation"]:
        return RunStatus.FAILED
    if run.balances_differing or "error" in report["reconciliation"]:
        return RunStatus.DIFFERENCES
    return RunStatus.CLEAN


def run_reconcile(directory: Path, *, started_by: str) -> ImportRun:
    files = sources.open_files(directory)
    run = ImportRun.objects.create(
        kind=RunKind.RECONCILE, source_dir=str(directory), started_by=started_by
    )
    ctx = Context(files=files, run=run, show_progress=False)
    _describe_files(ctx)
    try:
        ctx.report.reconciliation = reconcile(files)
    finally:
        sources.close_files(files)
    return _finish(run, ctx, title=f"Reconciliation of {directory}")
