"""Reads of withdrawals that the admin and the staff API share: the queue, what an approver
should know before deciding (history, risk flags), what a given staff member may do next, and
the queue's statistics.

Nothing here writes; the decisions themselves are in services/approvals.py, which checks every
rule again under a row lock. What this module says an actor "may" do is only a preview, so the
pages do not offer buttons that would certainly be refused.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.common.typed import whole_number
from apps.ledger.models import Entry
from apps.ledger.selectors import balances_for
from apps.withdrawals.models import Approval, PayoutAttempt, PayoutMode, Status, Withdrawal
from apps.withdrawals.services.approvals import APPROVE, RETRY, SECOND_APPROVE

AUDIT_OBJECT_TYPE = "withdrawals.withdrawal"

# --- risk thresholds (what makes a careful approver look twice) ---
# A bot account younger than this at the time of the request.
NEW_ACCOUNT_DAYS = 7
# Flag a request this many times above the median of the user's earlier requests (USD value).
USUAL_MULTIPLE = Decimal(3)
# How many earlier requests the median is taken over (the newest ones).
USUAL_HISTORY = 50
# Velocity is "near the limit" from this share of WITHDRAWAL_MAX_PER_HOUR or _USD_PER_DAY.
VELOCITY_NEAR_SHARE = Decimal("0.8")
# Other users shown by name when a bank account is shared.
SHARED_USERS_SHOWN = 5
# Requests that never moved money do not count towards velocity (as in limits.py).
NOT_COUNTED = (Status.REJECTED, Status.CANCELLED)

# --- how much history a review page shows ---
ENTRIES_SHOWN = 15
PREVIOUS_SHOWN = 10

# A payout may be retried once Flutterwave confirmed the last transfer failed (or never got it).
RETRYABLE_PROVIDER_STATUSES = ("FAILED", "NOT_FOUND")
PAID_STATUSES = (Status.PAID, Status.PAID_MANUALLY)
IN_FLIGHT_STATUSES = (Status.APPROVED, Status.SENDING, Status.SENT, Status.UNKNOWN)


# --- the queue ---


def queue() -> QuerySet[Withdrawal]:
    """Every withdrawal, oldest first, with its user and how many approvals it has so far.

    The approval count is a correlated subquery rather than a JOIN + GROUP BY, so the page's
    query stays on the withdrawal rows (and their indexes) however the list is filtered.
    """
    approvals = (
        Approval.objects.filter(withdrawal=OuterRef("pk"))
        .order_by()
        .values("withdrawal")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return (
        Withdrawal.objects.select_related("user")
        .annotate(
            approval_count=Coalesce(Subquery(approvals, output_field=IntegerField()), Value(0))
        )
        .order_by("requested_at", "id")
    )


def approvals_needed(withdrawal: Withdrawal) -> int:
    return 2 if withdrawal.needs_second_approval else 1


def waiting_for_second_approval(withdrawals: QuerySet) -> QuerySet:
    """Waiting requests that have their first approval and need a second (annotated queue)."""
    return withdrawals.filter(status=Status.REQUESTED, needs_second_approval=True, approval_count=1)


def to_pay_by_hand(withdrawals: QuerySet) -> QuerySet:
    return withdrawals.filter(status=Status.APPROVED, payout_mode=PayoutMode.MANUAL)


def open_failures(withdrawals: QuerySet) -> QuerySet:
    """Failed payouts nobody has retried, paid by hand or refunded yet."""
    return withdrawals.filter(status=Status.FAILED, refunded_at__isnull=True)


# --- search ---

_OUR_REFERENCE = re.compile(r"^W-?(\d+)$", re.IGNORECASE)
_PAYOUT_REFERENCE = re.compile(r"^VCW-(\d+)-(\d+)$", re.IGNORECASE)


def search(withdrawals: QuerySet, term: str) -> QuerySet:
    """WITHDRAWALS matching TERM exactly, whatever kind of key staff pasted.

    W-<id> (our reference), VCW-<id>-<attempt> (the payout reference), a Flutterwave transfer
    id, a Telegram id, @username (any case), the last 4 digits or the whole account number.
    Every branch is an indexed equality (or a suffix match on a short column), never a LIKE
    over free text.
    """
    term = term.strip()
    if not term:
        return withdrawals
    return withdrawals.filter(_search_condition(term))


def _search_condition(term: str) -> Q:
    if match := _OUR_REFERENCE.match(term):
        return Q(pk=int(match[1]))
    if match := _PAYOUT_REFERENCE.match(term):
        by_attempt = PayoutAttempt.objects.filter(reference__iexact=term).values("withdrawal_id")
        return Q(pk__in=by_attempt) | Q(pk=int(match[1]))
    if (number := whole_number(term, max_digits=40)) is not None:
        by_transfer = PayoutAttempt.objects.filter(transfer_id=number).values("withdrawal_id")
        found = Q(user__telegram_id=number) | Q(transfer_id=number) | Q(pk__in=by_transfer)
        if len(term) == 4:
            found |= Q(account_number__endswith=term)
        if len(term) == 10:
            found |= Q(account_number=term)
        return found
    username = term.lstrip("@")
    if not username:
        return Q(pk__in=[])  # "@" alone must not match every user without a username
    return Q(user__username__iexact=username)


# --- risk flags ---


@dataclass(frozen=True)
class RiskFlag:
    code: str
    message: str
    # A soft hint is worth a look but is often innocent (nicknames on Telegram).
    soft: bool = False


def risk_flags(withdrawal: Withdrawal) -> list[RiskFlag]:
    """What should make an approver look twice at WITHDRAWAL, hard flags first."""
    flags = [
        flag
        for flag in (
            _new_account(withdrawal),
            _shared_bank_account(withdrawal),
            *_velocity(withdrawal),
            _above_usual(withdrawal),
            _name_mismatch(withdrawal),
        )
        if flag is not None
    ]
    return sorted(flags, key=lambda flag: flag.soft)


def _new_account(withdrawal: Withdrawal) -> RiskFlag | None:
    age = withdrawal.requested_at - withdrawal.user.created_at
    if age >= timedelta(days=NEW_ACCOUNT_DAYS):
        return None
    return RiskFlag(
        "new_account",
        f"New account: registered {_duration(age)} before this request "
        f"(less than {NEW_ACCOUNT_DAYS} days).",
    )


def _shared_bank_account(withdrawal: Withdrawal) -> RiskFlag | None:
    others = (
        Withdrawal.objects.filter(
            bank_code=withdrawal.bank_code, account_number=withdrawal.account_number
        )
        .exclude(user_id=withdrawal.user_id)
        .order_by("user_id")
        .values_list("user__telegram_id", "user__username")
        .distinct()
    )
    users = list(others)
    if not users:
        return None
    shown = ", ".join(
        f"@{username}" if username else str(telegram_id)
        for telegram_id, username in users[:SHARED_USERS_SHOWN]
    )
    more = f" and {len(users) - SHARED_USERS_SHOWN} more" if len(users) > SHARED_USERS_SHOWN else ""
    count = f"{len(users)} other user{'s' if len(users) != 1 else ''}"
    return RiskFlag(
        "shared_bank_account",
        f"Bank account {withdrawal.masked_account} ({withdrawal.bank_name}) was also used by "
        f"{count}: {shown}{more}.",
    )


def _velocity(withdrawal: Withdrawal) -> list[RiskFlag | None]:
    """Requests in the hour and USD in the day up to this request, this one included."""
    counted = (
        Withdrawal.objects.filter(
            user_id=withdrawal.user_id, requested_at__lte=withdrawal.requested_at
        )
        .exclude(status__in=NOT_COUNTED)
        .exclude(pk=withdrawal.pk)
    )
    hour_start = withdrawal.requested_at - timedelta(hours=1)
    in_hour = counted.filter(requested_at__gt=hour_start).count() + 1
    day_start = withdrawal.requested_at - timedelta(days=1)
    earlier = counted.filter(requested_at__gt=day_start).aggregate(total=Sum("amount_usd"))
    in_day = (earlier["total"] or Decimal(0)) + withdrawal.amount_usd
    per_hour = settings.WITHDRAWAL_MAX_PER_HOUR
    per_day = settings.WITHDRAWAL_MAX_USD_PER_DAY
    flags: list[RiskFlag | None] = [None, None]
    if in_hour >= math.ceil(per_hour * VELOCITY_NEAR_SHARE):
        flags[0] = RiskFlag(
            "velocity_hour",
            f"{in_hour} requests within the hour up to this one (the limit is {per_hour}).",
        )
    if in_day >= per_day * VELOCITY_NEAR_SHARE:
        flags[1] = RiskFlag(
            "velocity_day",
            f"USD {in_day:,.2f} requested within 24 hours up to this one "
            f"(the limit is USD {per_day:,.2f}).",
        )
    return flags


def _above_usual(withdrawal: Withdrawal) -> RiskFlag | None:
    earlier = list(
        Withdrawal.objects.filter(
            user_id=withdrawal.user_id, requested_at__lte=withdrawal.requested_at
        )
        .exclude(pk=withdrawal.pk)
        .exclude(status=Status.CANCELLED)
        .order_by("-requested_at", "-id")
        .values_list("amount_usd", flat=True)[:USUAL_HISTORY]
    )
    if not earlier:
        return None
    usual = statistics.median(earlier)
    if withdrawal.amount_usd <= usual * USUAL_MULTIPLE:
        return None
    return RiskFlag(
        "above_usual",
        f"USD {withdrawal.amount_usd:,.2f} is more than {USUAL_MULTIPLE} times this user's usual "
        f"(median USD {usual:,.2f} over {len(earlier)} earlier request"
        f"{'s' if len(earlier) != 1 else ''}).",
    )


def name_tokens(text: str) -> set[str]:
    """Lower-case words of two letters or more, accents removed: "Adá O'Bi" -> {"ada", "obi"}."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.split(r"[^a-z]+", plain.lower().replace("'", ""))
    return {word for word in words if len(word) >= 2}


