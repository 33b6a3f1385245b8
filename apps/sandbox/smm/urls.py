"""Route of the fake SMM panels, mounted at /sandbox/smm/ (one endpoint per panel name)."""

from django.urls import re_path

from apps.sandbox.smm import views

urlpatterns = [
    # ".../api/v2" as panels publish it; a trailing slash is tolerated, as most panels do.
    re_path(r"^(?P<panel>[-a-zA-Z0-9_]+)/api/v2/?$", views.panel_api, name="smm-api"),
]
