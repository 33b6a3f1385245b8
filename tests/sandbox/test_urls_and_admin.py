"""The sandbox exists only with SANDBOX on; its admin serves staff."""

from __future__ import annotations

import importlib

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, clear_url_caches, reverse

import viralcore.urls
from apps.sandbox.failures import inject_failure
from apps.sandbox.models import InjectedFailure

pytestmark = pytest.mark.django_db


def _reload_urls():
    clear_url_caches()
    importlib.reload(viralcore.urls)


def test_the_sandbox_urls_are_absent_when_the_sandbox_is_off(client, superuser):
    client.force_login(superuser)
    try:
        with override_settings(SANDBOX=False):
            _reload_urls()
            with pytest.raises(NoReverseMatch):
                reverse("sandbox:chat")
            assert client.get("/sandbox/chat/").status_code == 404
            assert client.post("/sandbox/telegram/bot123456:sandbox-token/getMe").status_code == 404
    finally:
        _reload_urls()
    assert reverse("sandbox:chat") == "/sandbox/chat/"


def test_the_views_refuse_to_serve_when_the_sandbox_is_switched_off_late(client, superuser):
    client.force_login(superuser)

    with override_settings(SANDBOX=False):
        page = client.get("/sandbox/chat/")
        api = client.post("/sandbox/telegram/bot123456:sandbox-token/getMe")

    assert (page.status_code, api.status_code) == (404, 404)


def test_staff_can_inject_a_failure_in_the_admin(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:sandbox_injectedfailure_add"),
        {"method": "sendMessage", "kind": "http_429", "retry_after": "3", "remaining": "2"},
    )
    refused = client.post(
        reverse("admin:sandbox_injectedfailure_add"),
        {"method": "sendMessage", "kind": "http_429", "retry_after": "", "remaining": "1"},
    )

    assert response.status_code == 302
    failure = InjectedFailure.objects.get()
    assert (failure.kind, failure.retry_after, failure.remaining) == ("http_429", 3, 2)
    assert refused.status_code == 200
    assert "needs retry_after" in refused.content.decode()


def test_inject_failure_checks_its_arguments():
    with pytest.raises(ValueError, match="Unknown failure kind"):
        inject_failure("sendMessage", "http_418")
    with pytest.raises(ValueError, match="retry_after"):
        inject_failure("sendMessage", "http_429")
    with pytest.raises(ValueError, match="delay"):
        inject_failure("sendMessage", "delay_seconds")


def test_the_records_change_pages_answer(client, superuser, persona):
    from apps.sandbox import services

    services.record_sent_message(chat_id=persona.telegram_id, method="sendMessage", text="hi")
    services.record_persona_message(persona=persona, text="/start")
    client.force_login(superuser)

    for name, pk in [
        ("sentmessage", services.SentMessage.objects.get().pk),
        ("inboundupdate", services.InboundUpdate.objects.get().pk),
        ("sandboxpersona", persona.pk),
    ]:
        response = client.get(reverse(f"admin:sandbox_{name}_change", args=[pk]))
        assert response.status_code == 200, name
    assert (
        client.get(reverse("admin:sandbox_sentmessage_changelist"), {"q": "abc"}).status_code == 200
    )


def test_reset_sandbox_forgets_everything_but_kept_personas(persona):
    from apps.sandbox import services, testing

    testing.create_persona(telegram_id=5, first_name="Temp")

    services.record_sent_message(chat_id=persona.telegram_id, method="sendMessage", text="hi")
    testing.inject_failure("getMe", "http_500")
    testing.set_chat_member(-100, persona.telegram_id, "member")

    testing.reset_sandbox(keep_personas=True)

    assert testing.sent_to(persona.telegram_id) == []
    assert testing.api_calls() == []
    assert not InjectedFailure.objects.exists()
    assert services.SandboxPersona.objects.count() == 2
    assert services.next_message_id(persona.telegram_id) == 1
    testing.reset_sandbox()
    assert not services.SandboxPersona.objects.exists()
