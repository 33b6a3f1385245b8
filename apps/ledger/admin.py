"""The ledger in the admin: read-only for everyone, except proposing and deciding adjustments,
which go through the services like every other write."""

from __future__ import annotations

from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.common.admin_mixins import ReadOnlyAdmin
from apps.common.money import format_amount
from apps.ledger.errors import LedgerError
from apps.ledger.forms import AdjustmentProposalForm
from apps.ledger.models import Account, Adjustment, Entry, Hold, Transaction
from apps.ledger.services import (
    approve_adjustment,
    propose_adjustment,
    reject_adjustment,
    user_account,
)
from apps.ledger.services.adjustments import APPROVE_PERMISSION, PROPOSE_PERMISSION

# An account page shows this many of its newest entries; the statement has the rest.
ENTRIES_SHOWN = 50


def money(amount, currency) -> str:
    return format_amount(amount, currency=currency)


class NewestEntriesFormSet(BaseInlineFormSet):
    """At most ENTRIES_SHOWN entries, evaluated once (the formset asks for them per row)."""

    def get_queryset(self):
        if not hasattr(self, "_newest"):
            self._newest = list(super().get_queryset()[:ENTRIES_SHOWN])
        return self._newest


class EntryInline(admin.TabularInline):
    model = Entry
    extra = 0
    can_delete = False
    ordering = ("-id",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount")
    def signed_amount(self, entry):
        return money(entry.amount, entry.currency)


class AccountEntryInline(EntryInline):
    formset = NewestEntriesFormSet
    verbose_name_plural = f"Entries (newest {ENTRIES_SHOWN})"
    fields = readonly_fields = ("transaction", "transaction_kind", "signed_amount", "posted_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("transaction")

    @admin.display(description="Kind")
    def transaction_kind(self, entry):
        return entry.transaction.get_kind_display()

    @admin.display(description="Posted at")
    def posted_at(self, entry):
        return entry.transaction.created_at


class TransactionEntryInline(EntryInline):
    fields = readonly_fields = ("account", "signed_amount")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account__owner")


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "owner", "kind", "currency", "balance_shown", "created_at")
    list_select_related = ("owner",)
    list_filter = ("kind", "currency")
    # "=" keeps the Telegram id search on the unique index instead of a LIKE scan.
    search_fields = ("=owner__telegram_id", "owner__username")
    inlines = [AccountEntryInline]

    @admin.display(description="Balance", ordering="balance")
    def balance_shown(self, account):
        return money(account.balance, account.currency)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "kind",
        "idempotency_key",
        "actor_label",
        "memo",
        "reverses",
    )
    list_select_related = ("reverses",)
    list_filter = ("kind", "actor_type")
    date_hierarchy = "created_at"
    search_fields = ("idempotency_key", "actor_label", "=entries__account__owner__telegram_id")
    inlines = [TransactionEntryInline]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ("reference", "account", "amount_shown", "status", "created_at", "resolved_at")
    list_select_related = ("account__owner",)
    list_filter = ("status", "currency")
    search_fields = ("=reference", "=account__owner__telegram_id")
    date_hierarchy = "created_at"

    @admin.display(description="Amount", ordering="amount")
    def amount_shown(self, hold):
        return money(hold.amount, hold.currency)


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    """Finance proposes through the add form; another senior approves with the action."""

    list_display = (
        "id",
        "created_at",
        "account",
        "direction",
        "amount_shown",
        "status",
        "proposed_by",
        "decided_by",
        "reason",
    )
    list_select_related = ("account__owner", "proposed_by", "decided_by")
    list_filter = ("status", "direction")
    search_fields = ("=account__owner__telegram_id", "account__owner__username")
    actions = ["approve_selected", "reject_selected"]
    show_full_result_count = False
    add_fields = ("telegram_id", "balance", "direction", "amount", "reason")
    readonly_fields = (
        "account",
        "direction",
        "amount",
        "reason",
        "status",
        "proposed_by",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "transaction",
    )

    @admin.display(description="Amount", ordering="amount")
    def amount_shown(self, adjustment):
        return money(adjustment.amount, adjustment.account.currency)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AdjustmentProposalForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_add_permission(self, request):
        return request.user.has_perm(PROPOSE_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False  # decisions are actions that call the service

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm(APPROVE_PERMISSION)

    def has_reject_permission(self, request):
        return request.user.has_perm(APPROVE_PERMISSION)

    def save_model(self, request, obj, form, change):
        """Never saves OBJ itself: the service writes the row and its audit event."""
        data = form.cleaned_data
        proposed = propose_adjustment(
            account=user_account(owner=data["bot_user"], kind=data["balance"]),
            direction=data["direction"],
            amount=data["amount"],
            reason=data["reason"],
            actor=request.user,
        )
        # The admin goes on to log and report OBJ, so it becomes the row the service wrote.
        obj.__dict__.update(proposed.__dict__)

    @admin.action(description="Approve selected adjustments", permissions=["approve"])
    def approve_selected(self, request, queryset):
        if request.POST.get("confirmed") != "yes":
            return self._confirmation(request, queryset, action="approve_selected")
        self._decide_each(
            request,
            queryset,
            lambda adjustment: approve_adjustment(adjustment=adjustment, actor=request.user),
            verb="approved",
        )

    @admin.action(description="Reject selected adjustments", permissions=["reject"])
    def reject_selected(self, request, queryset):
        note = request.POST.get("note", "").strip()
        if request.POST.get("confirmed") != "yes" or not note:
            return self._confirmation(request, queryset, action="reject_selected")
        self._decide_each(
            request,
            queryset,
            lambda adjustment: reject_adjustment(
                adjustment=adjustment, actor=request.user, note=note
            ),
            verb="rejected",
        )

    def _decide_each(self, request, queryset, decide, *, verb: str) -> None:
        """One service call per adjustment; a refusal is reported and the others go on."""
        for adjustment in queryset.select_related("account__owner"):
            try:
                decide(adjustment)
            except LedgerError as refusal:
                self.message_user(
                    request, f"Adjustment #{adjustment.pk}: {refusal}", messages.ERROR
                )
            else:
                self.message_user(request, f"Adjustment #{adjustment.pk} {verb}.", messages.SUCCESS)

    def _confirmation(self, request, queryset, *, action: str) -> TemplateResponse:
        approving = action == "approve_selected"
        context = {
            **self.admin_site.each_context(request),
            "title": "Approve adjustments?" if approving else "Reject adjustments?",
            "opts": self.model._meta,
            "adjustments": queryset.select_related("account__owner", "proposed_by"),
            "action": action,
            "approving": approving,
            "note_missing": request.POST.get("confirmed") == "yes",
            "changelist_url": reverse("admin:ledger_adjustment_changelist"),
        }
        return TemplateResponse(request, "admin/ledger/adjustment/confirm_decision.html", context)
