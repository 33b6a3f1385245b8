"""The phase plan: views in batches, one interval apart from one interval in; likes last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.boosts.services.schedule import PlannedPhase, phase_plan

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def test_2500_views_and_150_likes_are_three_phases_with_the_likes_last():
    assert phase_plan(views=2500, likes=150, start=START) == [
        PlannedPhase(1, at(30), 1000, 0),
        PlannedPhase(2, at(60), 1000, 0),
        PlannedPhase(3, at(90), 500, 150),
    ]


def test_500_views_and_100_likes_are_one_phase_after_one_interval():
    assert phase_plan(views=500, likes=100, start=START) == [PlannedPhase(1, at(30), 500, 100)]


def test_likes_without_views_are_one_phase_after_one_interval():
    assert phase_plan(views=0, likes=40, start=START) == [PlannedPhase(1, at(30), 0, 40)]


def test_nothing_to_order_is_no_phases():
    assert phase_plan(views=0, likes=0, start=START) == []


def test_views_without_likes_still_come_in_batches():
    assert phase_plan(views=2000, likes=0, start=START) == [
        PlannedPhase(1, at(30), 1000, 0),
        PlannedPhase(2, at(60), 1000, 0),
    ]


def test_t5_is_fifteen_batches_ending_at_450_minutes():
    phases = phase_plan(views=15000, likes=150, start=START)
    assert len(phases) == 15
    assert phases[-1] == PlannedPhase(15, at(450), 1000, 150)
    assert sum(phase.views for phase in phases) == 15000


def test_batch_size_and_interval_come_from_the_settings(settings):
    settings.BOOST_VIEW_BATCH = 400
    settings.BOOST_INTERVAL_MINUTES = Decimal("12.5")
    assert phase_plan(views=1000, likes=10, start=START) == [
        PlannedPhase(1, START + timedelta(minutes=12.5), 400, 0),
        PlannedPhase(2, START + timedelta(minutes=25), 400, 0),
        PlannedPhase(3, START + timedelta(minutes=37.5), 200, 10),
    ]


def test_negative_amounts_are_a_programming_error():
    with pytest.raises(ValueError):
        phase_plan(views=-1, likes=0, start=START)
