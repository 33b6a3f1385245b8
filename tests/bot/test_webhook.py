"""POST /telegram/webhook/: only Telegram gets in, every update is stored once, fast."""

import json

import pytest
from django.conf import settings

from apps.bot.models import TelegramUpdate
from apps.bot.webhook import MAX_BODY_BYTES, SECRET_HEADER
from tests.bot.telegram_updates import message_update

pytestmark = pytest.mark.django_db
URL = "/telegram/webhook/"


def deliver(client, body, *, secret=None, raw=False):
    headers = {}
    if secret is not False:
        headers[SECRET_HEADER] = secret or settings.TELEGRAM_WEBHOOK_SECRET
    data = body if raw else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", headers=headers)


@pytest.mark.parametrize("secret", [False, "wrong-secret", ""])
def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_stored(client, secret, caplog):
    response = deliver(client, message_update("/start"), secret=secret if secret else False)
    assert response.status_code == 403
    assert TelegramUpdate.objects.count() == 0
    assert "telegram webhook refused" in caplog.text


def test_a_good_update_is_stored_and_answered_at_once(client):
    update = message_update("/start")
    response = deliver(client, update)
    assert response.status_code == 200
    stored = TelegramUpdate.objects.get()
    assert (stored.update_id, stored.kind, stored.chat_id) == (
        update["update_id"],
        "message",
        5123456789,
    )
    assert stored.status == "pending"


def test_the_same_update_delivered_five_times_is_stored_once(client):
    update = message_update("/start")
    for _ in range(5):
        assert deliver(client, update).status_code == 200
    assert TelegramUpdate.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("{not json", "not valid JSON"),
        ('{"update_id": NaN}', "not valid JSON"),  # Python reads it; JSON and jsonb do not
        ('{"update_id": 8, "message": {"chat": {"id": -Infinity}}}', "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"message": {}}', "positive integer update_id"),
        ('{"update_id": -4}', "positive integer update_id"),
        ('{"update_id": 7, "message": "hello"}', "message of an update is a JSON object"),
    ],
)
def test_a_body_that_is_not_an_update_is_a_400_and_stores_nothing(client, body, detail):
    response = deliver(client, body, raw=True)
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert TelegramUpdate.objects.count() == 0


@pytest.mark.parametrize("unstorable", ["\u0000", "\ud800", "\udfff"])
def test_characters_postgresql_cannot_store_become_replacement_characters(client, unstorable):
    update = message_update(f"a{unstorable}b")
    response = deliver(client, update)  # json.dumps writes them as escapes, e.g. \\u0000
    assert response.status_code == 200
    stored = TelegramUpdate.objects.get(update_id=update["update_id"])
    assert stored.payload["message"]["text"] == "a\ufffdb"


def test_an_emoji_written_as_a_surrogate_pair_is_stored_as_sent(client):
    update = message_update("hi \U0001f600")  # json.dumps: "hi \\ud83d\\ude00"
    assert deliver(client, update).status_code == 200
    stored = TelegramUpdate.objects.get(update_id=update["update_id"])
    assert stored.payload["message"]["text"] == "hi \U0001f600"


def test_an_oversized_body_is_refused_before_parsing(client):
    update = message_update("x" * (MAX_BODY_BYTES + 10))
    response = deliver(client, update)
    assert response.status_code == 413
    assert TelegramUpdate.objects.count() == 0


def test_update_types_the_bot_does_not_use_are_acknowledged_and_dropped(client):
    poll = {"update_id": 77, "poll": {"id": "1", "question": "?", "options": []}}
    unknown = {"update_id": 78, "brand_new_update_type": {"x": 1}}
    assert deliver(client, poll).status_code == 200
    assert deliver(client, unknown).status_code == 200
    assert TelegramUpdate.objects.count() == 0


def test_only_post_is_accepted(client):
    assert client.get(URL).status_code == 405
