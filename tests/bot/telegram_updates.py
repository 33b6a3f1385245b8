"""Telegram-shaped Update JSON for tests, as Telegram would deliver it."""

from __future__ import annotations

import itertools

_next_update_id = itertools.count(10_000)
_next_message_id = itertools.count(1)


def private_user(telegram_id=5123456789, first_name="Ada", username="ada"):
    return {"id": telegram_id, "is_bot": False, "first_name": first_name, "username": username}


def message_update(text, *, user=None, chat=None, update_id=None):
    user = user or private_user()
    chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    message = {
        "message_id": next(_next_message_id),
        "date": 1_700_000_000,
        "chat": chat,
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        command_length = len(text.split(" ", 1)[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": command_length}]
    return {"update_id": update_id or next(_next_update_id), "message": message}


def callback_update(data, *, user=None, update_id=None):
    user = user or private_user()
    return {
        "update_id": update_id or next(_next_update_id),
        "callback_query": {
            "id": f"cq{next(_next_message_id)}",
            "from": user,
            "chat_instance": "1234",
            "data": data,
            "message": {
                "message_id": next(_next_message_id),
                "date": 1_700_000_000,
                "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
                "text": "What would you like to do?",
            },
        },
    }


def group_chat(chat_id=-100123, title="Boost squad"):
    return {"id": chat_id, "type": "supergroup", "title": title}


def my_chat_member_update(*, chat, status, update_id=None):
    bot = {"id": 123456, "is_bot": True, "first_name": "ViralCore", "username": "viralcore_bot"}
    return {
        "update_id": update_id or next(_next_update_id),
        "my_chat_member": {
            "chat": chat,
            "from": private_user(),
            "date": 1_700_000_000,
            "old_chat_member": {"user": bot, "status": "left"},
            "new_chat_member": {"user": bot, "status": status},
        },
    }
