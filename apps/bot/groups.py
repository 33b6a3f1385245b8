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


def notify_admin_groups(*, text: str, dedupe_key: str, buttons: list | None = None) -> int:
    """Queue TEXT (MarkdownV2, escaped) to every active admin group, once per DEDUPE_KEY.

    Returns how many groups it was queued for (0 when no admin group is set up yet).
    """
    from apps.bot.models import GroupRole
    from apps.bot.outbox import queue_text

    groups = TelegramGroup.objects.filter(role=GroupRole.ADMIN, is_active=True)
    count = 0
    for group in groups:
        queue_text(
            chat_id=group.chat_id,
            text=text,
            buttons=buttons,
            dedupe_key=f"{dedupe_key}:{group.chat_id}",
        )
        count += 1
    return count
