"""POST /payments/flutterwave/webhook/: Flutterwave says a bank-transfer charge completed.

The body is unsigned (v3 sends a static `verif-hash`), so it is never trusted: a matching
hash only moves our claim's next check to now, and the worker asks Flutterwave by our tx_ref
before anything is credited. Answers 200 for anything we accept or ignore (Flutterwave retries
other codes), 401 for a missing or wrong hash.
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
    tx_ref = _tx_ref(request.body)
    if tx_ref:
        _check_soon(tx_ref)
    return JsonResponse({"ok": True})


def _tx_ref(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    data = payload.get("data") if isinstance(payload, dict) else None
    tx_ref = data.get("tx_ref") if isinstance(data, dict) else None
    return tx_ref[:100] if isinstance(tx_ref, str) else ""


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
