"""What the import of the old bot's SQLite files left behind: where each row went, and proof.

LegacyRecord is the importer's memory: one row per legacy row it turned into one of ours, so a
second run (or `--since` during the cutover) skips what it already did. The other models keep
legacy history that has no home in the new schema (balance operations, the withdrawal audit
trail, boost submissions without a user) so support can still answer questions about it.
"""

from __future__ import annotations

from django.db import models

from apps.ledger.models import MONEY_FIELD


class RunKind(models.TextChoices):
    IMPORT = "import", "Import"
    DRY_RUN = "dry_run", "Dry run (nothing kept)"
    RECONCILE = "reconcile", "Reconciliation"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    CLEAN = "clean", "Clean: every balance matches"
    DIFFERENCES = "differences", "Balances differ"
    FAILED = "failed", "Stopped by an error"


class ImportRun(models.Model):
    """One run of import_legacy or legacy_reconcile, with its report (JSON and readable)."""

    kind = models.CharField(max_length=16, choices=RunKind.choices)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    source_dir = models.CharField(max_length=500)
    since = models.DateTimeField(null=True, blank=True)
    started_by = models.CharField(max_length=150, help_text="Who ran the command.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    balances_checked = models.PositiveIntegerField(default=0)
    balances_differing = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "import or reconciliation run"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"


class LegacyRecord(models.Model):
    """Legacy row SOURCE/LEGACY_ID became TARGET_TYPE #TARGET_ID (or was linked to it)."""

    source = models.CharField(max_length=64, help_text='"viralcore.db:purchases" and the like.')
    legacy_id = models.CharField(max_length=128)
    target_type = models.CharField(max_length=64)
    target_id = models.BigIntegerField()
    run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "legacy_id"], name="legacy_record_once")
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="legacy_record_target")]

    def __str__(self) -> str:
        return f"{self.source} #{self.legacy_id} → {self.target_type} #{self.target_id}"


class UsedHash(models.Model):
    """A payment the old bot already credited: its hash can never be claimed again.

    KEY is network-independent (see apps/legacy/hashes.py): the old bot stored hashes as typed,
    so the same transaction may appear with or without 0x and in any letter case.
    """

    key = models.CharField(max_length=128, unique=True)
    raw = models.CharField(max_length=255, help_text="As the old bot stored it (first seen).")
    source = models.CharField(max_length=64)
    telegram_id = models.BigIntegerField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.key


class LegacyBalance(models.Model):
    """How much of a user's legacy balance the ledger holds as opening-balance postings."""

    telegram_id = models.BigIntegerField()
    kind = models.CharField(max_length=16, help_text='"affiliate" (USD).')
    legacy_value = models.DecimalField(**MONEY_FIELD, help_text="Last seen, rounded to cents.")
    imported = models.DecimalField(**MONEY_FIELD, help_text="Posted to the ledger so far.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["telegram_id"]
        constraints = [
            models.UniqueConstraint(fields=["telegram_id", "kind"], name="legacy_balance_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.telegram_id}: {self.imported}"


class BalanceOperation(models.Model):
    """The old bot's balance_operations row, kept as history (it never explained balances)."""

    operation_id = models.CharField(max_length=255, unique=True)
    telegram_id = models.BigIntegerField(db_index=True)
    balance_type = models.CharField(max_length=16)
    amount = models.DecimalField(**MONEY_FIELD)
    operation_type = models.CharField(max_length=32)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=16, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "legacy balance operation"

    def __str__(self) -> str:
        return f"{self.operation_type} {self.amount} for {self.telegram_id}"


class WithdrawalEvent(models.Model):
    """One line of an imported withdrawal's legacy history (audit log or error row)."""

    source_key = models.CharField(max_length=64, unique=True, help_text="table:id in the old DB.")
    withdrawal = models.ForeignKey(
        "withdrawals.Withdrawal", on_delete=models.PROTECT, related_name="legacy_events"
    )
    action = models.CharField(max_length=64)
    old_status = models.CharField(max_length=32, blank=True)
    new_status = models.CharField(max_length=32, blank=True)
    admin_telegram_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = "legacy withdrawal event"

    def __str__(self) -> str:
        return f"{self.action} on W-{self.withdrawal_id}"


class BoostSubmission(models.Model):
    """A link the old bot boosted; it never recorded who sent it or from which purchase."""

    source_key = models.CharField(max_length=64, unique=True, help_text="table:id in the old DB.")
    platform = models.CharField(max_length=16)
    link = models.CharField(max_length=512)
    targets = models.JSONField(default=dict)
    status = models.CharField(max_length=16, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "legacy boost submission"

    def __str__(self) -> str:
        return f"{self.platform} {self.link}"
