"""Who did it: a staff member, a bot user, or the system (a named job)."""

from __future__ import annotations

from dataclasses import dataclass

STAFF = "staff"
BOT_USER = "bot_user"
SYSTEM = "system"
ACTOR_TYPES = ((STAFF, "Staff"), (BOT_USER, "Bot user"), (SYSTEM, "System"))


@dataclass(frozen=True)
class Actor:
    type: str
    id: str
    label: str

    @classmethod
    def staff(cls, user) -> Actor:
        return cls(STAFF, str(user.pk), user.get_username())

    @classmethod
    def bot_user(cls, bot_user) -> Actor:
        label = f"@{bot_user.username}" if bot_user.username else str(bot_user.telegram_id)
        return cls(BOT_USER, str(bot_user.telegram_id), label)

    @classmethod
    def system(cls, job: str) -> Actor:
        """JOB names what acted, e.g. "payout-sweeper" or "manage.py import_legacy"."""
        if not job:
            raise ValueError("A system actor needs the name of the job that acted.")
        return cls(SYSTEM, "", job)

    @property
    def is_staff(self) -> bool:
        return self.type == STAFF


def as_actor(value) -> Actor:
    """An Actor from an Actor, a staff user or a bot user; anything else is a programming error."""
    from django.contrib.auth.models import AbstractBaseUser

    from apps.users.models import BotUser

    if isinstance(value, Actor):
        return value
    if isinstance(value, AbstractBaseUser):
        return Actor.staff(value)
    if isinstance(value, BotUser):
        return Actor.bot_user(value)
    raise TypeError(f"Every change names its actor; got {type(value).__name__}.")
