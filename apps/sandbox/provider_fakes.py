"""What every JSON provider fake shares (prices, FX, Flutterwave): exact numbers, failure
injection, and a log of the calls it answered.

- Decimal values are written as JSON numbers digit for digit: real providers send numbers, and a
  float on the way would make the fake less exact than the contract it stands for.
- Injected failures (apps/sandbox/failures.py) use the provider-prefixed method name, e.g.
  "coingecko.simple_price". Most are answered before the request is handled. With
  ``fail_after_processing`` the 5xx and malformed kinds are answered *after* it: the provider did
  the work and the caller never heard, which is what a gateway timeout does to a payment
  provider (external-apis.md §1.7) and the case a non-idempotent client must survive.
- Every call lands in ApiCall under that method name, with its query and JSON body: never headers
  and never path arguments, which is where an API key travels (exchangerate-api).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.sandbox import services
from apps.sandbox.failures import Kind, consume_failure
from apps.sandbox.guards import sandbox_only

# (HTTP status, what happened) -> the provider's error body for it.
ErrorBody = Callable[[int, str], dict]

BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
# A body cut off mid-way, as a broken proxy returns it.
TRUNCATED_JSON = b'{"status":"success","data":{"amount":'
FAILURES_AFTER_PROCESSING = frozenset({Kind.HTTP_500, Kind.HTTP_502, Kind.MALFORMED_JSON})


def json_text(value: Any) -> str:
    """VALUE as JSON, with every Decimal written as a number with exactly its digits."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else "null"
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key))}:{json_text(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(json_text(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def json_response(body: Any, status: int = HTTPStatus.OK, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json_text(body).encode(), status=status, content_type="application/json; charset=utf-8"
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def json_body(request: HttpRequest) -> Any:
    """The request's JSON body, numbers as Decimal or int; ValueError when it is not JSON."""
    if not request.body:
        return {}
    return json.loads(request.body, parse_float=Decimal)


def failure_response(kind: str, error_body: ErrorBody, retry_after: int | None) -> HttpResponse:
    """The answer to an injected failure of KIND (anything but a delay)."""
    if kind == Kind.HTTP_429:
        seconds = retry_after or 1
        return json_response(
            error_body(HTTPStatus.TOO_MANY_REQUESTS, "Too Many Requests"),
            HTTPStatus.TOO_MANY_REQUESTS,
            Retry_After=str(seconds),
        )
    if kind == Kind.HTTP_500:
        status = HTTPStatus.INTERNAL_SERVER_ERROR
        return json_response(error_body(status, "Internal Server Error"), status)
    if kind == Kind.HTTP_502:
        return HttpResponse(BAD_GATEWAY_PAGE, status=502, content_type="text/html")
    if kind == Kind.HTTP_403_BLOCKED:
        return json_response(error_body(HTTPStatus.FORBIDDEN, "Forbidden"), HTTPStatus.FORBIDDEN)
    return HttpResponse(TRUNCATED_JSON, content_type="application/json")


def _loggable_request(request: HttpRequest) -> dict:
    params: dict[str, Any] = {key: request.GET.get(key) for key in request.GET}
    try:
        body = json_body(request) if request.method == "POST" else {}
    except ValueError:
        body = {"unparsed_body": request.body.decode(errors="replace")}
    if isinstance(body, dict):
        params.update({key: _plain(value) for key, value in body.items()})
    return params


def _plain(value: Any) -> Any:
    """JSON-storable: ApiCall.params is a JSONField and Decimal is not JSON."""
    return json.loads(json_text(value))


def provider_endpoint(
    method: str,
    *,
    error_body: ErrorBody,
    fail_after_processing: bool = False,
    path_holds_secret: bool = False,
):
    """Decorate a fake provider view: sandbox-only, csrf-exempt, never cached, failures, log.

    PATH_HOLDS_SECRET: the URL path carries an API key, so Django's own "Forbidden: <path>"
    and "Internal Server Error: <path>" lines must not be written (ApiCall records the call).
    """

    def decorate(view):
        @sandbox_only
        @csrf_exempt
        @never_cache
        @functools.wraps(view)
        def endpoint(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            started = time.monotonic()
            failure = consume_failure(method)
            kind = failure.kind if failure else ""
            retry_after = failure.retry_after if failure else None
            if kind == Kind.DELAY:
                time.sleep(failure.delay_seconds or 0)
            after = fail_after_processing and kind in FAILURES_AFTER_PROCESSING
            if kind and kind != Kind.DELAY and not after:
                response = failure_response(kind, error_body, retry_after)
            else:
                response = view(request, *args, **kwargs)
                if after:
                    response = failure_response(kind, error_body, retry_after)
            services.record_api_call(
                method=method,
                params=_loggable_request(request),
                http_status=response.status_code,
                ok=response.status_code < HTTPStatus.BAD_REQUEST and kind != Kind.MALFORMED_JSON,
                description=f"HTTP {response.status_code}",
                injected=kind,
                duration_ms=int((time.monotonic() - started) * 1000),
            )
            if path_holds_secret:
                response._has_been_logged = True  # read by django.utils.log.log_response
            return response

        return endpoint

    return decorate
