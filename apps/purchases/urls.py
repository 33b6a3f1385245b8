from django.urls import path

from apps.purchases.webhooks import flutterwave_webhook

urlpatterns = [
    path("flutterwave/webhook/", flutterwave_webhook, name="flutterwave-webhook"),
]
