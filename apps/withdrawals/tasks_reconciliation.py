"""The daily reconciliation job (beat, 03:00 UTC): yesterday's payouts against Flutterwave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from celery import shared_task

from apps.audit.actors import Actor
from apps.withdrawals.reconciliation import completed_run_exists, reconcile_payouts

DAILY = Actor.system("reconciliation-daily")


@shared_task
def reconcile_yesterday() -> dict:
    """Reconcile yesterday (UTC) once; a redelivered task finds the run made and stops."""
    day = datetime.now(UTC).date() - timedelta(days=1)
    if completed_run_exists(day, DAILY.label):
        return {"day": day.isoformat(), "skipped": True}
    run = reconcile_payouts(day, actor=DAILY)
    return {"day": day.isoformat(), "run": run.pk, "ok": run.ok, "discrepancies": run.discrepancies}
