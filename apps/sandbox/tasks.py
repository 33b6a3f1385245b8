"""Sandbox-only beat work: the fake Flutterwave finishes its transfers and sends webhooks."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task
def advance_flutterwave_transfers() -> int:
    """Settle due fake transfers and post transfer.completed to our webhook (beat, 10 s)."""
    if not settings.SANDBOX:
        return 0
    from apps.sandbox.flutterwave.transfers import advance_transfers

    return len(advance_transfers(send_webhooks=True))
