"""The outbox sends each logical message at most once, at Telegram's pace, through its errors."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.bot.models import OutboundMessage
from apps.bot.outbox import queue_text
from apps.bot.sender import MAX_ATTEMPTS, send_due_messages
from tests.bot.conftest import bot_said

pytestmark = pytest.mark.django_db(transaction=True)
CHAT = 5123456789


def queue(text="Hello", key="greeting"):
    return queue_text(chat_id=CHAT, text=text, dedupe_key=key)


def make_due(message):
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def test_a_queued_message_is_sent_once_and_recorded(telegram):
    message = queue()
    assert send_due_messages(budget_seconds=5) == 1
    assert send_due_messages(budget_seconds=5) == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.telegram_message_id is not None
    assert bot_said(CHAT) == ["Hello"]


def test_the_same_dedupe_key_is_one_message(telegram):
    queue(text="first")
    queue(text="second")
    send_due_messages(budget_seconds=5)
    assert bot_said(CHAT) == ["first"]


def test_flood_control_is_honoured_with_retry_after(telegram):
    from apps.sandbox.failures import inject_failure

    inject_failure("sendMessage", "http_429", retry_after=30)
    message = queue()
    send_due_messages(budget_seconds=5)
    message.refresh_from_db()
    assert message.status == "pending"
    assert message.next_attempt_at >= timezone.now() + timedelta(seconds=25)
    assert "RetryAfter" in message.last_error
    assert bot_said(CHAT) == []
    make_due(message)
    send_due_messages(budget_seconds=5)
    assert bot_said(CHAT) == ["Hello"]


def test_server_errors_are_retried_with_backoff_then_given_up(telegram):
    from apps.sandbox.failures import inject_failure

    inject_failure("sendMessage", "http_502", times=MAX_ATTEMPTS)
    message = queue()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        send_due_messages(budget_seconds=5)
        message.refresh_from_db()
        assert message.attempts == attempt
        make_due(message)
    assert message.status == "failed"
    assert f"gave up after {MAX_ATTEMPTS}" in message.last_error
    assert bot_said(CHAT) == []


def test_a_message_telegram_refuses_is_failed_without_retry(telegram):
    message = queue(text="Price: 10.50")  # an unescaped "." is invalid MarkdownV2
    send_due_messages(budget_seconds=5)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "BadRequest" in message.last_error


def test_a_message_interrupted_while_sending_is_never_sent_again(telegram):
    """The process died after claiming the message, maybe after Telegram delivered it."""
    message = queue()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status="sending", attempts=1, next_attempt_at=timezone.now() - timedelta(minutes=10)
    )
    send_due_messages(budget_seconds=5)
    message.refresh_from_db()
    assert message.status == "unknown"
    assert bot_said(CHAT) == []


def test_a_timeout_is_not_retried_because_telegram_may_have_delivered(telegram, settings):
    from apps.sandbox.failures import inject_failure

    inject_failure("sendMessage", "delay_seconds", delay=1.5)
    message = queue()
    settings.TELEGRAM_READ_TIMEOUT = 0.5
    send_due_messages(budget_seconds=5)
    message.refresh_from_db()
    assert message.status == "unknown"
    # Let the fake finish its slow answer inside this test, not during the next one.
    time.sleep(1.5)


def test_only_one_sender_runs_at_a_time(telegram):
    from apps.bot.models import SenderLease

    SenderLease.objects.create(
        pk=1, holder="another-process", expires_at=timezone.now() + timedelta(seconds=30)
    )
    queue()
    assert send_due_messages(budget_seconds=1) == 0
    assert bot_said(CHAT) == []


def test_messages_to_one_chat_are_spaced_by_the_per_chat_interval(telegram, settings):
    settings.TELEGRAM_PRIVATE_CHAT_INTERVAL = 1.0
    queue(text="one", key="k1")
    queue(text="two", key="k2")
    send_due_messages(budget_seconds=5)
    first, second = OutboundMessage.objects.order_by("id")
    assert (second.sent_at - first.sent_at).total_seconds() >= 1.0
    assert bot_said(CHAT) == ["one", "two"]
