"""The double-entry ledger: accounts, transactions and entries, plus holds and adjustments.

Money moves only through apps.ledger.services. Transactions and entries are append-only (a
PostgreSQL trigger refuses UPDATE/DELETE); a mistake is corrected by a reversing transaction.
An account's balance is a cache of the sum of its entries, written only under a row lock by the
posting service; `manage.py ledger_check` proves the two agree.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from apps.audit.actors import ACTOR_TYPES
from apps.common.db.models import AppendOnlyModel

# USD and NGN both settle in hundredths; 16 integer digits is far beyond any balance we hold.
MONEY_FIELD = {"max_digits": 18, "decimal_places": 2}
ZERO = Decimal("0.00")


class Currency(models.TextChoices):
    USD = "USD", "US dollar"
    NGN = "NGN", "Nigerian naira"


class AccountKind(models.TextChoices):
    AFFILIATE = "affiliate", "Affiliate balance"
    EARNINGS = "earnings", "Reply-guy earnings"
    PAYMENTS_RECEIVED = "payments_received", "Payments received"
    REVENUE = "revenue", "Revenue"
    COMMISSIONS = "commissions", "Commissions"
    WITHDRAWALS_HELD = "withdrawals_held", "Withdrawals held"
    PAYOUTS_SENT = "payouts_sent", "Payouts sent"
    ADJUSTMENTS = "adjustments", "Adjustments"
    FX = "fx", "FX"
    LEGACY_OPENING = "legacy_opening", "Opening balances (old bot)"


# A bot user's balances, each in the one currency it is kept in.
USER_ACCOUNT_CURRENCY = {
    AccountKind.AFFILIATE: Currency.USD,
    AccountKind.EARNINGS: Currency.NGN,
}
SYSTEM_KINDS = sorted(set(AccountKind.values) - set(USER_ACCOUNT_CURRENCY))


class Account(models.Model):
    owner = models.ForeignKey(
        "users.BotUser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
        help_text="The bot user this balance belongs to; empty for system accounts.",
    )
    currency = models.CharField(max_length=3, choices=Currency.choices)
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    balance = models.DecimalField(
        **MONEY_FIELD,
        default=ZERO,
        help_text="Cached sum of the account's entries, changed only by the posting service.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "currency"],
                condition=Q(owner__isnull=False),
                name="ledger_account_one_per_user_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(owner__isnull=True),
                name="ledger_account_one_per_system_kind",
            ),
            # The last line of defence: the service refuses first, with a clear message.
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(balance__gte=0),
                name="ledger_user_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=False, kind=AccountKind.AFFILIATE, currency=Currency.USD)
                | Q(owner__isnull=False, kind=AccountKind.EARNINGS, currency=Currency.NGN)
                | Q(owner__isnull=True, kind__in=SYSTEM_KINDS, currency__in=Currency.values),
                name="ledger_account_kind_fits_owner_and_currency",
            ),
        ]

    def __str__(self) -> str:
        if self.owner_id is None:
            return f"system {self.kind} {self.currency} account #{self.pk}"
        return f"{self.kind} {self.currency} account #{self.pk} of {self.owner}"

    @property
    def is_user_account(self) -> bool:
        return self.owner_id is not None


class TransactionKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    PURCHASE = "purchase", "Purchase"
    COMMISSION = "commission", "Commission"
    WITHDRAWAL_HOLD = "withdrawal_hold", "Withdrawal hold"
    WITHDRAWAL_SETTLE = "withdrawal_settle", "Withdrawal settled"
    WITHDRAWAL_RELEASE = "withdrawal_release", "Withdrawal released"
    ADJUSTMENT = "adjustment", "Adjustment"
    REVERSAL = "reversal", "Reversal"
    FX = "fx", "FX"
    OPENING_BALANCE = "opening_balance", "Opening balance (imported)"


class Transaction(AppendOnlyModel):
    idempotency_key = models.CharField(
        max_length=255,
        unique=True,
        help_text="Names the business event; posting it again returns this transaction.",
    )
    kind = models.CharField(max_length=32, choices=TransactionKind.choices)
    memo = models.TextField(blank=True)
    actor_type = models.CharField(max_length=16, choices=ACTOR_TYPES)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=150)
    correlation_id = models.CharField(max_length=128, blank=True)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of kind, entries and memo: tells a replay from a clash."
    )
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        help_text="The transaction this one undoes; each is reversed at most once.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.idempotency_key}"


class Entry(AppendOnlyModel):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    # No single-column index: the (account, -id) index below serves every lookup by account.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    amount = models.DecimalField(**MONEY_FIELD, help_text="Positive credits, negative debits.")
    currency = models.CharField(max_length=3, choices=Currency.choices)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "-id"], name="ledger_entry_account_newest")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on account #{self.account_id}"


class HoldStatus(models.TextChoices):
    HELD = "held", "Held"
    SETTLED = "settled", "Settled"
    RELEASED = "released", "Released"


# The only transitions a hold may make; services.holds enforces them.
HOLD_TRANSITIONS = {
    HoldStatus.HELD: {HoldStatus.SETTLED, HoldStatus.RELEASED},
    HoldStatus.SETTLED: set(),
    HoldStatus.RELEASED: set(),
}


class Hold(models.Model):
    """Money set aside for a withdrawal: held, then settled (paid) or released (back)."""

    reference = models.CharField(max_length=100, unique=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="holds")
    amount = models.DecimalField(**MONEY_FIELD)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    status = models.CharField(max_length=16, choices=HoldStatus.choices, default=HoldStatus.HELD)
    hold_transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="placed_hold"
    )
    resolution_transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolved_hold",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_hold_amount_positive"),
            models.CheckConstraint(
                condition=Q(
                    status=HoldStatus.HELD,
                    resolution_transaction__isnull=True,
                    resolved_at__isnull=True,
                )
                | Q(
                    status__in=[HoldStatus.SETTLED, HoldStatus.RELEASED],
                    resolution_transaction__isnull=False,
                    resolved_at__isnull=False,
                ),
                name="ledger_hold_resolution_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.reference} ({self.status})"


class AdjustmentDirection(models.TextChoices):
    CREDIT = "credit", "Credit (add to the balance)"
    DEBIT = "debit", "Debit (take from the balance)"


class AdjustmentStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


ADJUSTMENT_TRANSITIONS = {
    AdjustmentStatus.PROPOSED: {AdjustmentStatus.APPROVED, AdjustmentStatus.REJECTED},
    AdjustmentStatus.APPROVED: set(),
    AdjustmentStatus.REJECTED: set(),
}


class Adjustment(models.Model):
    """A staff correction of a user balance: one staff member proposes, another approves."""

    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="adjustments",
        limit_choices_to={"owner__isnull": False},
    )
    direction = models.CharField(max_length=8, choices=AdjustmentDirection.choices)
    amount = models.DecimalField(**MONEY_FIELD)
    reason = models.TextField()
    status = models.CharField(
        max_length=16, choices=AdjustmentStatus.choices, default=AdjustmentStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposed_adjustments"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decided_adjustments",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="adjustment"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="ledger_adjustment_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="ledger_adjustment_reason_required"
            ),
            # Maker-checker, held by the database too: nobody approves their own proposal.
            models.CheckConstraint(
                condition=~Q(status=AdjustmentStatus.APPROVED, decided_by=F("proposed_by")),
                name="ledger_adjustment_not_self_approved",
            ),
            models.CheckConstraint(
                condition=Q(status=AdjustmentStatus.APPROVED, transaction__isnull=False)
                | Q(
                    status__in=[AdjustmentStatus.PROPOSED, AdjustmentStatus.REJECTED],
                    transaction__isnull=True,
                ),
                name="ledger_adjustment_transaction_iff_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"adjustment #{self.pk} ({self.direction} {self.amount}, {self.status})"
