"""The staff bot chat page: access, personas, and Updates delivered along the real webhook path."""

from __future__ import annotations

import httpx
import pytest
from django.conf import settings
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from apps.sandbox import services
from apps.sandbox.models import InboundUpdate, SandboxPersona, SentMessage
from apps.sandbox.selectors import sent_to
from apps.sandbox.telegram_objects import chat_instance
from tests.factories import StaffUserFactory
from tests.sandbox import urls_stub_webhook
from tests.sandbox.conftest import png

CHAT_URL = "/sandbox/chat/"
live = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_http(live_server, client):
    """An httpx client logged in as staff, sending the CSRF token the way the page's JS does."""
    client.force_login(StaffUserFactory())
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with httpx.Client(
        base_url=live_server.url, cookies={settings.SESSION_COOKIE_NAME: session}, timeout=20
    ) as http:
        assert http.get(CHAT_URL).status_code == 200
        http.headers["X-CSRFToken"] = http.cookies["csrftoken"]
        yield http


@pytest.fixture
def stub_webhook(settings):
    settings.ROOT_URLCONF = "tests.sandbox.urls_stub_webhook"
    urls_stub_webhook.received.clear()
    yield urls_stub_webhook.received
    urls_stub_webhook.received.clear()


# --- access ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(CHAT_URL)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={CHAT_URL}"


@pytest.mark.django_db
def test_logged_in_non_staff_are_sent_to_the_admin_login_and_cannot_post(client):
    client.force_login(StaffUserFactory(is_staff=False))

    page = client.get(CHAT_URL)
    created = client.post(
        "/sandbox/chat/personas/", {"telegram_id": "5", "first_name": "Eve", "username": ""}
    )

    assert page.status_code == 302 and page["Location"].startswith("/admin/login/")
    assert created.status_code == 302
    assert not SandboxPersona.objects.exists()


@pytest.mark.django_db
def test_staff_see_the_page_with_the_personas(client, persona):
    client.force_login(StaffUserFactory())

    response = client.get(CHAT_URL, {"persona": persona.telegram_id})

    assert response.status_code == 200
    body = response.content.decode()
    assert "ada_tester" in body
    assert f"/sandbox/chat/{persona.telegram_id}/conversation/" in body
    assert "csrftoken" in response.cookies


