"""Purchases: the credits a payment (or staff) granted, and manual-fulfilment tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from apps.ledger.models import MONEY_FIELD


class PurchaseSource(models.TextChoices):
    PAYMENT = "payment", "Verified payment"
    MANUAL = "manual", "Credited by staff"
    CUSTOM_PLAN = "custom_plan", "Custom plan"
    LEGACY = "legacy", "Imported from the old bot"


class Purchase(models.Model):
    user = models.ForeignKey("users.BotUser", on_delete=models.PROTECT, related_name="purchases")
    plan = models.ForeignKey(
        "purchases.Plan", null=True, blank=True, on_delete=models.PROTECT, related_name="purchases"
    )
    custom_plan = models.OneToOneField(
        "purchases.CustomPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase",
    )
    invoice = models.OneToOneField(
        "purchases.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase",
    )
    source = models.CharField(max_length=16, choices=PurchaseSource.choices)
    product = models.CharField(max_length=32)
    plan_code = models.CharField(max_length=32)
    # The X or Telegram account the credits are for; asked after payment, empty until then.
    account = models.CharField(max_length=64, blank=True, db_index=True)
    quantity = models.PositiveIntegerField()
    comments_per_post = models.PositiveIntegerField(null=True, blank=True)
    # What each credit delivers, fixed at purchase time.
    targets = models.JSONField(default=dict)
    credits_total = models.PositiveIntegerField()
    credits_remaining = models.PositiveIntegerField()
    amount_usd = models.DecimalField(**MONEY_FIELD)
    reason = models.CharField(max_length=255, blank=True, help_text="Why staff credited it.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    # Not auto_now_add: imported legacy purchases keep their own time, which decides which
    # purchase's credits are spent first (oldest first).
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credits_remaining__lte=F("credits_total")),
                name="purchases_credits_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.plan_code} for {self.user}"


class CustomPlan(models.Model):
    """A plan staff made for one user: no payment, its own per-post targets."""

    user = models.ForeignKey("users.BotUser", on_delete=models.PROTECT, related_name="custom_plans")
    name = models.CharField(max_length=64)
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    posts = models.PositiveIntegerField(help_text="Posts granted.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="purchases_custom_plan_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} for {self.user}"

    def targets(self) -> dict:
        return {
            "likes": self.likes,
            "reposts": self.reposts,
            "comments": self.comments,
            "views": self.views,
        }


class CreditChange(models.Model):
    """Staff adding or removing post credits by hand (the audit event carries the same)."""

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="credit_changes")
    delta = models.IntegerField()
    reason = models.CharField(max_length=255)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.delta:+d} credits on {self.purchase_id}"


class TaskStatus(models.TextChoices):
    WAITING_DETAILS = "waiting_details", "Waiting for the user's details"
    OPEN = "open", "To do"
    DONE = "done", "Done"


class FulfilmentTask(models.Model):
    """Work staff do by hand after a payment (poll votes, followers, members, automation)."""

    purchase = models.OneToOneField(Purchase, on_delete=models.PROTECT, related_name="task")
    status = models.CharField(
        max_length=16, choices=TaskStatus.choices, default=TaskStatus.WAITING_DETAILS
    )
    details = models.JSONField(default=dict, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Task for {self.purchase}"
