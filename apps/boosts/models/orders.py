"""A submitted link: the boost order, its phases (when) and provider orders (what was placed)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from apps.ledger.models import MONEY_FIELD


class OrderStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed (credit returned)"
    CANCELED = "canceled", "Canceled by staff"


class ServiceKind(models.TextChoices):
    VIEWS = "views", "Views"
    LIKES = "likes", "Likes"


class BoostOrder(models.Model):
    user = models.ForeignKey("users.BotUser", on_delete=models.PROTECT, related_name="boosts")
    purchase = models.ForeignKey(
        "purchases.Purchase", on_delete=models.PROTECT, related_name="boosts"
    )
    platform = models.CharField(max_length=16, help_text='"x" or "telegram".')
    link = models.URLField(max_length=512)
    post_id = models.CharField(max_length=128, db_index=True)
    account = models.CharField(max_length=64, blank=True)
    plan_code = models.CharField(max_length=32)
    # What this one credit delivers: likes, reposts, comments, views.
    targets = models.JSONField(default=dict)
    # The provider, URL and service ids at submission; phases use these, whatever staff edit.
    snapshot = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.SCHEDULED, db_index=True
    )
    credit_returned = models.BooleanField(default=False)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"B-{self.pk} {self.platform} {self.post_id}"


class PhaseStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its time"
    DISPATCHING = "dispatching", "Being placed"
    PLACED = "placed", "Placed with the provider"
    CHECKING = "checking", "Outcome unknown: staff check"
    COMPLETED = "completed", "Delivered"
    FAILED = "failed", "Failed everywhere"
    CANCELED = "canceled", "Canceled"


OPEN_PHASE_STATUSES = (PhaseStatus.PENDING, PhaseStatus.DISPATCHING, PhaseStatus.CHECKING)


class BoostPhase(models.Model):
    order = models.ForeignKey(BoostOrder, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    views = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=PhaseStatus.choices, default=PhaseStatus.PENDING
    )
    # When it may next be tried (due_at at first; later after a wait or a backoff).
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    # Who holds it while placing, and until when (a dead worker's claim expires).
    lease_until = models.DateTimeField(null=True, blank=True)
    # Providers that refused this phase for good (invalid service, key, link): not tried again.
    failed_providers = models.JSONField(default=list, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    placed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="boosts_phase_number")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="boosts_phase_due"),
        ]

    def __str__(self) -> str:
        return f"B-{self.order_id} phase {self.number}"

    def target(self, kind: str) -> int:
        return self.views if kind == ServiceKind.VIEWS else self.likes


class ProviderOrderStatus(models.TextChoices):
    SENDING = "sending", "Sending (not answered yet)"
    UNKNOWN = "unknown", "Unknown: sent, no answer"
    NOT_PLACED = "not_placed", "Not placed"
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    PARTIAL = "partial", "Partial"
    CANCELED = "canceled", "Canceled by the provider"


# Orders the provider is (or may be) working on: polled, and counted as covering their quantity.
ACTIVE_ORDER_STATUSES = (
    ProviderOrderStatus.PENDING,
    ProviderOrderStatus.IN_PROGRESS,
)
FINAL_ORDER_STATUSES = (
    ProviderOrderStatus.COMPLETED,
    ProviderOrderStatus.PARTIAL,
    ProviderOrderStatus.CANCELED,
    ProviderOrderStatus.NOT_PLACED,
)


class ProviderOrder(models.Model):
    """One `add` at one panel. Written before the request, so a crash never sends twice."""

    phase = models.ForeignKey(BoostPhase, on_delete=models.CASCADE, related_name="orders")
    kind = models.CharField(max_length=8, choices=ServiceKind.choices)
    quantity = models.PositiveIntegerField()
    provider_name = models.CharField(max_length=32)
    api_url = models.URLField()
    api_key_env = models.CharField(max_length=64)
    service_id = models.PositiveIntegerField()
    # True when this order re-orders what a Partial or Canceled one did not deliver.
    is_remainder = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=ProviderOrderStatus.choices, default=ProviderOrderStatus.SENDING
    )
    provider_order_id = models.CharField(max_length=64, blank=True)
    remains = models.IntegerField(null=True, blank=True)
    charge = models.DecimalField(**MONEY_FIELD, null=True, blank=True)
    refill_id = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    placed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["phase_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_name", "provider_order_id"],
                condition=~Q(provider_order_id=""),
                name="boosts_provider_order_id",
            )
        ]
        indexes = [
            models.Index(fields=["status", "provider_name"], name="boosts_provider_order_open"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_name} #{self.provider_order_id or '?'} {self.quantity} {self.kind}"

    def delivered(self) -> int:
        """How much of the quantity counts as delivered or on its way."""
        if self.status in (ProviderOrderStatus.NOT_PLACED,):
            return 0
        if self.status in (ProviderOrderStatus.PARTIAL, ProviderOrderStatus.CANCELED):
            remains = self.remains if self.remains is not None else self.quantity
            return max(0, self.quantity - max(0, remains))
        return self.quantity
