"""Staff API: list audit events with the admin's filters, newest first, cursor-paginated."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission

from apps.audit.actors import ACTOR_TYPES
from apps.audit.filters import InvalidFilter, parse_filters
from apps.audit.selectors import filter_events
from apps.audit.serializers import AuditEventSerializer

VIEW_PERMISSION = "audit.view_auditevent"


class AuditEventCursorPagination(CursorPagination):
    # A cursor on the unique sequence: no OFFSET scan and no COUNT on a million rows, and no
    # event skipped or repeated while new events arrive between pages.
    ordering = "-sequence"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CanReadAuditLog(BasePermission):
    message = "Reading the audit log needs a staff account allowed to view audit events."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and user.is_staff and user.has_perm(VIEW_PERMISSION)
        )


class InvalidFilterParameter(APIException):
    status_code = 400
    default_code = "invalid_filter"

    def __init__(self, error: InvalidFilter):
        super().__init__(
            {"error": "invalid_filter", "parameter": error.parameter, "detail": str(error)}
        )


FILTER_ERROR = inline_serializer(
    "AuditFilterError",
    fields={
        "error": serializers.CharField(),
        "parameter": serializers.CharField(),
        "detail": serializers.CharField(),
    },
)
DATE_BOUND_HELP = (
    "ISO date (the whole day, UTC) or ISO datetime (inclusive; write a time zone's + as %2B)."
)
FILTER_PARAMETERS = [
    OpenApiParameter(
        "action", OpenApiTypes.STR, description="Dotted action name, e.g. withdrawal.approved."
    ),
    OpenApiParameter("actor_type", OpenApiTypes.STR, enum=[value for value, _label in ACTOR_TYPES]),
    OpenApiParameter("object_type", OpenApiTypes.STR, description="e.g. withdrawal, bot_user."),
    OpenApiParameter("occurred_from", OpenApiTypes.STR, description=f"From: {DATE_BOUND_HELP}"),
    OpenApiParameter("occurred_to", OpenApiTypes.STR, description=f"To: {DATE_BOUND_HELP}"),
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description=(
            "Exact search key (case-insensitive, leading @ ignored, at least 3 characters): a "
            "Telegram id, username, object id, correlation id, payout reference or tx hash."
        ),
    ),
]


class AuditEventListView(ListAPIView):
    serializer_class = AuditEventSerializer
    permission_classes = [CanReadAuditLog]
    pagination_class = AuditEventCursorPagination
    # Filtering is apps.audit.selectors.filter_events, shared with the admin and the export.
    filter_backends = []

    def get_queryset(self):
        try:
            filters = parse_filters(self.request.query_params)
        except InvalidFilter as error:
            raise InvalidFilterParameter(error) from error
        return filter_events(**filters)

    @extend_schema(
        summary="List audit events",
        tags=["audit"],
        description=(
            "Newest first. Filters combine with AND; unknown query parameters are ignored. "
            "Session or token authentication (`Authorization: Token <key>`); staff with the "
            "audit.view_auditevent permission (Support, Finance, Senior finance)."
        ),
        parameters=FILTER_PARAMETERS,
        responses={
            200: AuditEventSerializer(many=True),
            400: OpenApiResponse(FILTER_ERROR, description="A filter value was refused."),
            401: OpenApiResponse(description="Not authenticated."),
            403: OpenApiResponse(description="Not allowed to read the audit log."),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
