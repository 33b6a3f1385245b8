"""Routes of the fake Solana chain, mounted at /sandbox/chains/solana/.

One JSON-RPC endpoint, like a real node's root URL; the trailing slash is optional because
HTTP clients given a base URL (httpx) post to it with one.
"""

from django.urls import re_path

from apps.sandbox.chains import solana

urlpatterns = [
    re_path(r"^rpc/?$", solana.rpc, name="chain-solana-rpc"),
]
