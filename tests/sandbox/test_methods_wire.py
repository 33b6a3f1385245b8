"""The other Bot API methods of the fake, over Django's test client (no live server needed)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from apps.sandbox import services
from apps.sandbox.models import ChatMember, InboundUpdate, SentMessage
from apps.sandbox.telegram_objects import chat_member_json

pytestmark = pytest.mark.django_db
KEYBOARD = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}


def call(client, method, **params):
    response = client.post(
        f"/sandbox/telegram/bot{settings.TELEGRAM_BOT_TOKEN}/{method}",
        json.dumps(params),
        content_type="application/json",
    )
    return response.json()


def test_edit_message_reply_markup_swaps_the_keyboard_once(client, persona):
    sent = call(
        client, "sendMessage", chat_id=persona.telegram_id, text="Pick", reply_markup=KEYBOARD
    )
    message_id = sent["result"]["message_id"]
    other = {"inline_keyboard": [[{"text": "B", "url": "https://example.com"}]]}

    changed = call(
        client,
        "editMessageReplyMarkup",
        chat_id=persona.telegram_id,
        message_id=message_id,
        reply_markup=other,
    )
    same = call(
        client,
        "editMessageReplyMarkup",
        chat_id=persona.telegram_id,
        message_id=message_id,
        reply_markup=other,
    )

    assert changed["result"]["reply_markup"] == other
    assert same["description"].startswith("Bad Request: message is not modified")


def test_a_reply_keyboard_survives_edits_and_is_not_echoed(client, persona):
    keyboard = {"keyboard": [["Balance"]], "resize_keyboard": True}
    sent = call(
        client, "sendMessage", chat_id=persona.telegram_id, text="Menu", reply_markup=keyboard
    )

    edited = call(
        client,
        "editMessageText",
        chat_id=persona.telegram_id,
        message_id=sent["result"]["message_id"],
        text="Main menu",
    )

    assert "reply_markup" not in sent["result"]
    assert edited["result"]["text"] == "Main menu"
    assert SentMessage.objects.get().reply_markup == {
        "keyboard": [[{"text": "Balance"}]],
        "resize_keyboard": True,
    }


def test_the_bot_may_delete_but_not_edit_the_users_messages(client, persona):
    incoming = services.record_persona_message(persona=persona, text="hello")

    edit = call(
        client,
        "editMessageText",
        chat_id=persona.telegram_id,
        message_id=incoming.message_id,
        text="changed",
    )
    deleted = call(
        client, "deleteMessage", chat_id=persona.telegram_id, message_id=incoming.message_id
    )

    assert edit["description"] == "Bad Request: message can't be edited"
    assert deleted == {"ok": True, "result": True}
    assert InboundUpdate.objects.get().deleted is True


def test_edits_need_a_message_identifier_and_a_text_message(client, persona):
    photo_id = services.store_photo_url("https://example.com/p.jpg").file_id
    photo = call(client, "sendPhoto", chat_id=persona.telegram_id, photo=photo_id)

    missing = call(client, "editMessageText", chat_id=persona.telegram_id, text="x")
    on_photo = call(
        client,
        "editMessageText",
        chat_id=persona.telegram_id,
        message_id=photo["result"]["message_id"],
        text="x",
    )
    inline = call(client, "editMessageText", inline_message_id="abc", text="x")

    assert photo["result"]["photo"][0]["width"] == 800
    assert missing["description"] == "Bad Request: message identifier is not specified"
    assert on_photo["description"] == "Bad Request: there is no text in the message to edit"
    assert inline["description"] == "Bad Request: message to edit not found"


def test_photos_by_url_and_missing_photos(client, persona):
    by_url = call(client, "sendPhoto", chat_id=persona.telegram_id, photo="https://e.com/a.png")
    missing = call(client, "sendPhoto", chat_id=persona.telegram_id)
    long_caption = call(
        client,
        "sendPhoto",
        chat_id=persona.telegram_id,
        photo="https://e.com/a.png",
        caption="c" * 1025,
    )

    assert by_url["ok"] is True
    assert missing["description"] == "Bad Request: there is no photo in the request"
    assert long_caption["description"] == "Bad Request: message caption is too long"


def test_channel_usernames_and_groups_get_their_chat_types(client):
    channel = call(client, "sendMessage", chat_id="@viralcore_news", text="Post")
    group = call(client, "sendMessage", chat_id=-4_000_123, text="Hi group")
    bad = call(client, "sendMessage", chat_id="@x", text="?")

    assert channel["result"]["chat"]["type"] == "channel"
    assert channel["result"]["chat"]["username"] == "viralcore_news"
    assert channel["result"]["chat"]["id"] < -1_000_000_000_000
    assert group["result"]["chat"] == {
        "id": -4_000_123,
        "title": "Sandbox group -4000123",
        "type": "group",
    }
    assert bad["description"] == "Bad Request: chat not found"


def test_chat_actions_commands_and_callback_answers(client, persona):
    sent = call(
        client, "sendMessage", chat_id=persona.telegram_id, text="Pick", reply_markup=KEYBOARD
    )
    press = services.record_button_press(
        persona=persona,
        message=SentMessage.objects.get(message_id=sent["result"]["message_id"]),
        callback_data="a",
    )

    action = call(client, "sendChatAction", chat_id=persona.telegram_id, action="typing")
    no_action = call(client, "sendChatAction", chat_id=persona.telegram_id)
    commands = call(client, "setMyCommands", commands=[{"command": "start", "description": "Go"}])
    bad_commands = call(client, "setMyCommands", commands="[{]")
    answered = call(
        client,
        "answerCallbackQuery",
        callback_query_id=press.callback_query_id,
        text="Done",
        show_alert=True,
    )
    again = call(client, "answerCallbackQuery", callback_query_id=press.callback_query_id)
    too_long = call(client, "answerCallbackQuery", callback_query_id="1", text="x" * 201)

    assert (action["result"], commands["result"], answered["result"]) == (True, True, True)
    assert no_action["ok"] is False and bad_commands["ok"] is False
    assert again["ok"] is False
    assert too_long["description"] == "Bad Request: MESSAGE_TOO_LONG"
    press.refresh_from_db()
    assert (press.answer_text, press.answer_show_alert) == ("Done", True)


def test_webhook_info_reports_the_last_delivery_error(client):
    call(client, "setWebhook", url="http://127.0.0.1:8000/telegram/webhook/", ip_address="1.2.3.4")
    services.record_webhook_error("Wrong response from the webhook: 502 Bad Gateway")

    info = call(client, "getWebhookInfo")["result"]
    bad_port = call(client, "setWebhook", url="https://bot.example.com:9000/hook")
    garbage = call(client, "setWebhook", url="not a url")

    assert info["url"] == "http://127.0.0.1:8000/telegram/webhook/"
    assert info["ip_address"] == "1.2.3.4"
    assert info["last_error_message"] == "Wrong response from the webhook: 502 Bad Gateway"
    assert info["max_connections"] == 40
    assert "allowed_updates" not in info
    assert bad_port["description"].endswith("only on ports 80, 88, 443 or 8443")
    assert garbage["description"].startswith("Bad Request: bad webhook: Failed to resolve host")


def test_allowed_updates_are_kept_when_omitted_or_unparsable(client):
    url = "https://bot.example.com/hook"
    call(client, "setWebhook", url=url, allowed_updates=["message", "nonsense"])
    call(client, "setWebhook", url=url, allowed_updates="{broken")
    kept = call(client, "getWebhookInfo")["result"]["allowed_updates"]
    call(client, "setWebhook", url=url, allowed_updates=[])

    assert kept == ["message"]
    assert call(client, "getWebhookInfo")["result"]["allowed_updates"] == []


@pytest.mark.parametrize("status", ["creator", "restricted", "kicked"])
def test_chat_member_objects_carry_the_fields_ptb_requires(persona, status):
    from telegram import ChatMember as PtbChatMember

    services.set_chat_member(-100_123, persona.telegram_id, status)

    member = PtbChatMember.de_json(chat_member_json(-100_123, persona.telegram_id), bot=None)

    assert member.status == status
    assert ChatMember.objects.get().status == status


def test_get_chat_member_needs_a_user(client):
    refused = call(client, "getChatMember", chat_id=-100_123, user_id=-5)

    assert refused["description"] == "Bad Request: invalid user_id specified"
