"""The staff "bot chat" page: talk to our bot as a fake Telegram user, through the real webhook.

Sending builds a Telegram-shaped Update and POSTs it to our own `/telegram/webhook/` with the
webhook secret, exactly as Telegram would; the bot's answers come back through the fake Bot API
(SentMessage) and the page polls them. Staff only, and only while SANDBOX is on.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from apps.sandbox import selectors, services, updates
from apps.sandbox.guards import sandbox_only
from apps.sandbox.models import SandboxPersona, SentMessage, UploadedFile
from apps.sandbox.telegram_api import run_webhook_reply

WEBHOOK_PATH = "/telegram/webhook/"


def _page(request, *, persona=None, form_errors=None, form_values=None, status=200):
    context = {
        **admin.site.each_context(request),
        "title": "Bot chat (sandbox)",
        "personas": selectors.personas(),
        "persona": persona,
        "form_errors": form_errors or {},
        "form_values": form_values or {},
        "webhook_url": request.build_absolute_uri(WEBHOOK_PATH),
    }
    return render(request, "sandbox/chat.html", context, status=status)


@sandbox_only
@staff_member_required
@ensure_csrf_cookie
@never_cache
@require_GET
def chat_page(request):
    persona = None
    chosen = request.GET.get("persona", "")
    if chosen.isdigit():
        persona = SandboxPersona.objects.filter(telegram_id=int(chosen)).first()
    return _page(request, persona=persona)


@sandbox_only
@staff_member_required
@require_POST
def create_persona(request):
    values = {
        name: request.POST.get(name, "").strip()
        for name in ("telegram_id", "first_name", "username")
    }
    try:
        telegram_id = int(values["telegram_id"])
    except ValueError:
        telegram_id = -1
    try:
        persona = services.create_persona(
            telegram_id=telegram_id, first_name=values["first_name"], username=values["username"]
        )
    except ValidationError as error:
        return _page(
            request,
            form_errors=error.message_dict,
            form_values=values,
            status=HTTPStatus.BAD_REQUEST,
        )
    return redirect(f"{reverse('sandbox:chat')}?persona={persona.telegram_id}")


@sandbox_only
@staff_member_required
@never_cache
@require_GET
def conversation(request, telegram_id: int):
    persona = get_object_or_404(SandboxPersona, telegram_id=telegram_id)
    return JsonResponse(selectors.conversation(persona))


def _body(request) -> dict:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return request.POST.dict()


def _deliver(request, inbound) -> JsonResponse:
    """POST the update to our webhook; the answer says what the webhook did with it."""
    delivery = updates.deliver(
        inbound.payload,
        url=request.build_absolute_uri(WEBHOOK_PATH),
        secret_token=settings.TELEGRAM_WEBHOOK_SECRET,
    )
    message = delivery.message
    if delivery.reply is not None:
        _status, body = run_webhook_reply(delivery.reply)
        outcome = "ok" if body["ok"] else body.get("description", "failed")
        message += f"; its reply {delivery.reply['method']} → {outcome}"
    services.record_delivery(inbound, status=delivery.status, message=message)
    if not delivery.ok:
        # What Telegram's getWebhookInfo would show after such a delivery.
        services.record_webhook_error(
            f"Wrong response from the webhook: {delivery.status} {updates.reason(delivery.status)}"
            if delivery.status
            else message
        )
    return JsonResponse(
        {
            "update": inbound.payload,
            "delivery": {"status": delivery.status, "ok": delivery.ok, "message": message},
        }
    )


def _invalid(error: ValidationError) -> JsonResponse:
    messages = [text for texts in error.message_dict.values() for text in texts]
    return JsonResponse(
        {"error": " ".join(messages), "fields": error.message_dict},
        status=HTTPStatus.BAD_REQUEST,
    )


@sandbox_only
@staff_member_required
@require_POST
def send_text(request, telegram_id: int):
    persona = get_object_or_404(SandboxPersona, telegram_id=telegram_id)
    try:
        inbound = services.record_persona_message(
            persona=persona, text=str(_body(request).get("text", ""))
        )
    except ValidationError as error:
        return _invalid(error)
    return _deliver(request, inbound)


@sandbox_only
@staff_member_required
@require_POST
def press_button(request, telegram_id: int):
    persona = get_object_or_404(SandboxPersona, telegram_id=telegram_id)
    body = _body(request)
    try:
        message_id = int(body.get("message_id"))
    except (TypeError, ValueError):
        message_id = 0
    message = SentMessage.objects.filter(chat_id=telegram_id, message_id=message_id).first()
    if message is None:
        return _invalid(ValidationError({"message_id": "The bot sent no such message here."}))
    try:
        inbound = services.record_button_press(
            persona=persona, message=message, callback_data=str(body.get("callback_data", ""))
        )
    except ValidationError as error:
        return _invalid(error)
    return _deliver(request, inbound)


@sandbox_only
@staff_member_required
@require_GET
def photo(request, pk: int):
    upload = get_object_or_404(UploadedFile, pk=pk, content__isnull=False)
    response = HttpResponse(bytes(upload.content), content_type=upload.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
