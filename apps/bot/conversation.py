"""Which step of a multi-step journey a user is in, kept in the database.

Any worker can take a user's next message, and a restart loses nothing. Journeys that ask for
input (an amount, a bank account, a link) set a step and read it back; a menu button or /start
clears it, as the old bot did, so a half-finished journey never captures later text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.bot.models import Conversation


@dataclass(frozen=True)
class Step:
    name: str = ""
    data: dict = field(default_factory=dict)


def current_step(telegram_id: int) -> Step:
    row = Conversation.objects.filter(telegram_id=telegram_id).first()
    return Step(row.step, row.data) if row else Step()


def enter_step(telegram_id: int, name: str, data: dict | None = None) -> None:
    Conversation.objects.update_or_create(
        telegram_id=telegram_id, defaults={"step": name, "data": data or {}}
    )


def clear_step(telegram_id: int) -> None:
    Conversation.objects.filter(telegram_id=telegram_id).exclude(step="").update(step="", data={})
