"""Staff API routes of the audit app, mounted under /api/v1/."""

from django.urls import path

from apps.audit.api import AuditEventListView

app_name = "audit"

urlpatterns = [
    path("audit-events/", AuditEventListView.as_view(), name="event-list"),
]
