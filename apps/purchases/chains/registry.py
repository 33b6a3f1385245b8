"""The chain client for a network, built from settings (base URL, key, shared breaker).

Clients are kept per process and reused (httpx clients are thread-safe): a verifier checking
hundreds of claims keeps its keep-alive connections instead of opening one per claim. A change
of settings (tests point them at a live server) builds a new one.
"""

from __future__ import annotations

import threading
from importlib import import_module

from django.conf import settings

from apps.purchases.chains.base import ChainClient

_BUILDERS = {
    "bsc": ("apps.purchases.clients.bsc", "build_bsc_client", ("BSC_RPC_URL",)),
    "tron": (
        "apps.purchases.clients.tron",
        "build_tron_client",
        ("TRONGRID_URL", "TRONGRID_API_KEY"),
    ),
    "solana": ("apps.purchases.clients.solana", "build_solana_client", ("SOLANA_RPC_URL",)),
    "aptos": ("apps.purchases.clients.aptos", "build_aptos_client", ("APTOS_API_URL",)),
}
_clients: dict[tuple, ChainClient] = {}
_lock = threading.Lock()


def chain_client(network: str) -> ChainClient:
    module, builder, setting_names = _BUILDERS[network]
    key = (network, *(getattr(settings, name) for name in setting_names))
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = getattr(import_module(module), builder)()
        return client
