"""Routes of the fake chains, mounted at /sandbox/chains/ (see apps/sandbox/urls.py)."""

from django.urls import include, path

urlpatterns = [
    path("bsc/", include("apps.sandbox.chains.bsc_urls")),
    path("tron/", include("apps.sandbox.chains.tron_urls")),
    path("solana/", include("apps.sandbox.chains.solana_urls")),
    path("aptos/", include("apps.sandbox.chains.aptos_urls")),
]
