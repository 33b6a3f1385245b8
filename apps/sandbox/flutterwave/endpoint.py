"""What every fake Flutterwave route shares: the secret key check and the error envelope."""

from __future__ import annotations

import functools
import hmac
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.sandbox.flutterwave import wire
from apps.sandbox.provider_fakes import json_response, provider_endpoint

# Flutterwave's gateway answer when it gave up waiting (external-apis.md §1.7).
GATEWAY_FAILURE = "An error occurred. Please contact support"
INVALID_KEY = "Invalid authorization key"


def _error_body(status: int, text: str) -> dict:
    return wire.error(GATEWAY_FAILURE if status >= HTTPStatus.INTERNAL_SERVER_ERROR else text)


def error_response(status: int, message: str) -> HttpResponse:
    return json_response(wire.error(message), status)


def _key_matches(request: HttpRequest) -> bool:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    expected = settings.FLUTTERWAVE_SECRET_KEY or ""
    if scheme.lower() != "bearer" or not key or not expected:
        return False
    return hmac.compare_digest(key.strip().encode(), expected.encode())


def flutterwave_endpoint(method: str, *, http_method: str, fail_after_processing: bool = False):
    """A fake Flutterwave route answering HTTP_METHOD only, for callers with the secret key.

    METHOD names it for failure injection and the call log ("flutterwave.charges").
    """

    def decorate(view):
        @provider_endpoint(
            method, error_body=_error_body, fail_after_processing=fail_after_processing
        )
        @functools.wraps(view)
        def endpoint(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _key_matches(request):
                return error_response(HTTPStatus.UNAUTHORIZED, INVALID_KEY)
            if request.method != http_method:
                return error_response(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed")
            return view(request, *args, **kwargs)

        return endpoint

    return decorate
