"""ASGI entry point (not used by the Procfile; kept for servers that speak ASGI)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "viralcore.settings")

application = get_asgi_application()
