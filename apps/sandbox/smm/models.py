"""State of the fake SMM panels: each panel's account and behaviour, its services and orders.

Imported at the end of apps/sandbox/models.py, so the models belong to the sandbox app.
Order and refill statuses are not stored while they run: they follow from their age and the
panel's timings when read (apps/sandbox/smm/services.py), so no worker has to move them.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

# Panels keep five decimals of a dollar ("100.84292"): 10 views at 0.05 per 1000 cost 0.0005.
PANEL_MONEY = {"max_digits": 18, "decimal_places": 5}


class SmmPanel(models.Model):
    """One fake panel: its account, how fast orders run, and the failure staff switched on."""

    class FailureMode(models.TextChoices):
        NONE = "", "None: answer normally"
        INVALID_SERVICE = "invalid_service", "add: Incorrect service ID"
        INVALID_KEY = "invalid_key", "every action: Invalid API key"
        RATE_LIMIT = "rate_limit", "add: HTTP 429 Too many requests"
        SERVER_ERROR = "server_error", "add: HTTP 503"
        TIMEOUT = "timeout", "add: stored and charged, answered after timeout_seconds"
        NO_FUNDS = "no_funds", "add: Not enough funds on balance"
        DOWN = "down", "every action: HTTP 503"

    name = models.SlugField(
        max_length=32, unique=True, help_text="Its URL: /sandbox/smm/<name>/api/v2"
    )
    api_key = models.CharField(max_length=128, help_text="The key callers must send.")
    balance = models.DecimalField(**PANEL_MONEY)
    currency = models.CharField(max_length=8, default="USD")
    failure_mode = models.CharField(
        max_length=32, choices=FailureMode.choices, blank=True, default=FailureMode.NONE
    )
    latency_ms = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(60_000)],
        help_text="Slept before every answer (the benchmark plays a panel 150 ms away).",
    )
    timeout_seconds = models.FloatField(
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(300)],
        help_text='How long a "timeout" add is held back before its answer.',
    )
    seconds_to_start = models.PositiveIntegerField(default=5, help_text="Pending until then.")
    seconds_to_complete = models.PositiveIntegerField(
        default=20, help_text="In progress until then, then Completed (or Partial)."
    )
    partial_percent = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="Above 0, orders end Partial with this percent of the quantity undelivered "
        "(and refunded).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "fake SMM panel"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.seconds_to_complete < self.seconds_to_start:
            raise ValidationError(
                {"seconds_to_complete": "An order cannot complete before it starts."}
            )


class SmmPanelService(models.Model):
    """A service the panel sells (`action=services`)."""

    panel = models.ForeignKey(SmmPanel, on_delete=models.CASCADE, related_name="services")
    service_id = models.PositiveIntegerField()
    name = models.CharField(max_length=128)
    type = models.CharField(max_length=32, default="Default")
    category = models.CharField(max_length=64, blank=True)
    rate = models.DecimalField(max_digits=12, decimal_places=4, help_text="Price per 1000.")
    min_quantity = models.PositiveIntegerField(default=10)
    max_quantity = models.PositiveIntegerField(default=1_000_000)
    refill = models.BooleanField(default=False)
    cancel = models.BooleanField(default=True)

    class Meta:
        ordering = ["panel_id", "service_id"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "service_id"], name="sandbox_smm_service_id")
        ]
        verbose_name = "fake SMM service"

    def __str__(self) -> str:
        return f"{self.service_id} {self.name}"


class SmmPanelOrder(models.Model):
    """An order a fake panel accepted. final_status stays empty while it runs."""

    ID_BASE = 7_000_000

    class FinalStatus(models.TextChoices):
        RUNNING = "", "Running (status follows its age)"
        COMPLETED = "Completed"
        PARTIAL = "Partial"
        CANCELED = "Canceled"

    panel = models.ForeignKey(SmmPanel, on_delete=models.PROTECT, related_name="orders")
    service_id = models.PositiveIntegerField()
    link = models.CharField(max_length=512)
    quantity = models.PositiveIntegerField()
    charge = models.DecimalField(**PANEL_MONEY, help_text="Taken from the balance at add.")
    refunded = models.DecimalField(
        **PANEL_MONEY, default=Decimal(0), help_text="Given back (Partial remainder or cancel)."
    )
    start_count = models.PositiveIntegerField(default=0)
    final_status = models.CharField(
        max_length=16, choices=FinalStatus.choices, blank=True, default=FinalStatus.RUNNING
    )
    remains = models.IntegerField(null=True, blank=True, help_text="Set when it ends.")
    # Tests and staff move an order's clock by moving this (services.age_order).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "fake SMM order"

    def __str__(self) -> str:
        return f"{self.panel_id}:{self.wire_id}"

    @property
    def wire_id(self) -> int:
        return self.ID_BASE + self.pk


class SmmPanelRefill(models.Model):
    """A refill a fake panel accepted; its status follows its age, like an order's."""

    ID_BASE = 900_000

    order = models.ForeignKey(SmmPanelOrder, on_delete=models.CASCADE, related_name="refills")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = "fake SMM refill"

    def __str__(self) -> str:
        return f"refill {self.wire_id}"

    @property
    def wire_id(self) -> int:
        return self.ID_BASE + self.pk
