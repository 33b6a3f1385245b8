"""Finance's withdrawal queue: the list, the change page, the decisions and the stats page.

Nothing here writes a model: every decision is a confirmed call to services/approvals.py,
which checks permissions, states and the maker-checker rule again under a row lock, and its
refusal is shown to staff as it is.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apps.withdrawals import selectors
from apps.withdrawals.admin.cells import (
    ORANGE,
    duration,
    money,
    rate,
    reference,
    status_badge,
    user_cell,
    when,
)
from apps.withdrawals.admin.filters import (
    FAILED_OPEN,
    TO_PAY_BY_HAND,
    AmountRangeFilter,
    ApprovalsFilter,
    StatusFilter,
)
from apps.withdrawals.admin.pages import (
    CONFIRM,
    REVIEW,
    approvals_table,
    attempts_table,
    audit_table,
    decision_page,
)
from apps.withdrawals.errors import WithdrawalRefused
from apps.withdrawals.forms import ApproveForm, MarkPaidForm, RejectForm
from apps.withdrawals.models import PayoutMode, Status, Withdrawal
from apps.withdrawals.services.approvals import (
    APPROVE,
    RETRY,
    SECOND_APPROVE,
    approve_withdrawal,
    mark_paid_manually,
    refund_failed,
    reject_withdrawal,
    retry_payout,
)

# The capability each decision needs (granted to roles in apps/users/roles.py).
STEP_PERMISSIONS = {
    "approve": APPROVE,
    "reject": APPROVE,
    "mark_paid": RETRY,
    "retry": RETRY,
    "refund": RETRY,
}
STEP_LABELS = {
    "approve": "Approve",
    "reject": "Reject",
    "mark_paid": "Mark paid",
    "retry": "Retry payout",
    "refund": "Refund to balance",
}


def decides_withdrawals(user) -> bool:
    """Staff who take withdrawal decisions may read the queue they decide on."""
    return (
        user.is_active
        and user.is_staff
        and any(user.has_perm(name) for name in (APPROVE, SECOND_APPROVE, RETRY))
    )


class WithdrawalsReadAccess:
    """View rights: the model's view permission, or any withdrawal decision capability."""

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or decides_withdrawals(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or decides_withdrawals(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def approved_message(withdrawal: Withdrawal) -> str:
    if withdrawal.status == Status.REQUESTED:
        return (
            f"{reference(withdrawal)}: first approval recorded (1 of 2); waiting for a second, "
            "different Senior finance user."
        )
    if withdrawal.payout_mode == PayoutMode.MANUAL:
        return (
            f"{reference(withdrawal)}: approved for manual payout. Pay it from the bank, then "
            "record the bank reference with “Mark paid”."
        )
    return f"{reference(withdrawal)}: approved; the Flutterwave payout is on its way."


@admin.register(Withdrawal)
class WithdrawalAdmin(WithdrawalsReadAccess, admin.ModelAdmin):
    change_list_template = "admin/withdrawals/withdrawal/change_list.html"
    change_form_template = "admin/withdrawals/withdrawal/change_form.html"
    list_display = (
        "reference_shown",
        "user_shown",
        "amount_shown",
        "amount_ngn_shown",
        "bank_name",
        "account_shown",
        "status_shown",
        "age_shown",
        "approvals_shown",
        "payout_mode",
    )
    list_display_links = ("reference_shown",)
    list_select_related = ("user",)
    list_filter = (
        StatusFilter,
        "balance",
        AmountRangeFilter,
        ApprovalsFilter,
        "payout_mode",
        "requested_at",
    )
    date_hierarchy = "requested_at"
    # get_search_results matches each kind of key exactly; this only makes the box appear.
    search_fields = ("=user__telegram_id",)
    search_help_text = (
        "W-<id>, payout reference (VCW-…), Flutterwave transfer id, Telegram id, @username, "
        "the last 4 digits (or all 10) of the account number. A search looks at every state."
    )
    ordering = ("requested_at", "id")
    sortable_by = (
        "reference_shown",
        "amount_shown",
        "amount_ngn_shown",
        "status_shown",
        "age_shown",
    )
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    actions = ["approve_selected", "reject_selected"]
    fieldsets = (
        ("Request", {
            "fields": ("reference_shown", "user_shown", "status_shown", "balance",
                       "amount_shown", "amount_ngn_shown", "amount_usd", "fx_shown",
                       "requested_at", "reason")
        }),
        ("Bank account", {
            "fields": ("bank_name", "bank_code", "account_shown", "account_name")
        }),
        ("Risk flags", {"fields": ("flags_shown",)}),
        ("Approvals", {
            "fields": ("approvals_shown", "approvals_list", "payout_mode", "approved_at")
        }),
        ("Payout", {
            "fields": ("attempt", "transfer_id", "attempts_list", "bank_reference", "sent_at",
                       "closed_at", "refunded_at", "next_check_at")
        }),
        ("Audit trail", {"fields": ("audit_list",)}),
    )  # fmt: skip
    readonly_fields = (
        "reference_shown",
        "user_shown",
        "status_shown",
        "amount_shown",
        "amount_ngn_shown",
        "fx_shown",
        "account_shown",
        "flags_shown",
        "approvals_shown",
        "approvals_list",
        "attempts_list",
        "audit_list",
    )

    def get_queryset(self, request):
        return selectors.queue()

    def get_search_results(self, request, queryset, search_term):
        return selectors.search(queryset, search_term), False

    # --- permissions of the decisions ---

    def has_approve_permission(self, request):
        return request.user.has_perm(APPROVE)

    def has_reject_permission(self, request):
        return request.user.has_perm(APPROVE)

    def _may(self, request, step: str) -> bool:
        return request.user.has_perm(STEP_PERMISSIONS[step])

    # --- pages ---

    def get_urls(self):
        def page(route, view, name):
            return path(
                route, self.admin_site.admin_view(view), name=f"withdrawals_withdrawal_{name}"
            )

        return [
            page("stats/", self.stats_view, "stats"),
            page("<path:object_id>/approve/", self.approve_view, "approve"),
            page("<path:object_id>/reject/", self.reject_view, "reject"),
            page("<path:object_id>/mark-paid/", self.mark_paid_view, "mark_paid"),
            page("<path:object_id>/retry/", self.retry_view, "retry"),
            page("<path:object_id>/refund/", self.refund_view, "refund"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        action = request.POST.get("action") if request.method == "POST" else None
        if action and action not in self.get_actions(request):
            raise PermissionDenied  # e.g. Support posting "approve_selected" by hand
        extra_context = {
            **(extra_context or {}),
            "stats_url": reverse("admin:withdrawals_withdrawal_stats"),
        }
        return super().changelist_view(request, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["decisions"] = [
                (STEP_LABELS[step], reverse(f"admin:withdrawals_withdrawal_{step}", args=[obj.pk]))
                for step in selectors.next_steps(obj, request.user)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def stats_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        stats = selectors.queue_stats()
        changelist = reverse("admin:withdrawals_withdrawal_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Withdrawal queue statistics",
            "stats": stats,
            "waiting": [
                {
                    "currency": row["currency"],
                    "count": row["count"],
                    "amount": money(row["amount"], row["currency"]),
                    "amount_ngn": money(row["amount_ngn"], "NGN"),
                }
                for row in stats.waiting_by_currency
            ],
            "paid_today_ngn": money(stats.paid_today_ngn, "NGN"),
            "failures_open_ngn": money(stats.failures_open_ngn, "NGN"),
            "average_time_to_approve": duration(stats.average_time_to_approve),
            "changelist_url": changelist,
            "links": {
                "waiting": changelist,
                "second": f"{changelist}?approvals=one_of_two",
                "failed": f"{changelist}?status={FAILED_OPEN}",
                "manual": f"{changelist}?status={TO_PAY_BY_HAND}",
                "unknown": f"{changelist}?status={Status.UNKNOWN}",
            },
        }
        return TemplateResponse(request, "admin/withdrawals/stats.html", context)

    # --- one withdrawal: buttons on its change page ---

    def _decidable(self, request, object_id, step: str) -> Withdrawal:
        withdrawal = self.get_object(request, unquote(object_id))
        if withdrawal is None:
            raise Http404(f"No withdrawal {object_id}.")
        if not (self.has_view_permission(request, withdrawal) and self._may(request, step)):
            raise PermissionDenied
        return withdrawal

    def _decide(self, request, withdrawal, call, done):
        """Call the service; its refusal is shown as it is, and nothing has changed."""
        try:
            result = call()
        except WithdrawalRefused as refusal:
            self.message_user(request, f"{reference(withdrawal)}: {refusal}", messages.ERROR)
        else:
            self.message_user(request, done(result), messages.SUCCESS)
        return redirect(reverse("admin:withdrawals_withdrawal_change", args=[withdrawal.pk]))

    def approve_view(self, request, object_id):
        withdrawal = self._decidable(request, object_id, "approve")
        form = ApproveForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            mode = form.cleaned_data["payout_mode"]
            return self._decide(
                request,
                withdrawal,
                lambda: approve_withdrawal(
                    withdrawal=withdrawal, actor=request.user, payout_mode=mode
                ),
                approved_message,
            )
        return decision_page(self, request, step="approve", withdrawals=[withdrawal], form=form)

    def reject_view(self, request, object_id):
        withdrawal = self._decidable(request, object_id, "reject")
        form = RejectForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            return self._decide(
                request,
                withdrawal,
                lambda: reject_withdrawal(withdrawal=withdrawal, actor=request.user, reason=reason),
                lambda done: (
                    f"{reference(done)}: rejected; the user is told why and the "
                    f"{money(done.amount, done.currency)} are back in their balance."
                ),
            )
        return decision_page(self, request, step="reject", withdrawals=[withdrawal], form=form)

    def mark_paid_view(self, request, object_id):
        withdrawal = self._decidable(request, object_id, "mark_paid")
        stage = request.POST.get("stage", "") if request.method == "POST" else ""
        form = MarkPaidForm(request.POST if stage else None)
        if stage == CONFIRM and form.is_valid():
            bank_reference = form.cleaned_data["bank_reference"]
            return self._decide(
                request,
                withdrawal,
                lambda: mark_paid_manually(
                    withdrawal=withdrawal, actor=request.user, bank_reference=bank_reference
                ),
                lambda done: (
                    f"{reference(done)}: marked paid manually with bank reference "
                    f"{done.bank_reference}; the hold is settled and the user is told."
                ),
            )
        if stage == REVIEW and form.is_valid():
            return decision_page(
                self,
                request,
                step="mark_paid",
                withdrawals=[withdrawal],
                form=form,
                show_form=False,
                title=f"Mark paid with bank reference {form.cleaned_data['bank_reference']}?",
                submit="Yes, mark it paid",
            )
        return decision_page(
            self, request, step="mark_paid", withdrawals=[withdrawal], form=form, stage=REVIEW
        )

    def retry_view(self, request, object_id):
        withdrawal = self._decidable(request, object_id, "retry")
        if request.method == "POST" and request.POST.get("stage") == CONFIRM:
            return self._decide(
                request,
                withdrawal,
                lambda: retry_payout(withdrawal=withdrawal, actor=request.user),
                lambda done: (
                    f"{reference(done)}: approved again; a new Flutterwave transfer is on its way."
                ),
            )
        return decision_page(self, request, step="retry", withdrawals=[withdrawal], form=None)

    def refund_view(self, request, object_id):
        withdrawal = self._decidable(request, object_id, "refund")
        if request.method == "POST" and request.POST.get("stage") == CONFIRM:
            return self._decide(
                request,
                withdrawal,
                lambda: refund_failed(withdrawal=withdrawal, actor=request.user),
                lambda done: (
                    f"{reference(done)}: refunded; "
                    f"{money(done.amount, done.currency)} are back in the user's balance."
                ),
            )
        return decision_page(self, request, step="refund", withdrawals=[withdrawal], form=None)

    # --- several withdrawals: actions on the list ---

    @admin.action(description="Approve selected withdrawals…", permissions=["approve"])
    def approve_selected(self, request, queryset):
        withdrawals = list(queryset.select_related("user__referrer"))
        form = ApproveForm(request.POST if request.POST.get("stage") == CONFIRM else None)
        if not form.is_valid():
            return decision_page(
                self,
                request,
                step="approve",
                withdrawals=withdrawals,
                form=form,
                action="approve_selected",
            )
        mode = form.cleaned_data["payout_mode"]
        outcomes = {"approved": 0, "waiting for a second approval": 0, "refused": 0}
        for withdrawal in withdrawals:
            try:
                done = approve_withdrawal(
                    withdrawal=withdrawal, actor=request.user, payout_mode=mode
                )
            except WithdrawalRefused as refusal:
                outcomes["refused"] += 1
                self.message_user(
                    request, f"{reference(withdrawal)}: refused: {refusal}", messages.ERROR
                )
                continue
            waiting = done.status == Status.REQUESTED
            outcomes["waiting for a second approval" if waiting else "approved"] += 1
            level = messages.WARNING if waiting else messages.SUCCESS
            self.message_user(request, approved_message(done), level)
        summary = ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items() if count)
        self.message_user(request, f"Bulk approval: {summary}. Nothing was marked paid.")
        return None

    @admin.action(description="Reject selected withdrawals…", permissions=["reject"])
    def reject_selected(self, request, queryset):
        withdrawals = list(queryset.select_related("user__referrer"))
        form = RejectForm(request.POST if request.POST.get("stage") == CONFIRM else None)
        if not form.is_valid():
            return decision_page(
                self,
                request,
                step="reject",
                withdrawals=withdrawals,
                form=form,
                action="reject_selected",
            )
        reason = form.cleaned_data["reason"]
        for withdrawal in withdrawals:
            try:
                reject_withdrawal(withdrawal=withdrawal, actor=request.user, reason=reason)
            except WithdrawalRefused as refusal:
                self.message_user(
                    request, f"{reference(withdrawal)}: refused: {refusal}", messages.ERROR
                )
            else:
                self.message_user(request, f"{reference(withdrawal)}: rejected.", messages.SUCCESS)
        return None

    # --- columns and fields ---

    @admin.display(description="Ref", ordering="id")
    def reference_shown(self, withdrawal):
        return reference(withdrawal)

    @admin.display(description="User", ordering="user__telegram_id")
    def user_shown(self, withdrawal):
        return user_cell(withdrawal.user)

    @admin.display(description="Amount", ordering="amount_usd")
    def amount_shown(self, withdrawal):
        return money(withdrawal.amount, withdrawal.currency)

    @admin.display(description="NGN paid out", ordering="amount_ngn")
    def amount_ngn_shown(self, withdrawal):
        return money(withdrawal.amount_ngn, "NGN")

    @admin.display(description="Account")
    def account_shown(self, withdrawal):
        return format_html("<code>{}</code>", withdrawal.masked_account)

    @admin.display(description="State", ordering="status")
    def status_shown(self, withdrawal):
        return status_badge(withdrawal)

    @admin.display(description="Requested", ordering="requested_at")
    def age_shown(self, withdrawal):
        # Sorted ascending, the oldest request (the one waiting longest) comes first.
        return format_html(
            '<span title="{}">{} ago</span>',
            withdrawal.requested_at.isoformat(),
            duration(timezone.now() - withdrawal.requested_at),
        )

    @admin.display(description="Approvals")
    def approvals_shown(self, withdrawal):
        count = getattr(withdrawal, "approval_count", None)
        if count is None:
            count = withdrawal.approvals.count()
        text = f"{count} of {selectors.approvals_needed(withdrawal)}"
        if withdrawal.status == Status.REQUESTED and count:
            return format_html('<strong style="color: {}">{}</strong>', ORANGE, text)
        return text

    @admin.display(description="Exchange rate")
    def fx_shown(self, withdrawal):
        if withdrawal.fx_rate is None:
            return "—"
        source = f"{withdrawal.fx_source}, {when(withdrawal.fx_at)}"
        return f"{rate(withdrawal.fx_rate)} NGN per USD ({source})"

    @admin.display(description="Risk flags")
    def flags_shown(self, withdrawal):
        flags = selectors.risk_flags(withdrawal)
        if not flags:
            return "None."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}{}</li>",
                ((("hint: " if flag.soft else "⚠ "), flag.message) for flag in flags),
            ),
        )

    @admin.display(description="Who approved")
    def approvals_list(self, withdrawal):
        return approvals_table(withdrawal)

    @admin.display(description="Payout attempts")
    def attempts_list(self, withdrawal):
        return attempts_table(withdrawal)

    @admin.display(description="Events")
    def audit_list(self, withdrawal):
        return audit_table(withdrawal)
