"""The project's URLs without the Telegram webhook: what the chat page meets before it exists."""

from viralcore.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    pattern for pattern in project_urlpatterns if not str(pattern.pattern).startswith("telegram/")
]
