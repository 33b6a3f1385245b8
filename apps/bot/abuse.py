"""Per-user rate limits and bans for bot updates, counted in the shared cache."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django_ratelimit.core import get_usage

RATE_GROUP = "bot-updates"


def _request_for(telegram_id: int) -> HttpRequest:
    # django-ratelimit counts per request; a bot update has none, so we give it a stand-in.
    request = HttpRequest()
    request.method = "POST"
    request.META["REMOTE_ADDR"] = "0.0.0.0"  # noqa: S104 - never used: the key is the user
    request.telegram_id = telegram_id
    return request


def _user_key(group, request) -> str:
    return str(request.telegram_id)


def over_rate_limit(telegram_id: int) -> bool:
    """Count this update; True once the user sent more than BOT_UPDATE_RATE allows."""
    usage = get_usage(
        _request_for(telegram_id),
        group=RATE_GROUP,
        key=_user_key,
        rate=settings.BOT_UPDATE_RATE,
        method="POST",
        increment=True,
    )
    return usage["should_limit"]


def first_slow_down_in_window(telegram_id: int) -> bool:
    """True once per rate window: the one "slow down" reply; silence after it."""
    window = settings.BOT_UPDATE_RATE.split("/", 1)[1]
    seconds = {"s": 1, "m": 60, "h": 3600}.get(window[-1], 60) * int(window[:-1] or 1)
    return cache.add(f"bot:slowdown:{telegram_id}", True, timeout=seconds)


def first_suspension_notice_today(telegram_id: int) -> bool:
    """True once a day per banned user: the one "account suspended" reply."""
    today = timezone.now().date().isoformat()
    return cache.add(f"bot:suspended:{telegram_id}:{today}", True, timeout=24 * 3600)