@pytest.mark.django_db
def test_the_chat_posts_need_the_csrf_token(persona):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(StaffUserFactory())

    response = strict.post(
        f"/sandbox/chat/{persona.telegram_id}/send/",
        {"text": "hi"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not InboundUpdate.objects.exists()


# --- personas --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_creating_a_persona_opens_its_chat(client):
    client.force_login(StaffUserFactory())

    response = client.post(
        "/sandbox/chat/personas/",
        {"telegram_id": "100000001", "first_name": "Bola", "username": "@bola_ng"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{CHAT_URL}?persona=100000001"
    persona = SandboxPersona.objects.get()
    assert (persona.telegram_id, persona.first_name, persona.username) == (
        100000001,
        "Bola",
        "bola_ng",
    )


@pytest.mark.django_db
def test_a_persona_with_a_bad_or_taken_id_is_refused_with_the_reason(client, persona):
    client.force_login(StaffUserFactory())

    taken = client.post(
        "/sandbox/chat/personas/",
        {"telegram_id": str(persona.telegram_id), "first_name": "Dup", "username": ""},
    )
    bad = client.post(
        "/sandbox/chat/personas/", {"telegram_id": "abc", "first_name": "", "username": "x!"}
    )

    assert taken.status_code == 400
    assert "already exists" in taken.content.decode()
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "positive whole number" in body and "First name" in body and "Username" in body
    assert SandboxPersona.objects.count() == 1


# --- delivery through the webhook ------------------------------------------------------------


@live
def test_a_command_is_posted_to_the_webhook_as_telegram_would(staff_http, persona, stub_webhook):
    response = staff_http.post(
        f"/sandbox/chat/{persona.telegram_id}/send/", json={"text": "/start ref_100000001"}
    )

    assert response.status_code == 200
    inbound = InboundUpdate.objects.get()
    assert len(stub_webhook) == 1
    received = stub_webhook[0]
    assert received["headers"]["X-Telegram-Bot-Api-Secret-Token"] == (
        settings.TELEGRAM_WEBHOOK_SECRET
    )
    assert received["headers"]["Content-Type"] == "application/json"
    # The message's date is taken when the update is built, created_at when it is stored: the
    # two may straddle a second.
    sent_date = received["update"]["message"].pop("date")
    assert 0 <= int(inbound.created_at.timestamp()) - sent_date <= 1
    assert received["update"] == {
        "update_id": inbound.update_id,
        "message": {
            "message_id": 1,
            "from": {
                "id": 700_000_001,
                "is_bot": False,
                "first_name": "Ada",
                "username": "ada_tester",
            },
            "chat": {
                "id": 700_000_001,
                "first_name": "Ada",
                "username": "ada_tester",
                "type": "private",
            },
            "text": "/start ref_100000001",
            "entities": [{"offset": 0, "length": 6, "type": "bot_command"}],
        },
    }
    answered = response.json()["update"]
    assert answered["message"].pop("date") == sent_date
    assert answered == received["update"]
    delivery = response.json()["delivery"]
    assert delivery["status"] == 200 and delivery["ok"] is True
    assert delivery["message"] == "delivered: webhook answered 200; its reply sendMessage → ok"
    # The webhook's reply was executed like Telegram does: the bot's answer is the next message.
    assert [(m.message_id, m.text) for m in sent_to(persona.telegram_id)] == [(2, "pong")]


@live
def test_update_ids_increase_and_follow_the_database(staff_http, persona, stub_webhook):
    for text in ("one", "two"):
        staff_http.post(f"/sandbox/chat/{persona.telegram_id}/send/", json={"text": text})

    first, second = (entry["update"] for entry in stub_webhook)
    assert second["update_id"] == first["update_id"] + 1
    assert "entities" not in first["message"]
    # Message ids are shared with the bot's answers in the same private chat: 1, (2), 3.
    assert (first["message"]["message_id"], second["message"]["message_id"]) == (1, 3)


@live
def test_a_button_press_is_posted_as_a_callback_query(staff_http, persona, stub_webhook, call_bot):
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Buy plan", callback_data="plan:buy:1")]]
    )
    sent = call_bot(
        lambda bot: bot.send_message(persona.telegram_id, "Choose a plan", reply_markup=keyboard)
    )

    response = staff_http.post(
        f"/sandbox/chat/{persona.telegram_id}/press/",
        json={"message_id": sent.message_id, "callback_data": "plan:buy:1"},
    )

    assert response.status_code == 200
    inbound = InboundUpdate.objects.get()
    message = SentMessage.objects.get(chat_id=persona.telegram_id, message_id=sent.message_id)
    assert stub_webhook[0]["update"] == {
        "update_id": inbound.update_id,
        "callback_query": {
            "id": inbound.callback_query_id,
            "from": {
                "id": 700_000_001,
                "is_bot": False,
                "first_name": "Ada",
                "username": "ada_tester",
            },
            "message": {
                "message_id": sent.message_id,
                "from": {
                    "id": int(settings.TELEGRAM_BOT_TOKEN.split(":")[0]),
                    "is_bot": True,
                    "first_name": "ViralCore Sandbox Bot",
                    "username": "viralcore_sandbox_bot",
                },
                "chat": {
                    "id": 700_000_001,
                    "first_name": "Ada",
                    "username": "ada_tester",
                    "type": "private",
                },
                "date": int(message.created_at.timestamp()),
                "text": "Choose a plan",
                "reply_markup": {
                    "inline_keyboard": [[{"text": "Buy plan", "callback_data": "plan:buy:1"}]]
                },
            },
            "chat_instance": chat_instance(persona.telegram_id),
            "data": "plan:buy:1",
        },
    }
    assert inbound.callback_query_id.isdigit()
    # The stub answered the query in its webhook reply; the page shows the bot's answer.
    conversation = staff_http.get(f"/sandbox/chat/{persona.telegram_id}/conversation/").json()
    press = next(item for item in conversation["items"] if item["kind"] == "press")
    assert press["answer"] == {"text": "Plan bought", "show_alert": False, "url": ""}
    assert press["button_text"] == "Buy plan"
    bot_item = next(item for item in conversation["items"] if item["kind"] == "bot")
    assert bot_item["keyboard"] == [
        [{"text": "Buy plan", "kind": "callback_data", "callback_data": "plan:buy:1"}]
    ]


@pytest.mark.django_db
def test_pressing_a_button_that_is_not_on_the_message_is_refused(client, persona):
    sent = services.record_sent_message(
        chat_id=persona.telegram_id, method="sendMessage", text="No buttons here"
    )
    client.force_login(StaffUserFactory())

    wrong_button = client.post(
        f"/sandbox/chat/{persona.telegram_id}/press/",
        {"message_id": sent.message_id, "callback_data": "plan:buy:1"},
        content_type="application/json",
    )
    wrong_message = client.post(
        f"/sandbox/chat/{persona.telegram_id}/press/",
        {"message_id": 99, "callback_data": "plan:buy:1"},
        content_type="application/json",
    )

    assert wrong_button.status_code == 400
    assert wrong_button.json()["error"] == "That button is no longer on the message."
    assert wrong_message.json()["error"] == "The bot sent no such message here."
    assert not InboundUpdate.objects.exists()


@live
def test_a_missing_webhook_is_reported_with_its_status(staff_http, persona, settings, call_bot):
    settings.ROOT_URLCONF = "tests.sandbox.urls_without_webhook"

    response = staff_http.post(f"/sandbox/chat/{persona.telegram_id}/send/", json={"text": "hi"})

    assert response.status_code == 200
    delivery = response.json()["delivery"]
    assert delivery["status"] == 404 and delivery["ok"] is False
    assert delivery["message"].startswith("webhook answered 404 Not Found")
    assert "POST /telegram/webhook/" in delivery["message"]
    assert InboundUpdate.objects.get().delivery_status == 404
    info = call_bot(lambda bot: bot.get_webhook_info())
    assert info.last_error_message is None  # no webhook registered: Telegram shows no error
    persona_item = staff_http.get(f"/sandbox/chat/{persona.telegram_id}/conversation/").json()
    assert persona_item["items"][0]["delivery"]["message"] == delivery["message"]


@live
def test_the_conversation_shows_edits_deletions_photos_and_reply_keyboards(
    staff_http, persona, call_bot
):
    async def bot_side(bot):
        edited = await bot.send_message(persona.telegram_id, "*Pending*", parse_mode="MarkdownV2")
        await bot.edit_message_text(
            "<b>Paid</b>",
            chat_id=persona.telegram_id,
            message_id=edited.message_id,
            parse_mode="HTML",
        )
        gone = await bot.send_message(persona.telegram_id, "Oops")
        await bot.delete_message(persona.telegram_id, gone.message_id)
        await bot.send_photo(persona.telegram_id, photo=png(), caption="Receipt")
        await bot.send_message(
            persona.telegram_id, "Menu", reply_markup=ReplyKeyboardMarkup([["Balance", "Help"]])
        )

    call_bot(bot_side)

    data = staff_http.get(f"/sandbox/chat/{persona.telegram_id}/conversation/").json()
    paid, oops, photo, menu = data["items"]
    assert (paid["html"], paid["edited"], paid["previous_texts"]) == (
        "<b>Paid</b>",
        True,
        ["Pending"],
    )
    assert oops["deleted"] is True
    assert photo["html"] == "Receipt"
    image = staff_http.get(photo["photo_url"])
    assert image.headers["content-type"] == "image/png" and image.content == png()
    assert menu["keyboard"] == []
    assert data["reply_keyboard"] == [["Balance", "Help"]]


@pytest.mark.django_db
def test_a_message_over_telegrams_limit_is_refused_before_delivery(client, persona):
    client.force_login(StaffUserFactory())

    response = client.post(
        f"/sandbox/chat/{persona.telegram_id}/send/",
        {"text": "x" * 4097},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "4096" in response.json()["error"]
    assert not InboundUpdate.objects.exists()


def test_services_refuse_an_empty_message(persona):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.record_persona_message(persona=persona, text="   ")


@pytest.mark.django_db
def test_the_polled_conversation_stays_within_a_fixed_number_of_queries(
    client, persona, django_assert_max_num_queries
):
    for number in range(20):
        services.record_sent_message(
            chat_id=persona.telegram_id,
            method="sendMessage",
            text=f"message {number}",
            reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": f"a{number}"}]]},
        )
        services.record_persona_message(persona=persona, text=f"reply {number}")
    client.force_login(StaffUserFactory())

    with django_assert_max_num_queries(8):
        response = client.get(f"/sandbox/chat/{persona.telegram_id}/conversation/")

    assert len(response.json()["items"]) == 40
    assert client.get("/sandbox/chat/1/conversation/").status_code == 404
