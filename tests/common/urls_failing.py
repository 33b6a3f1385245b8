"""A URL map with a view that crashes, to see what a client is shown when code fails."""

from django.urls import path

from viralcore.urls import urlpatterns as project_urlpatterns


def crash(request):
    raise RuntimeError("internal detail: Bearer leakedtoken123 at /srv/app/secret.py")


urlpatterns = [path("crash/", crash), *project_urlpatterns]
handler500 = "apps.common.views.server_error"
