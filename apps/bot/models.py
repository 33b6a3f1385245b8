"""The bot's durable state: updates received, messages to send, conversations, groups."""

from __future__ import annotations

from django.db import models


class UpdateStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed (retries exhausted)"


class TelegramUpdate(models.Model):
    """The inbox: every update Telegram delivered, stored before we answer 200.

    ``update_id`` is unique, so a redelivered update is recognised and never processed twice.
    """

    update_id = models.BigIntegerField(unique=True)
    chat_id = models.BigIntegerField(null=True, blank=True)
    from_user_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=32, help_text="message, callback_query, my_chat_member…")
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=UpdateStatus.choices, default=UpdateStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["chat_id", "status", "update_id"], name="bot_update_chat_queue"),
            models.Index(fields=["status", "received_at"], name="bot_update_status_age"),
        ]

    def __str__(self) -> str:
        return f"update {self.update_id} ({self.kind}, {self.status})"


class ChatLock(models.Model):
    """One row per chat, locked while one worker handles that chat's updates in order."""

    chat_id = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return f"chat {self.chat_id}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown (interrupted while sending; not resent)"


class OutboundMessage(models.Model):
    """The outbox: one row per logical message; one sender delivers it at most once."""

    dedupe_key = models.CharField(max_length=200, unique=True)
    chat_id = models.BigIntegerField()
    method = models.CharField(max_length=32)
    payload = models.JSONField(help_text="Bot API parameters without chat_id.")
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    telegram_message_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at", "id"], name="bot_outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.method} to {self.chat_id} ({self.status})"


class ChatDelivery(models.Model):
    """When the sender last sent to a chat: Telegram allows 1 message/s per chat."""

    chat_id = models.BigIntegerField(primary_key=True)
    last_sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"chat {self.chat_id} last sent {self.last_sent_at}"


class Conversation(models.Model):
    """Which step of a multi-step journey a user is in; any worker can read it."""

    telegram_id = models.BigIntegerField(primary_key=True)
    step = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.telegram_id}: {self.step or 'idle'}"


class GroupRole(models.TextChoices):
    NONE = "", "Not used"
    COMMENTS = "comments", "Comment group"
    LIKES = "likes", "Likes group"
    ADMIN = "admin", "Admin group"


class TelegramGroup(models.Model):
    """A group or channel the bot was added to; staff decide what it is used for."""

    chat_id = models.BigIntegerField(unique=True)
    title = models.CharField(max_length=255, blank=True)
    chat_type = models.CharField(max_length=16)
    is_active = models.BooleanField(default=True)
    role = models.CharField(max_length=16, choices=GroupRole.choices, blank=True, default="")
    # Comment groups take posts in this order (then by chat id), round-robin.
    position = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.title or self.chat_id} ({self.chat_type})"


class BotAsset(models.Model):
    """A file uploaded to Telegram once and reused by its file_id (the menu picture)."""

    name = models.CharField(max_length=64, unique=True)
    file_id = models.CharField(max_length=255)
    uploaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name


class SenderLease(models.Model):
    """One row: which process is the outbox's single sender, and until when."""

    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sender lease held by {self.holder or 'nobody'}"
