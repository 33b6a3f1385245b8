"""The queue's filters. The state filter defaults to "waiting": the list is finance's queue."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR

from apps.withdrawals import selectors
from apps.withdrawals.models import Status

ALL = "all"
TO_PAY_BY_HAND = "to_pay_by_hand"
FAILED_OPEN = "failed_open"


class StatusFilter(admin.SimpleListFilter):
    """Waiting requests unless another state is chosen; a search looks at every state."""

    title = "state"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            *Status.choices,
            (TO_PAY_BY_HAND, "Approved for manual payout: to pay by hand"),
            (FAILED_OPEN, "Failed, not retried or refunded"),
            (ALL, "All states"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            if request.GET.get(SEARCH_VAR, "").strip():
                return queryset  # staff looking a withdrawal up want it whatever its state
            return queryset.filter(status=Status.REQUESTED)
        if value == ALL:
            return queryset
        if value == TO_PAY_BY_HAND:
            return selectors.to_pay_by_hand(queryset)
        if value == FAILED_OPEN:
            return selectors.open_failures(queryset)
        return queryset.filter(status=value)

    def choices(self, changelist):
        # No "All" link of Django's own: no parameter means "waiting" here, so ALL is explicit.
        value = self.value()
        default = value is None and not changelist.query.strip()
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == str(lookup) or (default and lookup == Status.REQUESTED),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class AmountRangeFilter(admin.SimpleListFilter):
    """By USD value, so affiliate (USD) and earnings (NGN) requests compare."""

    title = "amount (USD value)"
    parameter_name = "amount"

    def lookups(self, request, model_admin):
        dual = settings.WITHDRAWAL_DUAL_APPROVAL_USD
        return [
            ("under_10", "Under $10"),
            ("10_50", "$10 to $50"),
            ("50_dual", f"$50 to ${dual:,.2f}"),
            ("over_dual", f"Over ${dual:,.2f} (two approvals)"),
        ]

    def queryset(self, request, queryset):
        dual = settings.WITHDRAWAL_DUAL_APPROVAL_USD
        ranges = {
            "under_10": {"amount_usd__lt": Decimal(10)},
            "10_50": {"amount_usd__gte": Decimal(10), "amount_usd__lt": Decimal(50)},
            "50_dual": {"amount_usd__gte": Decimal(50), "amount_usd__lte": dual},
            "over_dual": {"amount_usd__gt": dual},
        }
        chosen = ranges.get(self.value())
        return queryset.filter(**chosen) if chosen else queryset


class ApprovalsFilter(admin.SimpleListFilter):
    title = "approvals"
    parameter_name = "approvals"

    def lookups(self, request, model_admin):
        return [
            ("needs_two", "Needs two approvals"),
            ("one_of_two", "Has one approval, waits for a second"),
            ("none_yet", "Waiting, no approval yet"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "needs_two":
            return queryset.filter(needs_second_approval=True)
        if value == "one_of_two":
            return selectors.waiting_for_second_approval(queryset)
        if value == "none_yet":
            return queryset.filter(status=Status.REQUESTED, approval_count=0)
        return queryset
