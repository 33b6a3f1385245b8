"""Withdrawals: a user's request to be paid out to a Nigerian bank account, and its payouts.

The money is held in the ledger from the moment of the request (hold reference
"withdrawal:<id>"); every status change is one compare-and-swap along TRANSITIONS plus its
audit event, and the ledger effect (settle or release the hold) in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.ledger.models import MONEY_FIELD


class Status(models.TextChoices):
    REQUESTED = "requested", "Waiting for approval"
    APPROVED = "approved", "Approved"
    SENDING = "sending", "Sending to Flutterwave"
    SENT = "sent", "Sent, waiting for the bank"
    PAID = "paid", "Paid"
    PAID_MANUALLY = "paid_manually", "Paid manually"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled by the user"
    FAILED = "failed", "Payout failed"
    UNKNOWN = "unknown", "Outcome unknown (being checked)"


# Every allowed move, written once; apps/ledger/services/transitions.compare_and_swap obeys it.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.REQUESTED: (Status.APPROVED, Status.REJECTED, Status.CANCELLED),
    Status.APPROVED: (Status.SENDING, Status.PAID_MANUALLY),
    # Back to approved only when the request provably never left (an open circuit breaker).
    Status.SENDING: (Status.SENT, Status.FAILED, Status.UNKNOWN, Status.PAID, Status.APPROVED),
    Status.UNKNOWN: (Status.SENT, Status.PAID, Status.FAILED),
    Status.SENT: (Status.PAID, Status.FAILED),
    # A failed payout is retried (a new attempt), paid by hand, or refunded (stays failed).
    Status.FAILED: (Status.APPROVED, Status.PAID_MANUALLY),
    Status.PAID: (),
    Status.PAID_MANUALLY: (),
    Status.REJECTED: (),
    Status.CANCELLED: (),
}
# A user has at most one of these at a time (a failed one counts until it is refunded).
OPEN_STATUSES = (
    Status.REQUESTED,
    Status.APPROVED,
    Status.SENDING,
    Status.SENT,
    Status.UNKNOWN,
)


class BalanceKind(models.TextChoices):
    AFFILIATE = "affiliate", "Affiliate balance (USD)"
    EARNINGS = "earnings", "Reply earnings (NGN)"


class PayoutMode(models.TextChoices):
    AUTOMATIC = "automatic", "Automatic (Flutterwave)"
    MANUAL = "manual", "Manual (finance pays and records the reference)"


class Withdrawal(models.Model):
    user = models.ForeignKey("users.BotUser", on_delete=models.PROTECT, related_name="withdrawals")
    balance = models.CharField(max_length=16, choices=BalanceKind.choices)
    amount = models.DecimalField(**MONEY_FIELD, help_text="In the balance's currency.")
    currency = models.CharField(max_length=3)
    amount_ngn = models.DecimalField(**MONEY_FIELD, help_text="What the bank account receives.")
    amount_usd = models.DecimalField(**MONEY_FIELD, help_text="USD value, for limits.")
    fx_rate = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    fx_source = models.CharField(max_length=64, blank=True)
    fx_at = models.DateTimeField(null=True, blank=True)
    bank_code = models.CharField(max_length=16)
    bank_name = models.CharField(max_length=128)
    account_number = models.CharField(max_length=10)
    account_name = models.CharField(max_length=128)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    needs_second_approval = models.BooleanField(default=False)
    payout_mode = models.CharField(max_length=16, choices=PayoutMode.choices, blank=True)
    attempt = models.PositiveIntegerField(default=0, help_text="Payout attempts made.")
    transfer_id = models.BigIntegerField(null=True, blank=True, help_text="Flutterwave's id.")
    bank_reference = models.CharField(max_length=100, blank=True, help_text="Manual payouts.")
    reason = models.CharField(max_length=255, blank=True, help_text="Rejection or failure.")
    refunded_at = models.DateTimeField(null=True, blank=True)
    # Not auto_now_add: imported legacy withdrawals keep the time they were requested.
    requested_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=OPEN_STATUSES),
                name="withdrawals_one_open_per_user",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawals_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"W-{self.pk} {self.amount} {self.currency}"

    @property
    def hold_reference(self) -> str:
        return f"withdrawal:{self.pk}"

    @property
    def payout_reference(self) -> str:
        """Flutterwave's reference for the current attempt: fixed before the call is made."""
        return f"VCW-{self.pk}-{self.attempt}"

    @property
    def masked_account(self) -> str:
        return f"******{self.account_number[-4:]}"


class Approval(models.Model):
    """One staff approval; large withdrawals need two, by different people."""

    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.PROTECT, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    payout_mode = models.CharField(max_length=16, choices=PayoutMode.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["withdrawal", "approver"], name="withdrawals_approve_once_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.approver} approved W-{self.withdrawal_id}"


class PayoutAttempt(models.Model):
    """One transfer we asked Flutterwave for; its reference is stored before the call."""

    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveIntegerField()
    reference = models.CharField(max_length=100, unique=True)
    amount_ngn = models.DecimalField(**MONEY_FIELD)
    transfer_id = models.BigIntegerField(null=True, blank=True)
    provider_status = models.CharField(max_length=16, blank=True)
    message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["withdrawal", "number"], name="withdrawals_attempt_once"
            )
        ]

    def __str__(self) -> str:
        return self.reference


class FlutterwaveEvent(models.Model):
    """A webhook delivery, stored once (by a digest of its body): a hint to re-fetch, no more."""

    digest = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event} {self.reference}"


class Draft(models.Model):
    """A withdrawal the user is about to confirm: the account resolved, the rate fixed.

    Written by the worker that asked Flutterwave for the account name; the bot's confirm button
    names it. It expires quickly, so a confirmation never uses an old rate.
    """

    user = models.ForeignKey(
        "users.BotUser", on_delete=models.CASCADE, related_name="withdrawal_drafts"
    )
    balance = models.CharField(max_length=16, choices=BalanceKind.choices)
    amount = models.DecimalField(**MONEY_FIELD)
    bank_code = models.CharField(max_length=16)
    bank_name = models.CharField(max_length=128)
    account_number = models.CharField(max_length=10)
    account_name = models.CharField(max_length=128)
    fx_rate = models.DecimalField(max_digits=18, decimal_places=6)
    fx_source = models.CharField(max_length=64)
    fx_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"draft {self.pk} of {self.user_id}"


from apps.withdrawals.reconciliation_models import ReconciliationItem, ReconciliationRun  # noqa: E402,F401
