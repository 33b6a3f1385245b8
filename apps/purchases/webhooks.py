"""POST /flutterwave/webhook/: the one URL Flutterwave posts every event to.

The body is unsigned (v3 sends a static `verif-hash`), so it is never trusted: a handler only
makes us ask Flutterwave sooner (a charge.completed moves the bank claim's next check to now;
the worker queries by our tx_ref before anything is credited). Handlers register by event name
(the withdrawals app adds transfer.completed). Answers 200 for anything we accept or ignore
(Flutterwave retries other codes), 401 for a missing or wrong hash.
"""

from __future__ import annotations

import json
import logging

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.purchases.clients.flutterwave import webhook_hash_matches
from apps.purchases.models import FLUTTERWAVE, ClaimStatus, PaymentClaim

security_log = logging.getLogger("apps.purchases.security")
MAX_BODY_BYTES = 64 * 1024


@csrf_exempt
@require_POST
def flutterwave_webhook(request):
    if not webhook_hash_matches(request.headers.get("verif-hash")):
        security_log.warning(
            "flutterwave webhook refused: bad verif-hash from %s", request.META.get("REMOTE_ADDR")
        )
        return JsonResponse({"ok": False, "error": "forbidden"}, status=401)
    if len(request.body) > MAX_BODY_BYTES:
        return JsonResponse({"ok": False, "error": "too_large"}, status=413)
    payload = _payload(request.body)
    handler = EVENT_HANDLERS.get(_event_name(payload))
    if handler is not None:
        handler(payload, request.body)
    return JsonResponse({"ok": True})


def _payload(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _event_name(payload: dict) -> str:
    # v3 names the event in "event"; the legacy v2 shape only has "event.type".
    name = payload.get("event") or payload.get("event.type") or ""
    return name if isinstance(name, str) else ""


def charge_completed(payload: dict, body: bytes) -> None:
    data = payload.get("data")
    tx_ref = data.get("tx_ref") if isinstance(data, dict) else None
    if isinstance(tx_ref, str) and tx_ref:
        _check_soon(tx_ref[:100])


def _check_soon(tx_ref: str) -> None:
    claim = PaymentClaim.objects.filter(
        network=FLUTTERWAVE, tx_hash=tx_ref, status=ClaimStatus.PENDING
    ).first()
    if claim is None:
        return
    PaymentClaim.objects.filter(pk=claim.pk, status=ClaimStatus.PENDING).update(
        next_check_at=timezone.now()
    )
    from apps.purchases.tasks import verify_claim

    verify_claim.delay(claim.pk)


# Event name -> handler(payload, raw body); other apps add theirs when they are ready.
EVENT_HANDLERS = {"charge.completed": charge_completed}
