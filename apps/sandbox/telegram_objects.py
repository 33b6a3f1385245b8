"""The Bot API's JSON objects (User, Chat, Message, ChatMember) built from the fake's rows."""

from __future__ import annotations

import hashlib

from django.conf import settings

from apps.sandbox.models import ChatMember, SandboxPersona, SentMessage, UploadedFile

BOT_FIRST_NAME = "ViralCore Sandbox Bot"
BOT_USERNAME = "viralcore_sandbox_bot"
# Telegram ids of supergroups and channels start at -100 followed by the peer id.
CHANNEL_ID_BASE = -1_000_000_000_000


def bot_id() -> int:
    """The bot's user id: the number before the colon of its token, as on Telegram."""
    prefix = settings.TELEGRAM_BOT_TOKEN.split(":", 1)[0]
    return int(prefix) if prefix.isdigit() else 1


def bot_user(*, full: bool = False) -> dict:
    user = {"id": bot_id(), "is_bot": True, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME}
    if full:
        user.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
    return user


def persona_user(persona: SandboxPersona) -> dict:
    user = {"id": persona.telegram_id, "is_bot": False, "first_name": persona.first_name}
    if persona.username:
        user["username"] = persona.username
    return user


def persona_chat(persona: SandboxPersona) -> dict:
    chat = {"id": persona.telegram_id, "first_name": persona.first_name}
    if persona.username:
        chat["username"] = persona.username
    chat["type"] = "private"
    return chat


def channel_id_for_username(username: str) -> int:
    """A stable supergroup/channel id for an "@username" chat_id."""
    digest = hashlib.sha256(username.lower().encode()).digest()
    return CHANNEL_ID_BASE - int.from_bytes(digest[:4], "big")


def chat_for(chat_id: int, *, username: str = "") -> dict:
    """The Chat object of a chat id: a persona's private chat, a user, a group or a channel."""
    if chat_id > 0:
        persona = SandboxPersona.objects.filter(telegram_id=chat_id).first()
        if persona is not None:
            return persona_chat(persona)
        return {"id": chat_id, "first_name": f"User {chat_id}", "type": "private"}
    if username:
        return {"id": chat_id, "title": username, "username": username, "type": "channel"}
    if chat_id <= CHANNEL_ID_BASE:
        return {"id": chat_id, "title": f"Sandbox supergroup {chat_id}", "type": "supergroup"}
    return {"id": chat_id, "title": f"Sandbox group {chat_id}", "type": "group"}


def chat_instance(chat_id: int) -> str:
    """CallbackQuery.chat_instance: a global id that stays the same for one chat."""
    digest = hashlib.sha256(f"{bot_id()}:{chat_id}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big", signed=True))


def photo_sizes(upload: UploadedFile) -> list[dict]:
    size = {
        "file_id": upload.file_id,
        "file_unique_id": upload.file_unique_id,
        "width": upload.width,
        "height": upload.height,
    }
    if upload.file_size:
        size["file_size"] = upload.file_size
    return [size]


def message_json(message: SentMessage, *, chat: dict | None = None) -> dict:
    """The Message object Telegram returns for (and shows in callbacks of) a bot's message."""
    data = {
        "message_id": message.message_id,
        "from": bot_user(),
        "chat": chat or chat_for(message.chat_id),
        "date": int(message.created_at.timestamp()),
    }
    if message.edited_at:
        data["edit_date"] = int(message.edited_at.timestamp())
    if message.photo_file_id:
        upload = UploadedFile.objects.filter(file_id=message.photo_file_id).first()
        if upload is not None:
            data["photo"] = photo_sizes(upload)
        if message.caption:
            data["caption"] = message.caption
            if message.entities:
                data["caption_entities"] = message.entities
    else:
        data["text"] = message.text
        if message.entities:
            data["entities"] = message.entities
    if message.inline_keyboard:
        data["reply_markup"] = {"inline_keyboard": message.inline_keyboard}
    return data


_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
_RESTRICTED_PERMISSIONS = (
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_edit_tag",
    "can_react_to_messages",
)


def user_for(user_id: int) -> dict:
    if user_id == bot_id():
        return bot_user()
    persona = SandboxPersona.objects.filter(telegram_id=user_id).first()
    if persona is not None:
        return persona_user(persona)
    return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}


def chat_member_json(chat_id: int, user_id: int) -> dict:
    """ChatMember: a stored status, else "member" of one's own private chat, else "left"."""
    row = ChatMember.objects.filter(chat_id=chat_id, user_id=user_id).first()
    if row is not None:
        status = row.status
    elif chat_id == user_id or user_id == bot_id():
        status = ChatMember.Status.MEMBER
    else:
        status = ChatMember.Status.LEFT
    member = {"user": user_for(user_id), "status": str(status)}
    if status == ChatMember.Status.CREATOR:
        member["is_anonymous"] = False
    elif status == ChatMember.Status.ADMINISTRATOR:
        member.update(can_be_edited=False, is_anonymous=False)
        member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == ChatMember.Status.RESTRICTED:
        member.update(is_member=True, until_date=0)
        member.update(dict.fromkeys(_RESTRICTED_PERMISSIONS, False))
    elif status == ChatMember.Status.KICKED:
        member["until_date"] = 0
    return member
