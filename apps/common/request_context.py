"""Who is calling: the client IP of the request being served, for audit events."""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def normalise_ip(value: str | None) -> str | None:
    """The canonical text of an IP address, or None when VALUE is not one."""
    try:
        return ipaddress.ip_address((value or "").strip()).compressed
    except ValueError:
        return None


def get_client_ip() -> str | None:
    return _client_ip.get()


def set_client_ip(value: str | None) -> None:
    _client_ip.set(normalise_ip(value))


def client_ip_from_request(request) -> str:
    """The caller's IP: REMOTE_ADDR, or the entry TRUSTED_PROXY_COUNT hops back in
    X-Forwarded-For when that many proxies we run sit in front of us. Entries further left
    are written by the client and could be anything, so they are never trusted.
    """
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote
    return forwarded[-hops]


def clear_request_context(**kwargs) -> None:
    """Forget the client IP (a request_finished receiver, hence **kwargs)."""
    _client_ip.set(None)
