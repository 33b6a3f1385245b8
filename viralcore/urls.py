"""URL map: the staff admin, operations endpoints, the staff API and its schema and docs."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.common import views
from apps.purchases.webhooks import flutterwave_webhook

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", views.health, name="health"),
    path("telegram/", include("apps.bot.urls")),
    path("flutterwave/webhook/", flutterwave_webhook, name="flutterwave-webhook"),
    path("ready/", views.ReadinessView.as_view(), name="ready"),
    path("metrics", views.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("apps.audit.urls")),
    path("api/v1/", include("apps.withdrawals.urls")),
]

# The project's own fakes (Telegram Bot API, bot chat page): dev and tests only, never routed
# in production, where SANDBOX is refused at start-up.
if settings.SANDBOX:
    urlpatterns.append(path("sandbox/", include("apps.sandbox.urls")))

handler400 = "apps.common.views.bad_request"
handler403 = "apps.common.views.permission_denied"
handler404 = "apps.common.views.page_not_found"
handler500 = "apps.common.views.server_error"
