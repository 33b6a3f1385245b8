"""The daily report job (beat, at BOOST_DAILY_REPORT_TIME in TIME_ZONE): yesterday's figures."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from apps.boosts.report import send_daily_report


@shared_task(ignore_result=True)
def send_yesterdays_report() -> dict:
    """Report the previous calendar day (TIME_ZONE); a redelivered task queues nothing new."""
    day = timezone.localdate(timezone=timezone.get_default_timezone()) - timedelta(days=1)
    return {"day": day.isoformat(), "groups": send_daily_report(day)}
