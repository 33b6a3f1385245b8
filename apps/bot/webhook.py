"""POST /telegram/webhook/: check the secret, store the update, answer at once.

The view never waits for Telegram or a provider: a worker processes the stored update. Answers
follow python-telegram-bot's own webhook server: 403 for a missing or wrong secret, 400 for a
body that is not an Update, 200 for everything stored or deliberately ignored (anything else
would make Telegram redeliver it).
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from prometheus_client import Counter

from apps.bot.inbox import NotAnUpdate, load_update_json, read_envelope, store_update

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
# Real updates are a few KiB; a megabyte body is an attack or a mistake.
MAX_BODY_BYTES = 256 * 1024

security_log = logging.getLogger("apps.bot.security")
WEBHOOK_REJECTED = Counter(
    "viralcore_telegram_webhook_rejected_total", "Webhook requests refused", ["reason"]
)
UPDATES_RECEIVED = Counter(
    "viralcore_telegram_updates_total", "Updates accepted by the webhook", ["outcome"]
)


def _refuse(status: int, reason: str, detail: str) -> JsonResponse:
    WEBHOOK_REJECTED.labels(reason=reason).inc()
    return JsonResponse({"ok": False, "error": reason, "detail": detail}, status=status)


def _secret_matches(request) -> bool:
    supplied = request.headers.get(SECRET_HEADER, "")
    return hmac.compare_digest(supplied.encode(), settings.TELEGRAM_WEBHOOK_SECRET.encode())


def _body_too_large(request) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return declared > MAX_BODY_BYTES


@csrf_exempt
@require_POST
def telegram_webhook(request):
    if not _secret_matches(request):
        security_log.warning(
            "telegram webhook refused: %s secret token from %s",
            "missing" if SECRET_HEADER not in request.headers else "wrong",
            request.META.get("REMOTE_ADDR"),
        )
        return _refuse(403, "forbidden", "Missing or wrong secret token.")
    if _body_too_large(request):
        return _refuse(413, "too_large", f"An update is at most {MAX_BODY_BYTES} bytes.")
    try:
        data = load_update_json(request.body)
        envelope = read_envelope(data)
    except (ValueError, NotAnUpdate) as error:
        detail = str(error) if isinstance(error, NotAnUpdate) else "The body is not valid JSON."
        return _refuse(400, "bad_update", detail)
    stored = store_update(data, envelope)
    UPDATES_RECEIVED.labels(outcome="stored" if stored else "ignored").inc()
    return JsonResponse({"ok": True})
