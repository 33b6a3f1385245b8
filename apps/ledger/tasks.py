"""Celery tasks of the ledger: thin wrappers around services and checks."""

import logging

from celery import shared_task

from apps.ledger.checks import run_ledger_check

logger = logging.getLogger(__name__)


@shared_task
def nightly_ledger_check() -> int:
    """Beat runs this nightly; an ERROR log line with the violations is the alert."""
    report = run_ledger_check()
    if report.violations:
        logger.error(
            "Ledger check found %d violation(s): %s",
            len(report.violations),
            "; ".join(str(violation) for violation in report.violations),
        )
    else:
        logger.info("Ledger check clean: %s", report.summary())
    return len(report.violations)
