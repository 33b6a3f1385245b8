from django.urls import path

from apps.bot.webhook import telegram_webhook

urlpatterns = [path("webhook/", telegram_webhook, name="telegram-webhook")]
