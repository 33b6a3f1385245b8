"""Beat's sweeper: the safety net that re-queues chats whose wake-up was lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.bot.models import TelegramUpdate, UpdateStatus
from apps.bot.tasks import STUCK_AFTER, sweep_pending_updates

pytestmark = pytest.mark.django_db
ADA, BOB, CAROL = 5123456789, 5987654321, 5111111111


def stored(update_id: int, chat_id: int, *, age: timedelta, status=UpdateStatus.PENDING):
    update = TelegramUpdate.objects.create(
        update_id=update_id, chat_id=chat_id, kind="message", payload={}, status=status
    )
    TelegramUpdate.objects.filter(pk=update.pk).update(received_at=timezone.now() - age)


def test_only_chats_whose_updates_waited_too_long_are_requeued(bot_queue, caplog):
    late = STUCK_AFTER + timedelta(seconds=1)
    stored(1, ADA, age=late)
    stored(2, ADA, age=late)  # one task per chat, not per update
    stored(3, BOB, age=timedelta(seconds=2))  # its wake-up is probably still on its way
    stored(4, CAROL, age=late, status=UpdateStatus.DONE)

    assert sweep_pending_updates() == 1
    assert bot_queue(wait_seconds=1) == [ADA]
    assert "is `manage.py wake_bot_chats` running?" in caplog.text


def test_a_quiet_inbox_queues_nothing_and_says_nothing(bot_queue, caplog):
    stored(5, ADA, age=timedelta(seconds=2))
    assert sweep_pending_updates() == 0
    assert bot_queue(wait_seconds=0.5) == []
    assert "bot sweeper" not in caplog.text
