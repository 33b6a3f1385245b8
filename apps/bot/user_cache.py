"""The bot user of every update, from the shared cache; dropped whenever the row changes."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.users.models import BotUser
from apps.users.signals import bot_user_changed

TTL_SECONDS = 300


def _key(telegram_id: int) -> str:
    return f"bot:user:{telegram_id}"


def cached_bot_user(telegram_id: int) -> BotUser | None:
    user = cache.get(_key(telegram_id))
    if user is None:
        user = BotUser.objects.filter(telegram_id=telegram_id).select_related("referrer").first()
        if user is not None:
            cache.set(_key(telegram_id), user, TTL_SECONDS)
    return user


def forget_bot_user(telegram_id: int) -> None:
    cache.delete(_key(telegram_id))


@receiver(post_save, sender=BotUser, dispatch_uid="bot_user_cache_invalidation")
def _forget_on_save(sender, instance, **kwargs):
    forget_bot_user(instance.telegram_id)


@receiver(bot_user_changed, dispatch_uid="bot_user_cache_invalidation_on_update")
def _forget_on_service_change(sender, bot_user, **kwargs):
    forget_bot_user(bot_user.telegram_id)
