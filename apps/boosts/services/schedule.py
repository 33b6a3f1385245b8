"""When a boost's views and likes are ordered: the legacy batching rule (spec §6.5), as rows.

Views go in batches of BOOST_VIEW_BATCH, one batch every BOOST_INTERVAL_MINUTES starting one
interval after submission; all the likes go with the last batch. The old bot slept in memory
between batches and lost them on restart; here each batch is a phase row with its due time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings


@dataclass(frozen=True)
class PlannedPhase:
    number: int
    due_at: datetime
    views: int
    likes: int


def phase_plan(*, views: int, likes: int, start: datetime) -> list[PlannedPhase]:
    """The phases for VIEWS and LIKES submitted at START; none when there is nothing to order."""
    if views < 0 or likes < 0:
        raise ValueError("Views and likes cannot be negative.")
    if views == 0 and likes == 0:
        return []
    batches = _view_batches(views)
    interval = _interval()
    return [
        PlannedPhase(
            number=number,
            due_at=start + interval * number,
            views=batch,
            likes=likes if number == len(batches) else 0,
        )
        for number, batch in enumerate(batches, start=1)
    ]


def _view_batches(views: int) -> list[int]:
    """[1000, 1000, 500] for 2,500; [0] for none, so the likes still get their one phase."""
    size = settings.BOOST_VIEW_BATCH
    return [min(size, views - done) for done in range(0, views, size)] or [0]


def _interval() -> timedelta:
    # The setting is a Decimal number of minutes; seconds keep fractions exact enough.
    return timedelta(seconds=float(settings.BOOST_INTERVAL_MINUTES * 60))
