"""The fake Bot API driven by python-telegram-bot over real HTTP (live_server)."""

from __future__ import annotations

import datetime as dtm
import time

import pytest
from django.conf import settings
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError

from apps.sandbox import services
from apps.sandbox.failures import inject_failure
from apps.sandbox.models import ChatMember, InjectedFailure, UploadedFile
from apps.sandbox.selectors import api_calls, sent_to
from tests.sandbox.conftest import png

live = pytest.mark.django_db(transaction=True)
CHAT_ID = 700_000_001
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Buy plan", callback_data="plan:buy:1")],
        [InlineKeyboardButton("Docs", url="https://example.com/docs")],
    ]
)


@live
def test_get_me_answers_the_bot_of_the_configured_token(call_bot):
    me = call_bot(lambda bot: bot.get_me())

    assert me.id == int(settings.TELEGRAM_BOT_TOKEN.split(":")[0])
    assert me.is_bot is True
    assert me.username == "viralcore_sandbox_bot"
    logged = api_calls("getMe")
    assert logged and all(call.ok and call.http_status == 200 for call in logged)


@live
def test_send_message_is_recorded_with_its_text_and_keyboard(call_bot):
    async def send(bot):
        first = await bot.send_message(CHAT_ID, "Welcome to ViralCore", reply_markup=KEYBOARD)
        second = await bot.send_message(CHAT_ID, "Second")
        other_chat = await bot.send_message(CHAT_ID + 1, "Elsewhere")
        return first, second, other_chat

    first, second, other_chat = call_bot(send)

    assert (first.message_id, second.message_id, other_chat.message_id) == (1, 2, 1)
    assert first.chat.id == CHAT_ID and first.chat.type == "private"
    assert first.from_user.is_bot and first.from_user.username == "viralcore_sandbox_bot"
    assert first.reply_markup == KEYBOARD
    recorded = sent_to(CHAT_ID)
    assert [m.text for m in recorded] == ["Welcome to ViralCore", "Second"]
    assert recorded[0].method == "sendMessage"
    assert recorded[0].reply_markup == KEYBOARD.to_dict()
    assert recorded[1].reply_markup is None
    call = api_calls("sendMessage")[0]
    assert call.params["chat_id"] == str(CHAT_ID)
    assert settings.TELEGRAM_BOT_TOKEN not in str(call.params)


@live
def test_markdown_v2_with_an_unescaped_dot_is_refused_like_telegram(call_bot):
    with pytest.raises(BadRequest) as refused:
        call_bot(
            lambda bot: bot.send_message(CHAT_ID, "Version 1.0", parse_mode=ParseMode.MARKDOWN_V2)
        )

    # PTB strips "Bad Request: " and capitalises the rest; the wire text is Telegram's.
    assert str(refused.value) == (
        "Can't parse entities: character '.' is reserved and must be escaped with the "
        "preceding '\\'"
    )
    call = api_calls("sendMessage")[-1]
    assert call.http_status == 400
    assert call.description == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'"
    )
    assert sent_to(CHAT_ID) == []


@live
def test_markdown_v2_is_stored_as_the_text_telegram_shows_with_entities(call_bot):
    message = call_bot(
        lambda bot: bot.send_message(
            CHAT_ID, "*Balance:* 10\\.00 USD \\(pending\\)", parse_mode=ParseMode.MARKDOWN_V2
        )
    )

    assert message.text == "Balance: 10.00 USD (pending)"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 8)]
    stored = sent_to(CHAT_ID)[0]
    assert stored.source_text == "*Balance:* 10\\.00 USD \\(pending\\)"
    assert stored.parse_mode == "MarkdownV2"


@live
def test_callback_data_over_64_bytes_is_refused(call_bot):
    too_long = "é" * 33  # 33 characters, 66 bytes
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=too_long)]])

    with pytest.raises(BadRequest) as refused:
        call_bot(lambda bot: bot.send_message(CHAT_ID, "Pick", reply_markup=markup))

    assert api_calls("sendMessage")[-1].description == "Bad Request: BUTTON_DATA_INVALID"
    assert str(refused.value) == "Button_data_invalid"
    assert sent_to(CHAT_ID) == []