def _name_mismatch(withdrawal: Withdrawal) -> RiskFlag | None:
    user = withdrawal.user
    telegram = name_tokens(user.full_name)
    if not telegram or telegram & name_tokens(withdrawal.account_name):
        return None
    return RiskFlag(
        "name_mismatch",
        f"The account name “{withdrawal.account_name}” shares no name with the Telegram name "
        f"“{user.full_name}” (a hint only: many people use nicknames on Telegram).",
        soft=True,
    )


def _duration(span: timedelta) -> str:
    if span < timedelta(hours=1):
        return f"{max(int(span.total_seconds() // 60), 0)} min"
    if span < timedelta(days=2):
        return f"{int(span.total_seconds() // 3600)} h"
    return f"{span.days} days"


# --- what an approver sees ---


@dataclass
class Review:
    """Everything the confirmation page shows about one withdrawal."""

    withdrawal: Withdrawal
    balances: dict[str, Decimal]
    entries: list[Entry]
    previous: list[Withdrawal]
    account_age: timedelta
    referral_count: int
    flags: list[RiskFlag]
    approvals: list[Approval] = field(default_factory=list)

    @property
    def approvals_needed(self) -> int:
        return approvals_needed(self.withdrawal)


def review(withdrawal: Withdrawal, *, now: datetime | None = None) -> Review:
    """WITHDRAWAL with its user's balances, ledger history, earlier requests and risk flags."""
    user = withdrawal.user
    entries = (
        Entry.objects.filter(account__owner=user)
        .select_related("transaction", "account")
        .order_by("-id")[:ENTRIES_SHOWN]
    )
    previous = (
        Withdrawal.objects.filter(user=user).exclude(pk=withdrawal.pk).order_by("-requested_at")
    )
    return Review(
        withdrawal=withdrawal,
        balances=balances_for(user),
        entries=list(entries),
        previous=list(previous[:PREVIOUS_SHOWN]),
        account_age=(now or timezone.now()) - user.created_at,
        referral_count=user.referrals.count(),
        flags=risk_flags(withdrawal),
        approvals=list(withdrawal.approvals.select_related("approver").order_by("created_at")),
    )


