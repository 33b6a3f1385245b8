"""Sandbox routes, mounted at /sandbox/ only when settings.SANDBOX is on (see viralcore/urls.py)."""

from django.urls import include, path, re_path

from apps.sandbox import chat, payments_views, prices_urls, telegram_api

app_name = "sandbox"

urlpatterns = [
    # PTB calls <base_url><token>/<method>; an empty or odd method still gets Telegram's 404.
    re_path(
        r"^telegram/bot(?P<token>[^/]*)/(?P<method>[^/]*)$",
        telegram_api.bot_api,
        name="bot-api",
    ),
    path("chains/", include("apps.sandbox.chains.urls")),
    path("coingecko/", include(prices_urls.coingecko)),
    path("binance/", include(prices_urls.binance)),
    path("fx/", include(prices_urls.fx)),
    path("flutterwave/", include("apps.sandbox.flutterwave.urls")),
    path("smm/", include("apps.sandbox.smm.urls")),
    path("payments/", payments_views.payments_page, name="payments"),
    path("payments/<str:number>/pay/", payments_views.pay, name="pay-invoice"),
    path("chat/", chat.chat_page, name="chat"),
    path("chat/personas/", chat.create_persona, name="chat-create-persona"),
    path("chat/<int:telegram_id>/conversation/", chat.conversation, name="chat-conversation"),
    path("chat/<int:telegram_id>/send/", chat.send_text, name="chat-send"),
    path("chat/<int:telegram_id>/press/", chat.press_button, name="chat-press"),
    path("chat/photos/<int:pk>/", chat.photo, name="chat-photo"),
]