@live
def test_edit_message_text_replaces_the_text_and_drops_the_keyboard_when_not_resent(call_bot):
    async def edit(bot):
        sent = await bot.send_message(CHAT_ID, "Pending…", reply_markup=KEYBOARD)
        edited = await bot.edit_message_text("Paid", chat_id=CHAT_ID, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("Paid", chat_id=CHAT_ID, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("x", chat_id=CHAT_ID, message_id=999)
        return edited

    edited = call_bot(edit)

    assert edited.text == "Paid" and edited.edit_date is not None
    assert edited.reply_markup is None
    stored = sent_to(CHAT_ID)[0]
    assert stored.text == "Paid" and stored.edited_at is not None
    assert stored.edit_history[0]["text"] == "Pending…"
    assert stored.reply_markup is None


@live
def test_delete_message_flags_it_and_a_second_delete_is_refused(call_bot):
    async def delete(bot):
        sent = await bot.send_message(CHAT_ID, "Temporary")
        assert await bot.delete_message(CHAT_ID, sent.message_id) is True
        with pytest.raises(BadRequest) as again:
            await bot.delete_message(CHAT_ID, sent.message_id)
        return again.value

    refused = call_bot(delete)

    assert str(refused) == "Message to delete not found"
    assert [m.deleted for m in sent_to(CHAT_ID)] == [True]
    assert sent_to(CHAT_ID, include_deleted=False) == []


@live
def test_send_photo_upload_gets_a_file_id_that_can_be_sent_again(call_bot):
    async def photos(bot):
        uploaded = await bot.send_photo(CHAT_ID, photo=png(4, 3), caption="Receipt")
        file_id = uploaded.photo[-1].file_id
        again = await bot.send_photo(CHAT_ID, photo=file_id)
        with pytest.raises(BadRequest) as unknown:
            await bot.send_photo(CHAT_ID, photo="AgACAgQAAxkBAAInot-one-of-ours")
        with pytest.raises(BadRequest) as not_image:
            await bot.send_photo(CHAT_ID, photo=b"plain text, not a picture")
        return uploaded, again, unknown.value, not_image.value

    uploaded, again, unknown, not_image = call_bot(photos)

    size = uploaded.photo[-1]
    assert (size.width, size.height, size.file_size) == (4, 3, len(png(4, 3)))
    assert uploaded.caption == "Receipt"
    assert again.photo[-1].file_id == size.file_id
    assert str(unknown) == "Wrong file identifier/http url specified"
    assert str(not_image) == "Image_process_failed"
    assert [m.photo_file_id for m in sent_to(CHAT_ID)] == [size.file_id, size.file_id]
    assert bytes(UploadedFile.objects.get(file_id=size.file_id).content) == png(4, 3)


@live
def test_edit_message_caption_only_applies_to_photos(call_bot):
    async def edit(bot):
        photo = await bot.send_photo(CHAT_ID, photo=png(), caption="Old")
        text = await bot.send_message(CHAT_ID, "Text")
        edited = await bot.edit_message_caption(
            chat_id=CHAT_ID, message_id=photo.message_id, caption="<b>New</b>", parse_mode="HTML"
        )
        with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
            await bot.edit_message_caption(chat_id=CHAT_ID, message_id=text.message_id, caption="x")
        return edited

    edited = call_bot(edit)

    assert edited.caption == "New"
    assert [(e.type, e.offset, e.length) for e in edited.caption_entities] == [("bold", 0, 3)]


@live
def test_a_wrong_or_malformed_token_is_refused_as_telegram_does(call_bot):
    # Telegram: 401 for a well-formed token it does not know, 404 for a malformed one.
    for token, status in [("123456:not-the-configured-token", 401), ("not-a-token", 404)]:
        with pytest.raises(InvalidToken):
            call_bot(lambda bot: bot.get_me(), token=token)

        call = api_calls()[-1]
        assert call.http_status == status
        assert token not in str(call.params)


@live
def test_an_injected_429_raises_retry_after_once(call_bot, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # the coming PTB type, without its notice
    inject_failure("sendMessage", "http_429", retry_after=7)

    async def send(bot):
        with pytest.raises(RetryAfter) as limited:
            await bot.send_message(CHAT_ID, "first try")
        return limited.value, await bot.send_message(CHAT_ID, "second try")

    limited, delivered = call_bot(send)

    assert limited.retry_after == dtm.timedelta(seconds=7)
    assert delivered.text == "second try"
    first_call = api_calls("sendMessage")[0]
    assert (first_call.http_status, first_call.injected) == (429, "http_429")
    assert first_call.description == "Too Many Requests: retry after 7"
    assert InjectedFailure.objects.get().remaining == 0


@live
def test_injected_server_failures_reach_ptb_as_errors(call_bot):
    for kind, error, status in [
        ("http_500", NetworkError, 500),
        ("http_502", NetworkError, 502),
        ("malformed_json", TelegramError, 200),
    ]:
        inject_failure("sendMessage", kind)

        with pytest.raises(error) as failed:
            call_bot(lambda bot: bot.send_message(CHAT_ID, "hello"))

        assert not isinstance(failed.value, BadRequest)
        if kind == "malformed_json":
            assert str(failed.value) == "Invalid server response"
        call = api_calls("sendMessage")[-1]
        assert (call.http_status, call.injected) == (status, kind)
    assert sent_to(CHAT_ID) == []


@live
def test_an_injected_delay_answers_normally_after_waiting(call_bot):
    inject_failure("sendMessage", "delay_seconds", delay=0.3)

    started = time.monotonic()
    message = call_bot(lambda bot: bot.send_message(CHAT_ID, "slow"))

    assert time.monotonic() - started >= 0.3
    assert message.text == "slow"
    assert api_calls("sendMessage")[0].injected == "delay_seconds"


@live
def test_set_webhook_validates_the_secret_and_stores_the_settings(call_bot):
    url = "https://bot.example.com/telegram/webhook/"

    async def configure(bot):
        with pytest.raises(BadRequest) as bad_chars:
            await bot.set_webhook(url, secret_token="not base64+/=")
        with pytest.raises(BadRequest) as too_long:
            await bot.set_webhook(url, secret_token="a" * 257)
        with pytest.raises(BadRequest) as too_many:
            await bot.set_webhook(url, secret_token="ok", max_connections=101)
        with pytest.raises(BadRequest) as plain_http:
            await bot.set_webhook("http://bot.example.com/hook")
        assert await bot.set_webhook(
            url,
            secret_token="A-z_0-9" * 10,
            max_connections=5,
            allowed_updates=["message", "callback_query"],
        )
        info = await bot.get_webhook_info()
        assert await bot.delete_webhook(drop_pending_updates=True)
        return (
            bad_chars.value,
            too_long.value,
            too_many.value,
            plain_http.value,
            info,
            (await bot.get_webhook_info()),
        )

    bad_chars, too_long, too_many, plain_http, info, after = call_bot(configure)

    assert str(bad_chars) == "Secret token contains unallowed characters"
    assert str(too_long) == "Secret token is too long"
    assert str(too_many) == "Max_connections must be between 1 and 100"
    assert str(plain_http) == "Bad webhook: an https url must be provided for webhook"
    assert info.url == url
    assert info.max_connections == 5
    assert info.allowed_updates == ("message", "callback_query")
    assert info.pending_update_count == 0
    assert after.url == ""


@live
def test_get_chat_member_answers_stored_and_default_statuses(call_bot, persona):
    channel = -1_001_234_567_890
    services.set_chat_member(channel, persona.telegram_id, ChatMember.Status.ADMINISTRATOR)

    async def members(bot):
        return (
            await bot.get_chat_member(channel, persona.telegram_id),
            await bot.get_chat_member(channel, 42),
            await bot.get_chat_member(persona.telegram_id, persona.telegram_id),
        )

    admin, stranger, own_chat = call_bot(members)

    assert admin.status == "administrator" and admin.user.username == "ada_tester"
    assert stranger.status == "left"
    assert own_chat.status == "member" and own_chat.user.first_name == "Ada"
