"""Per-user rate limits and bans, as a bot user would meet them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.bot.abuse import over_rate_limit
from apps.users.models import BotUser
from apps.users.services import ModerationError, ban_bot_user, unban_bot_user
from tests.bot.conftest import bot_said, deliver, run_bot
from tests.bot.telegram_updates import message_update, private_user

pytestmark = pytest.mark.django_db(transaction=True)
ADA = private_user()
REPO = Path(__file__).resolve().parents[2]


def say(client, text):
    deliver(client, message_update(text, user=ADA))
    run_bot()


def test_above_the_rate_one_slow_down_then_silence(telegram, client, settings):
    # An hour-long window: a minute-long one could roll over mid-test and reset the count.
    settings.BOT_UPDATE_RATE = "3/h"
    for _ in range(6):
        say(client, "/help")
    said = bot_said(ADA["id"])
    assert (
        said.count("⏳ You are sending messages too quickly. Please wait a minute and try again.")
        == 1
    )
    assert sum(text.startswith("❔ Help") for text in said) == 3
    assert len(said) == 4


def test_a_banned_user_hears_suspended_once_a_day_and_nothing_else(telegram, client, superuser):
    say(client, "/start")
    user = BotUser.objects.get(telegram_id=ADA["id"])
    ban_bot_user(bot_user=user, actor=superuser, reason="spam links")
    for _ in range(3):
        say(client, "/help")
    said = bot_said(ADA["id"])
    assert said[1:] == [
        "🚫 Your account is suspended. Contact @ViralCore_Support if you think this is a mistake."
    ]
    unban_bot_user(bot_user=user, actor=superuser, reason="appeal accepted")
    say(client, "/help")
    assert bot_said(ADA["id"])[-1].startswith("❔ Help")


def test_ban_and_unban_are_audited_with_the_reason_and_need_one(superuser):
    user = BotUser.objects.create(telegram_id=42, username="spammer")
    with pytest.raises(ModerationError, match="needs a reason"):
        ban_bot_user(bot_user=user, actor=superuser, reason="  ")
    assert ban_bot_user(bot_user=user, actor=superuser, reason="spam")
    assert not ban_bot_user(bot_user=user, actor=superuser, reason="again")
    event = AuditEvent.objects.get(action="bot_user.banned")
    assert (event.reason, event.actor_label) == ("spam", superuser.username)
    assert BotUser.objects.get(pk=user.pk).is_banned


def test_staff_ban_from_the_admin_asks_for_a_reason(second_approver, client):
    user = BotUser.objects.create(telegram_id=43, username="abuser")
    client.force_login(second_approver)
    url = reverse("admin:users_botuser_changelist")
    form = {"action": "ban", "_selected_action": [user.pk]}
    page = client.post(url, form)
    assert "Reason (support staff will read it)" in page.content.decode()
    assert not BotUser.objects.get(pk=user.pk).is_banned
    client.post(url, {**form, "confirm": "1", "reason": "fake payments"})
    assert BotUser.objects.get(pk=user.pk).is_banned
    assert AuditEvent.objects.get(action="bot_user.banned").reason == "fake payments"


def test_support_cannot_ban(support_agent, client):
    user = BotUser.objects.create(telegram_id=44)
    client.force_login(support_agent)
    url = reverse("admin:users_botuser_changelist")
    client.post(
        url, {"action": "ban", "_selected_action": [user.pk], "confirm": "1", "reason": "x"}
    )
    assert not BotUser.objects.get(pk=user.pk).is_banned


@pytest.mark.redis
def test_the_rate_limit_is_shared_by_worker_processes(settings):
    settings.BOT_UPDATE_RATE = "5/h"  # long window: no rollover between the two processes
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "viralcore.settings_test",
        "BOT_UPDATE_RATE": "5/h",
    }
    script = (
        "import django; django.setup();"
        "from apps.bot.abuse import over_rate_limit;"
        "print([over_rate_limit(777) for _ in range(5)])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[False, False, False, False, False]"
    assert over_rate_limit(777) is True
