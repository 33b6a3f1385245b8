"""What every fake chain endpoint shares: the simulated distance and a proxy's 502 page."""

from __future__ import annotations

import time
from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponse

# What an nginx in front of a node answers when the node is down: HTML, not JSON.
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def simulate_latency() -> None:
    """Sleep SANDBOX_CHAIN_LATENCY_MS: the payments benchmark plays a node ~200 ms away."""
    latency_ms = getattr(settings, "SANDBOX_CHAIN_LATENCY_MS", 0) or 0
    if latency_ms > 0:
        time.sleep(latency_ms / 1000)


def bad_gateway() -> HttpResponse:
    return HttpResponse(BAD_GATEWAY_PAGE, status=HTTPStatus.BAD_GATEWAY, content_type="text/html")
