"""SMM panels we buy views and likes from (the "SMM panel API v2" contract)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from apps.ledger.models import MONEY_FIELD

# Service ids are small positive integers on every panel we have seen (legacy: 1-999999).
SERVICE_ID_VALIDATORS = [MinValueValidator(1), MaxValueValidator(999_999)]
ENV_NAME_VALIDATOR = RegexValidator(
    r"^[A-Z][A-Z0-9_]{0,63}$", "An environment variable name: capitals, digits and _."
)


class Provider(models.Model):
    """One panel. Its API key lives in the environment variable named here, never in the DB."""

    name = models.SlugField(max_length=32, unique=True)
    api_url = models.URLField(help_text="The panel's single endpoint, e.g. https://…/api/v2")
    api_key_env = models.CharField(
        max_length=64,
        validators=[ENV_NAME_VALIDATOR],
        help_text="Name of the environment variable holding the API key (the key is not stored).",
    )
    priority = models.PositiveIntegerField(default=100, help_text="Lower is tried first.")
    is_enabled = models.BooleanField(default=True)
    view_service_id = models.PositiveIntegerField(validators=SERVICE_ID_VALIDATORS)
    like_service_id = models.PositiveIntegerField(validators=SERVICE_ID_VALIDATORS)
    low_balance_threshold = models.DecimalField(**MONEY_FIELD, default=10)
    balance = models.DecimalField(**MONEY_FIELD, null=True, blank=True)
    balance_currency = models.CharField(max_length=8, blank=True)
    balance_checked_at = models.DateTimeField(null=True, blank=True)
    low_balance_alerted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name

    def service_ids(self) -> dict[str, int]:
        return {"views": self.view_service_id, "likes": self.like_service_id}
