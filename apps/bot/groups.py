"""Groups and channels the bot is added to or removed from."""

from __future__ import annotations

from apps.bot.models import TelegramGroup

ACTIVE_STATUSES = frozenset({"member", "administrator", "creator"})


def record_membership(*, chat_id: int, title: str, chat_type: str, status: str) -> TelegramGroup:
    """Create or update the group's row; staff pick its role (comments, likes, admin) later."""
    if chat_type == "private":
        return None
    group, _ = TelegramGroup.objects.update_or_create(
        chat_id=chat_id,
        defaults={
            "title": title[:255],
            "chat_type": chat_type,
            "is_active": status in ACTIVE_STATUSES,
        },
    )
    return group
