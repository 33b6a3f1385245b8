"""The fake Bot API's wire format: envelopes, encodings and Telegram's error texts."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from apps.sandbox.failures import inject_failure
from apps.sandbox.models import ApiCall, InjectedFailure, SentMessage

pytestmark = pytest.mark.django_db
CHAT_ID = 700_000_002


def url(method: str, token: str | None = None) -> str:
    return f"/sandbox/telegram/bot{token or settings.TELEGRAM_BOT_TOKEN}/{method}"


def post_json(client, method, body, token=None):
    return client.post(url(method, token), json.dumps(body), content_type="application/json")


def test_a_wrong_token_gets_telegrams_401_envelope(client):
    response = client.post(url("getMe", "123456:wrong"))

    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


def test_an_unknown_method_gets_telegrams_404_envelope(client):
    response = client.post(url("sendTelepathy"))

    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert ApiCall.objects.get().method == "sendTelepathy"


def test_json_bodies_query_strings_and_any_method_case_are_accepted(client):
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    sent = post_json(
        client, "SENDMESSAGE", {"chat_id": CHAT_ID, "text": "typed", "reply_markup": markup}
    )
    got = client.get(url("getMe"))
    form = client.post(url("sendMessage"), {"chat_id": str(CHAT_ID), "text": "form"})

    assert sent.status_code == 200
    assert sent.json()["result"]["reply_markup"] == markup
    assert got.json()["result"]["is_bot"] is True
    assert form.json()["result"]["message_id"] == 2
    assert SentMessage.objects.get(message_id=1).reply_markup == markup


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": "abc", "text": "x"}, "Bad Request: chat not found"),
        ({"chat_id": CHAT_ID}, "Bad Request: message text is empty"),
        ({"chat_id": CHAT_ID, "text": "x" * 4097}, "Bad Request: message is too long"),
        (
            {"chat_id": CHAT_ID, "text": "x", "parse_mode": "BBCode"},
            "Bad Request: unsupported parse_mode",
        ),
        (
            {"chat_id": CHAT_ID, "text": "<p>x</p>", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0',
        ),
        (
            {"chat_id": CHAT_ID, "text": "x", "reply_markup": "{not json"},
            "Bad Request: can't parse reply keyboard markup JSON object",
        ),
        (
            {
                "chat_id": CHAT_ID,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "t"}]]},
            },
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard",
        ),
        (
            {
                "chat_id": CHAT_ID,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "t", "url": "javascript:x"}]]},
            },
            "Bad Request: BUTTON_URL_INVALID",
        ),
    ],
)
def test_send_message_refusals_carry_telegrams_descriptions(client, body, description):
    response = post_json(client, "sendMessage", body)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_code": 400, "description": description}
    assert not SentMessage.objects.exists()


def test_text_length_counts_after_entity_parsing(client):
    text = "*" + "a" * 4096 + "*"

    response = post_json(
        client, "sendMessage", {"chat_id": CHAT_ID, "text": text, "parse_mode": "MarkdownV2"}
    )

    assert response.json()["result"]["text"] == "a" * 4096


def test_answering_an_unknown_callback_query_is_refused(client):
    response = post_json(client, "answerCallbackQuery", {"callback_query_id": "123"})

    assert response.json()["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


def test_get_updates_conflicts_with_a_webhook(client):
    assert post_json(client, "getUpdates", {}).json() == {"ok": True, "result": []}
    post_json(client, "setWebhook", {"url": "https://bot.example.com/hook"})

    response = post_json(client, "getUpdates", {})

    assert response.status_code == 409
    assert response.json()["description"].startswith("Conflict: can't use getUpdates method")


def test_set_webhook_says_whether_anything_changed(client):
    first = post_json(client, "setWebhook", {"url": "https://bot.example.com/hook"})
    again = post_json(client, "setWebhook", {"url": "https://bot.example.com/hook"})
    removed = post_json(client, "setWebhook", {"url": ""})

    assert first.json() == {"ok": True, "result": True, "description": "Webhook was set"}
    assert again.json()["description"] == "Webhook is already set"
    assert removed.json()["description"] == "Webhook was deleted"


def test_a_failure_for_any_method_is_used_up_in_order(client):
    inject_failure("*", "http_500", times=2)
    inject_failure("getMe", "http_403_blocked")

    statuses = [client.post(url(method)).status_code for method in ("getMe", "getWebhookInfo")]
    blocked = client.post(url("getMe"))
    normal = client.post(url("getMe"))

    assert statuses == [500, 500]
    assert blocked.status_code == 403
    assert blocked.json()["description"] == "Forbidden: bot was blocked by the user"
    assert normal.status_code == 200
    assert list(InjectedFailure.objects.values_list("remaining", flat=True)) == [0, 0]


def test_a_502_is_an_html_page_as_from_telegrams_proxy(client):
    inject_failure("getMe", "http_502")

    response = client.get(url("getMe"))

    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/html")
    assert b"502 Bad Gateway" in response.content
