"""Writes to bot users. The bot's handlers call these; nothing else creates bot users."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.users.models import BotUser
from apps.users.signals import bot_user_changed


class RegistrationError(ValueError):
    """A registration request that cannot be honoured; the message can be shown to the user."""


def register_bot_user(
    *,
    telegram_id: int,
    username: str = "",
    first_name: str = "",
    last_name: str = "",
    language_code: str = "",
    referrer_telegram_id: int | None = None,
) -> tuple[BotUser, bool]:
    """The bot user for TELEGRAM_ID, created on first contact; returns (user, created).

    The referrer is only taken on creation: a returning user cannot re-point the commission
    they generate. An unknown referrer or a self-referral is ignored, not an error, because the
    referral link is outside the user's control once shared.
    """
    if isinstance(telegram_id, bool) or not isinstance(telegram_id, int) or telegram_id <= 0:
        raise RegistrationError("A Telegram id is a positive whole number.")
    existing = BotUser.objects.filter(telegram_id=telegram_id).first()
    if existing is not None:
        return existing, False
    referrer = _find_referrer(referrer_telegram_id, telegram_id)
    try:
        with transaction.atomic():
            user = BotUser.objects.create(
                telegram_id=telegram_id,
                username=username[:64],
                first_name=first_name[:128],
                last_name=last_name[:128],
                language_code=language_code[:16],
                referrer=referrer,
                last_seen_at=timezone.now(),
            )
    except IntegrityError:
        # Two updates of the same new user raced; the other one registered them.
        return BotUser.objects.get(telegram_id=telegram_id), False
    return user, True


def _find_referrer(referrer_telegram_id: int | None, telegram_id: int) -> BotUser | None:
    if referrer_telegram_id is None or referrer_telegram_id == telegram_id:
        return None
    return BotUser.objects.filter(telegram_id=referrer_telegram_id).first()


def touch_last_seen(*, bot_user: BotUser) -> None:
    """Record activity without loading or saving the whole row (no lost updates)."""
    BotUser.objects.filter(pk=bot_user.pk).update(last_seen_at=timezone.now())


class ModerationError(ValueError):
    """A ban or unban that cannot be done as asked; the message says why."""


def ban_bot_user(*, bot_user: BotUser, actor, reason: str) -> bool:
    """Ban BOT_USER (audited with REASON); False when they were already banned."""
    return _set_banned(bot_user=bot_user, actor=actor, reason=reason, banned=True)


def unban_bot_user(*, bot_user: BotUser, actor, reason: str) -> bool:
    return _set_banned(bot_user=bot_user, actor=actor, reason=reason, banned=False)


def _set_banned(*, bot_user: BotUser, actor, reason: str, banned: bool) -> bool:
    from apps.audit.services import record_event

    if not reason or not reason.strip():
        raise ModerationError("A ban or unban needs a reason: support will read it later.")
    with transaction.atomic():
        changed = BotUser.objects.filter(pk=bot_user.pk, is_banned=not banned).update(
            is_banned=banned
        )
        if changed:
            record_event(
                actor=actor,
                action="bot_user.banned" if banned else "bot_user.unbanned",
                object_type="bot_user",
                object_id=bot_user.pk,
                before={"is_banned": not banned},
                after={"is_banned": banned},
                reason=reason.strip(),
                search_terms=[bot_user.telegram_id, bot_user.username],
            )
            transaction.on_commit(lambda: bot_user_changed.send(BotUser, bot_user=bot_user))
    bot_user.is_banned = banned
    return bool(changed)
