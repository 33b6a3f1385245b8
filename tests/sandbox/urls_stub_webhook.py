"""The project's URLs with a stand-in webhook that records what it receives.

It stands in for the bot app's webhook (another engineer's code) so these tests pin what the
chat page sends. It answers a message with a Bot API call in its response body, which Telegram
(and so the fake) executes, and a callback query by answering it.
"""

import json

from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from viralcore.urls import urlpatterns as project_urlpatterns

received: list[dict] = []


@csrf_exempt
def stub_webhook(request):
    update = json.loads(request.body)
    received.append({"headers": dict(request.headers), "update": update})
    if "message" in update:
        return JsonResponse(
            {"method": "sendMessage", "chat_id": update["message"]["chat"]["id"], "text": "pong"}
        )
    if "callback_query" in update:
        return JsonResponse(
            {
                "method": "answerCallbackQuery",
                "callback_query_id": update["callback_query"]["id"],
                "text": "Plan bought",
            }
        )
    return HttpResponse()


urlpatterns = [
    pattern for pattern in project_urlpatterns if not str(pattern.pattern).startswith("telegram/")
]
urlpatterns.append(path("telegram/webhook/", stub_webhook))
