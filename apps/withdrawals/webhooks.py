"""transfer.completed from Flutterwave: stored once, then only a reason to ask Flutterwave.

The body is never trusted (v3 webhooks are unsigned): it names the transfer whose status we
re-fetch by our own reference. An event for a reference we never used changes nothing.
"""

from __future__ import annotations

import hashlib
import logging

from django.db import IntegrityError, transaction

from apps.withdrawals.models import FlutterwaveEvent, PayoutAttempt

logger = logging.getLogger(__name__)


def transfer_completed(payload: dict, body: bytes) -> None:
    from apps.purchases.clients.flutterwave import parse_transfer_webhook

    event = parse_transfer_webhook(body)
    reference = event.reference if event is not None else ""
    if not _store_once(payload, body, reference):
        return  # a redelivery: the first one already triggered the check
    attempt = PayoutAttempt.objects.filter(reference=reference).first() if reference else None
    if attempt is None:
        logger.warning("flutterwave transfer webhook for unknown reference %r", reference[:100])
        return
    from apps.withdrawals.tasks import sync_payout

    transaction.on_commit(lambda: sync_payout.delay(attempt.withdrawal_id))


def _store_once(payload: dict, body: bytes, reference: str) -> bool:
    try:
        with transaction.atomic():
            FlutterwaveEvent.objects.create(
                digest=hashlib.sha256(body).hexdigest(),
                event=str(payload.get("event") or payload.get("event.type") or "")[:64],
                reference=reference[:100],
                payload=payload,
            )
    except IntegrityError:
        return False
    return True
