"""Routes of the fake BSC node, under /sandbox/chains/bsc/ (see apps/sandbox/chains/bsc.py)."""

from django.urls import re_path

from apps.sandbox.chains import bsc

urlpatterns = [
    # HTTP clients with a base URL often add a trailing slash; real RPC endpoints accept both.
    re_path(r"^rpc/?$", bsc.rpc, name="chain-bsc-rpc"),
]
