"""Request middleware shared by every app."""

from __future__ import annotations

from django.http import JsonResponse

from apps.common.correlation import (
    HEADER,
    InvalidCorrelationId,
    new_correlation_id,
    set_correlation_id,
    validate_correlation_id,
)
from apps.common.request_context import client_ip_from_request, set_client_ip


class CorrelationIdMiddleware:
    """Take the caller's X-Request-ID (or make one), run the request under it, echo it back.

    It also records the client IP for the audit events the request writes.

    A malformed or oversized id is refused with 400 and a message saying what is allowed:
    it would otherwise be written into every log line and audit event of the request.

    The id stays set until Django's request_finished signal (see apps.py), not just until this
    middleware returns: Django logs "Not Found" and server errors after the middleware chain.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get(HEADER)
        if supplied is not None:
            try:
                validate_correlation_id(supplied)
            except InvalidCorrelationId as error:
                return JsonResponse(
                    {"error": "invalid_request_id", "detail": str(error)}, status=400
                )
        correlation_id = supplied or new_correlation_id()
        set_correlation_id(correlation_id)
        set_client_ip(client_ip_from_request(request))
        request.correlation_id = correlation_id
        response = self.get_response(request)
        response[HEADER] = correlation_id
        return response
