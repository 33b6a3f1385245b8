"""What import_legacy and legacy_reconcile share: report options, --since, the ending."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import CommandError

from apps.legacy.models import RunStatus


def add_report_options(parser) -> None:
    parser.add_argument("--json", type=Path, metavar="FILE", help="Also write the JSON report.")
    parser.add_argument(
        "--quiet", action="store_true", help="No progress bars; the summary is still printed."
    )


def parse_since(raw):
    """An aware datetime (UTC unless an offset is given) from an ISO date or date-time."""
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(
            f"--since {raw!r} is not a date or time (use 2026-11-20 or 2026-11-20T08:00:00)."
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def finish(command, run, options) -> None:
    command.stdout.write(run.summary)
    if options.get("json"):
        options["json"].write_text(json.dumps(run.report, indent=2, default=str))
        command.stdout.write(f"JSON report written to {options['json']}")
    command.stdout.write(f"Stored in the admin as run #{run.pk} ({run.get_status_display()}).")
    if run.status != RunStatus.CLEAN:
        sys.stdout.flush()
        raise CommandError(f"Run #{run.pk}: {run.get_status_display()}.", returncode=1)
