"""Sandbox routes, mounted at /sandbox/ only when settings.SANDBOX is on (see viralcore/urls.py)."""

from django.urls import path, re_path

from apps.sandbox import chat, telegram_api

app_name = "sandbox"

urlpatterns = [
    # PTB calls <base_url><token>/<method>; an empty or odd method still gets Telegram's 404.
    re_path(
        r"^telegram/bot(?P<token>[^/]*)/(?P<method>[^/]*)$",
        telegram_api.bot_api,
        name="bot-api",
    ),
    path("chat/", chat.chat_page, name="chat"),
    path("chat/personas/", chat.create_persona, name="chat-create-persona"),
    path("chat/<int:telegram_id>/conversation/", chat.conversation, name="chat-conversation"),
    path("chat/<int:telegram_id>/send/", chat.send_text, name="chat-send"),
    path("chat/<int:telegram_id>/press/", chat.press_button, name="chat-press"),
    path("chat/photos/<int:pk>/", chat.photo, name="chat-photo"),
]