def audit_events(withdrawal: Withdrawal) -> QuerySet[AuditEvent]:
    """The withdrawal's audit trail, oldest first (served by the object index)."""
    return AuditEvent.objects.filter(
        object_type=AUDIT_OBJECT_TYPE, object_id=str(withdrawal.pk)
    ).order_by("sequence")


# --- what a staff member may do next (a preview; the services decide) ---


def approval_refusal(withdrawal: Withdrawal, actor, approvals=None) -> str:
    """Why ACTOR's approval of WITHDRAWAL would be refused, or "" if it would be accepted."""
    if not actor.has_perm(APPROVE):
        return "You may not approve withdrawals."
    if withdrawal.status != Status.REQUESTED:
        return f"It is {withdrawal.get_status_display().lower()}, not waiting."
    user = withdrawal.user
    if user.staff_user_id == actor.pk:
        return "It is your own bot account."
    if user.referrer_id is not None and user.referrer.staff_user_id == actor.pk:
        return "It is a user you referred."
    if approvals is None:
        approvals = list(withdrawal.approvals.all())
    if any(approval.approver_id == actor.pk for approval in approvals):
        return "You already approved it; a different Senior finance user must approve."
    if approvals and not actor.has_perm(SECOND_APPROVE):
        return "The second approval needs a Senior finance user."
    return ""


