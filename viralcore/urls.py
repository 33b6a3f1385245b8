"""URL map: the staff admin, operations endpoints and the staff API schema."""

from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from apps.common import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", views.health, name="health"),
    path("ready/", views.ReadinessView.as_view(), name="ready"),
    path("metrics", views.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

handler400 = "apps.common.views.bad_request"
handler403 = "apps.common.views.permission_denied"
handler404 = "apps.common.views.page_not_found"
handler500 = "apps.common.views.server_error"
