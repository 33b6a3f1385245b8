"""Staff API of withdrawals: list and read them, approve and reject them.

Decisions call the same services as the admin (services/approvals.py), so every rule applies
here too: the permissions, two different approvers above the dual-approval limit (the second a
Senior finance user), nobody approving twice or a request they are tied to. A refusal comes back
with the service's own message: 409 when the withdrawal is no longer waiting (or someone else
acted first), 403 when this staff member may not take the decision, 400 for a bad body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from apps.common.typed import whole_number
from apps.withdrawals import selectors
from apps.withdrawals.errors import NotWaiting, WithdrawalRefused
from apps.withdrawals.models import BalanceKind, Status, Withdrawal
from apps.withdrawals.serializers import (
    ApproveSerializer,
    FilterErrorSerializer,
    RefusalSerializer,
    RejectSerializer,
    WithdrawalSerializer,
)
from apps.withdrawals.services.approvals import (
    APPROVE,
    RETRY,
    SECOND_APPROVE,
    approve_withdrawal,
    reject_withdrawal,
)

VIEW_PERMISSION = "withdrawals.view_withdrawal"
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
MAX_BOUND_LENGTH = 40
BOUND_YEARS = range(2000, 3000)


# --- who may call it ---


class CanReadWithdrawals(BasePermission):
    message = "Reading withdrawals needs a staff account allowed to view or decide on them."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        return any(
            user.has_perm(name) for name in (VIEW_PERMISSION, APPROVE, SECOND_APPROVE, RETRY)
        )


# --- filters ---


class InvalidFilter(APIException):
    status_code = 400
    default_code = "invalid_filter"

    def __init__(self, parameter: str, message: str):
        super().__init__(
            {"error": "invalid_filter", "parameter": parameter, "detail": f"{parameter} {message}"}
        )


@dataclass(frozen=True)
class Filters:
    statuses: tuple[str, ...] = ()
    balance: str = ""
    needs_second_approval: bool | None = None
    requested_from: datetime | None = None
    requested_before: datetime | None = None  # exclusive
    telegram_id: int | None = None

    def apply(self, withdrawals: QuerySet) -> QuerySet:
        condition = Q()
        if self.statuses:
            condition &= Q(status__in=self.statuses)
        if self.balance:
            condition &= Q(balance=self.balance)
        if self.needs_second_approval is not None:
            condition &= Q(needs_second_approval=self.needs_second_approval)
        if self.requested_from is not None:
            condition &= Q(requested_at__gte=self.requested_from)
        if self.requested_before is not None:
            condition &= Q(requested_at__lt=self.requested_before)
        if self.telegram_id is not None:
            condition &= Q(user__telegram_id=self.telegram_id)
        return withdrawals.filter(condition)


def parse_filters(params) -> Filters:
    """Filters from query parameters; blank ones are ignored, a refused value is a 400."""

    def given(name: str) -> str:
        return (params.get(name) or "").strip()

    found: dict = {}
    if raw := given("status"):
        statuses = tuple(part.strip() for part in raw.split(",") if part.strip())
        if not statuses or any(value not in Status.values for value in statuses):
            raise InvalidFilter("status", f"must be one or more of {', '.join(Status.values)}.")
        found["statuses"] = statuses
    if raw := given("balance"):
        if raw not in BalanceKind.values:
            raise InvalidFilter("balance", f"must be one of {', '.join(BalanceKind.values)}.")
        found["balance"] = raw
    if raw := given("needs_second_approval"):
        if raw.lower() not in TRUE_WORDS + FALSE_WORDS:
            raise InvalidFilter("needs_second_approval", "must be true or false.")
        found["needs_second_approval"] = raw.lower() in TRUE_WORDS
    if raw := given("requested_from"):
        found["requested_from"] = _bound("requested_from", raw, end=False)
    if raw := given("requested_to"):
        found["requested_before"] = _bound("requested_to", raw, end=True)
    if raw := given("telegram_id"):
        if (telegram_id := whole_number(raw, max_digits=20)) is None:
            raise InvalidFilter("telegram_id", "must be a Telegram user id (digits).")
        found["telegram_id"] = telegram_id
    filters = Filters(**found)
    start, stop = filters.requested_from, filters.requested_before
    if start is not None and stop is not None and start >= stop:
        raise InvalidFilter("requested_from", "must be before requested_to.")
    return filters


def _bound(name: str, raw: str, *, end: bool) -> datetime:
    """A date (the whole day, UTC) or a datetime; for an END, the first moment after it."""
    value = None
    if len(raw) <= MAX_BOUND_LENGTH:
        try:
            # The date first: parse_datetime would read "2026-01-31" as midnight, not the day.
            value = parse_date(raw) or parse_datetime(raw)
        except ValueError:  # well-formed but impossible, such as 2026-02-30
            value = None
    if value is None or value.year not in BOUND_YEARS:
        message = "must be an ISO date (2026-01-31) or datetime (2026-01-31T14:00:00Z)."
        if " " in raw:
            message += " Write a time zone's + as %2B in a URL."
        raise InvalidFilter(name, message)
    if isinstance(value, datetime):
        moment = value if timezone.is_aware(value) else timezone.make_aware(value)
        return moment + timedelta(microseconds=1) if end else moment
    day: date = value + timedelta(days=1) if end else value
    return timezone.make_aware(datetime(day.year, day.month, day.day))


# --- pagination ---


class WithdrawalCursorPagination(CursorPagination):
    # Oldest first, as finance works the queue; a cursor never skips or repeats a row while
    # new requests arrive between pages.
    ordering = ("requested_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- documentation ---

FILTER_PARAMETERS = [
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        description=f"One status or several, comma-separated: {', '.join(Status.values)}.",
    ),
    OpenApiParameter("balance", OpenApiTypes.STR, enum=BalanceKind.values),
    OpenApiParameter("needs_second_approval", OpenApiTypes.BOOL),
    OpenApiParameter(
        "requested_from",
        OpenApiTypes.STR,
        description="ISO date (from the start of that day, UTC) or datetime (inclusive).",
    ),
    OpenApiParameter(
        "requested_to",
        OpenApiTypes.STR,
        description="ISO date (to the end of that day, UTC) or datetime (inclusive).",
    ),
    OpenApiParameter("telegram_id", OpenApiTypes.INT, description="The bot user's Telegram id."),
]
ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The withdrawal's id (W-<id>)."
)
REFUSED = {
    400: OpenApiResponse(description="The body is missing or invalid (field errors)."),
    401: OpenApiResponse(description="Not authenticated."),
    403: OpenApiResponse(
        RefusalSerializer, description="This staff member may not take the decision."
    ),
    404: OpenApiResponse(description="No such withdrawal."),
    409: OpenApiResponse(
        RefusalSerializer,
        description="The withdrawal is no longer waiting, or someone else acted first.",
    ),
}
AUTH_NOTE = (
    "Session or token authentication (`Authorization: Token <key>`). "
    "The account number is only ever shown masked."
)


@extend_schema_view(
    list=extend_schema(
        summary="List withdrawals",
        tags=["withdrawals"],
        description=(
            "Oldest first, as the approval queue. Filters combine with AND. "
            f"{AUTH_NOTE} Staff with withdrawals.view_withdrawal or a withdrawal decision right."
        ),
        parameters=FILTER_PARAMETERS,
        responses={
            200: WithdrawalSerializer(many=True),
            400: OpenApiResponse(FilterErrorSerializer, description="A filter value was refused."),
            401: OpenApiResponse(description="Not authenticated."),
            403: OpenApiResponse(description="Not allowed to read withdrawals."),
        },
    ),
    retrieve=extend_schema(
        summary="Read one withdrawal",
        tags=["withdrawals"],
        description=AUTH_NOTE,
        parameters=[ID_PARAMETER],
        responses={
            200: WithdrawalSerializer,
            401: OpenApiResponse(description="Not authenticated."),
            403: OpenApiResponse(description="Not allowed to read withdrawals."),
            404: OpenApiResponse(description="No such withdrawal."),
        },
    ),
)
class WithdrawalViewSet(ListModelMixin, RetrieveModelMixin, GenericViewSet):
    serializer_class = WithdrawalSerializer
    pagination_class = WithdrawalCursorPagination
    filter_backends = []
    lookup_value_regex = r"\d+"
    queryset = Withdrawal.objects.none()  # for the schema; get_queryset is the real one

    def get_permissions(self):
        if self.action in ("approve", "reject"):
            # Any staff member reaches the service, which answers with its own refusal.
            return [IsAdminUser()]
        return [CanReadWithdrawals()]

    def get_queryset(self):
        withdrawals = selectors.queue()
        if self.action == "list":
            withdrawals = parse_filters(self.request.query_params).apply(withdrawals)
        return withdrawals

    @extend_schema(
        summary="Approve a withdrawal",
        tags=["withdrawals"],
        description=(
            "Records the caller's approval with the payout mode. Above the dual-approval limit "
            "the first approval leaves it waiting (`approvals` is 1) and a second, different "
            "Senior finance user must approve. Automatic payouts are then sent by the payout "
            f"worker. {AUTH_NOTE}"
        ),
        parameters=[ID_PARAMETER],
        request=ApproveSerializer,
        responses={200: WithdrawalSerializer, **REFUSED},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._decide(approve_withdrawal, pk, payout_mode=body.validated_data["payout_mode"])

    @extend_schema(
        summary="Reject a withdrawal",
        tags=["withdrawals"],
        description=(
            "Refuses a waiting request: the user reads the reason and the held amount goes "
            f"back to their balance. {AUTH_NOTE}"
        ),
        parameters=[ID_PARAMETER],
        request=RejectSerializer,
        responses={200: WithdrawalSerializer, **REFUSED},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._decide(reject_withdrawal, pk, reason=body.validated_data["reason"])

    def _decide(self, service, pk, **arguments) -> Response:
        withdrawal = get_object_or_404(Withdrawal, pk=pk)
        try:
            service(withdrawal=withdrawal, actor=self.request.user, **arguments)
        except NotWaiting as refusal:
            body = {"error": "not_waiting", "detail": str(refusal)}
            return Response(body, status=status.HTTP_409_CONFLICT)
        except WithdrawalRefused as refusal:
            body = {"error": "refused", "detail": str(refusal)}
            return Response(body, status=status.HTTP_403_FORBIDDEN)
        decided = selectors.queue().get(pk=withdrawal.pk)
        return Response(self.get_serializer(decided).data)
