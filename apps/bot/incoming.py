"""What a handler needs from an Update, as plain values a sync service can take."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update


@dataclass(frozen=True)
class Sender:
    telegram_id: int
    username: str
    first_name: str
    last_name: str
    language_code: str


@dataclass(frozen=True)
class Incoming:
    update_id: int
    chat_id: int
    chat_type: str
    sender: Sender | None
    text: str = ""
    callback_query_id: str = ""
    callback_data: str = ""

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"

    @property
    def command(self) -> tuple[str, str] | None:
        """("start", "ref_42") for "/start ref_42"; None when the text is not a command."""
        if not self.text.startswith("/"):
            return None
        head, _, argument = self.text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()  # "/start@ViralCoreBot" in groups
        return name, argument.strip()


def _sender(user) -> Sender | None:
    if user is None or user.is_bot:
        return None
    return Sender(
        telegram_id=user.id,
        username=user.username or "",
        first_name=user.first_name or "",
        last_name=user.last_name or "",
        language_code=user.language_code or "",
    )


def from_message(update: Update) -> Incoming:
    message = update.effective_message
    return Incoming(
        update_id=update.update_id,
        chat_id=message.chat.id,
        chat_type=message.chat.type,
        sender=_sender(message.from_user),
        text=(message.text or message.caption or "").strip(),
    )


def from_callback(update: Update) -> Incoming:
    query = update.callback_query
    chat = query.message.chat if query.message else None
    return Incoming(
        update_id=update.update_id,
        chat_id=chat.id if chat else query.from_user.id,
        chat_type=chat.type if chat else "private",
        sender=_sender(query.from_user),
        callback_query_id=query.id,
        callback_data=query.data or "",
    )