def approval_outcome(withdrawal: Withdrawal, approvals) -> str:
    """What an accepted approval does: approve, or record the first of two."""
    if withdrawal.needs_second_approval and not approvals:
        return "first of two approvals; a second, different Senior finance user must approve"
    return "approved"


def last_attempt(withdrawal: Withdrawal) -> PayoutAttempt | None:
    return withdrawal.attempts.order_by("-number").first()


def can_retry(withdrawal: Withdrawal) -> bool:
    """Retry only once Flutterwave confirmed the last transfer failed (never on "unknown")."""
    if withdrawal.status != Status.FAILED or withdrawal.refunded_at is not None:
        return False
    attempt = last_attempt(withdrawal)
    return attempt is None or attempt.provider_status in RETRYABLE_PROVIDER_STATUSES


def next_steps(withdrawal: Withdrawal, actor) -> list[str]:
    """The decisions ACTOR can take on WITHDRAWAL now: approve, reject, mark_paid, retry, refund."""
    steps = []
    if withdrawal.status == Status.REQUESTED and actor.has_perm(APPROVE):
        if not approval_refusal(withdrawal, actor):
            steps.append("approve")
        steps.append("reject")
    if actor.has_perm(RETRY):
        manual = (
            withdrawal.status == Status.APPROVED and withdrawal.payout_mode == PayoutMode.MANUAL
        )
        failed = withdrawal.status == Status.FAILED and withdrawal.refunded_at is None
        if manual or failed:
            steps.append("mark_paid")
        if failed and can_retry(withdrawal):
            steps.append("retry")
        if failed:
            steps.append("refund")
    return steps


# --- statistics ---


@dataclass
class QueueStats:
    waiting_by_currency: list[dict]
    waiting_for_second: int
    in_flight: int
    paid_today_count: int
    paid_today_ngn: Decimal
    failures_open_count: int
    failures_open_ngn: Decimal
    unknown_count: int
    approved_last_7_days: int
    average_time_to_approve: timedelta | None


def queue_stats(*, now: datetime | None = None) -> QueueStats:
    """The queue at a glance: what waits, what was paid today (UTC), what failed, how fast."""
    now = now or timezone.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    waiting = (
        Withdrawal.objects.filter(status=Status.REQUESTED)
        .order_by("currency")
        .values("currency")
        .annotate(count=Count("pk"), amount=Sum("amount"), amount_ngn=Sum("amount_ngn"))
    )
    paid = Withdrawal.objects.filter(status__in=PAID_STATUSES, closed_at__gte=today).aggregate(
        count=Count("pk"), ngn=Sum("amount_ngn")
    )
    failed = open_failures(Withdrawal.objects.all()).aggregate(
        count=Count("pk"), ngn=Sum("amount_ngn")
    )
    # Average in Python: timestamp arithmetic differs between SQLite and PostgreSQL, and a
    # week of approvals is a few thousand rows at most.
    spans = [
        approved_at - requested_at
        for requested_at, approved_at in Withdrawal.objects.filter(
            approved_at__gte=now - timedelta(days=7)
        ).values_list("requested_at", "approved_at")
    ]
    return QueueStats(
        waiting_by_currency=list(waiting),
        waiting_for_second=waiting_for_second_approval(queue()).count(),
        in_flight=Withdrawal.objects.filter(status__in=IN_FLIGHT_STATUSES).count(),
        paid_today_count=paid["count"],
        paid_today_ngn=paid["ngn"] or Decimal("0.00"),
        failures_open_count=failed["count"],
        failures_open_ngn=failed["ngn"] or Decimal("0.00"),
        unknown_count=Withdrawal.objects.filter(status=Status.UNKNOWN).count(),
        approved_last_7_days=len(spans),
        average_time_to_approve=sum(spans, timedelta()) / len(spans) if spans else None,
    )
