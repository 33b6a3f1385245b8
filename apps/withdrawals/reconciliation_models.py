"""Reconciliation of payouts: one run per check of a day, one item per discrepancy found.

Runs are history: running the same day again makes a new run, nothing is overwritten. They are
written only by apps/withdrawals/reconciliation.py and never edited afterwards.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DiscrepancyKind(models.TextChoices):
    MISSING_HERE = "missing_here", "At Flutterwave, not in our records"
    MISSING_THERE = "missing_there", "In our records, not at Flutterwave"
    AMOUNT_MISMATCH = "amount_mismatch", "Amount differs"
    STATUS_MISMATCH = "status_mismatch", "Status differs"
    STUCK_SENT = "stuck_sent", "Sent over 24 h ago, still not settled"


class ReconciliationRun(models.Model):
    """One comparison of Flutterwave's transfers of DAY with our payout attempts."""

    day = models.DateField(db_index=True, help_text="The day compared (UTC).")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    actor_type = models.CharField(max_length=16, help_text="staff, bot_user or system.")
    actor_label = models.CharField(max_length=150, help_text="Who ran it (user or job name).")
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set when a staff member ran it.",
    )
    transfers_seen = models.PositiveIntegerField(default=0, help_text="Listed by Flutterwave.")
    payouts_checked = models.PositiveIntegerField(default=0, help_text="Our attempts compared.")
    matched = models.PositiveIntegerField(default=0, help_text="Agreeing on both sides.")
    discrepancies = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False, help_text="Completed and found nothing wrong.")
    error = models.CharField(
        max_length=255, blank=True, help_text="Why the run could not complete (Flutterwave down)."
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "payout reconciliation run"

    def __str__(self) -> str:
        return f"Reconciliation of {self.day:%Y-%m-%d} #{self.pk}"


class ReconciliationItem(models.Model):
    """One discrepancy: what we recorded against what Flutterwave says, for one reference."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=DiscrepancyKind.choices, db_index=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    withdrawal = models.ForeignKey(
        "withdrawals.Withdrawal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reconciliation_items",
    )
    transfer_id = models.BigIntegerField(null=True, blank=True, help_text="Flutterwave's id.")
    ours = models.CharField(max_length=255, blank=True, help_text="What we recorded.")
    theirs = models.CharField(max_length=255, blank=True, help_text="What Flutterwave says.")
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["run", "kind", "reference", "id"]
        verbose_name = "payout discrepancy"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reference or '-'}"
