"""What ViralCore sells: plans with their prices and per-post targets, and their history.

One Plan row per thing a user can buy (X tiers t1-t5, Telegram engagement, the manual products).
Invoices copy what they need from the plan when they are issued, so editing a price in the admin
never changes an invoice that is already open; every edit leaves a PlanRevision.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

UNIT_PRICE_FIELD = {"max_digits": 12, "decimal_places": 6}


class Platform(models.TextChoices):
    X = "x", "X (Twitter)"
    TELEGRAM = "telegram", "Telegram"


class Product(models.TextChoices):
    X_ENGAGEMENT = "x_engagement", "X engagement"
    TG_ENGAGEMENT = "tg_engagement", "Telegram engagement"
    X_POLL = "x_poll", "X poll votes"
    DIRECT_ADD = "direct_add", "Direct-add followers"
    SLOW_PUSH = "slow_push", "Slow-push followers"
    TG_PREMIUM = "tg_premium", "Telegram premium members"
    TG_AUTOMATION = "tg_automation", "Telegram automation"


class FollowUp(models.TextChoices):
    """What the bot asks for once a purchase is paid."""

    X_ACCOUNT = "x_account", "The X account the posts belong to"
    TG_ACCOUNT = "tg_account", "The Telegram account or channel the posts belong to"
    POLL = "poll", "The poll link and the option to vote for"
    PROFILE_LINK = "profile_link", "The X profile to grow"
    CHANNEL = "channel", "The Telegram channel"


# Products whose credits are spent by submitting links (boosts); the others are fulfilled by
# staff from a task.
BOOST_PRODUCTS = (Product.X_ENGAGEMENT, Product.TG_ENGAGEMENT)


class Plan(models.Model):
    code = models.SlugField(max_length=32, unique=True, help_text='e.g. "t2", "tgt", "x_poll".')
    platform = models.CharField(max_length=16, choices=Platform.choices)
    product = models.CharField(max_length=32, choices=Product.choices)
    name = models.CharField(max_length=64)
    description = models.CharField(
        max_length=255, blank=True, help_text="What the user is told they get."
    )
    unit = models.CharField(max_length=16, help_text='What one unit is: "post", "vote", "member"…')
    unit_price_usd = models.DecimalField(
        **UNIT_PRICE_FIELD, validators=[MinValueValidator(Decimal("0.000001"))]
    )
    min_quantity = models.PositiveIntegerField(default=1)
    max_quantity = models.PositiveIntegerField(default=100_000)
    quantity_step = models.PositiveIntegerField(
        default=1, help_text="Custom quantities must be a multiple of this."
    )
    quantity_presets = models.JSONField(default=list, blank=True)
    # Telegram engagement: the buyer picks comments per post; the price is per comment.
    comments_per_post_choices = models.JSONField(default=list, blank=True)
    # Per-post targets delivered for each credit (X tiers); zero where they do not apply.
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    follow_up = models.CharField(max_length=16, choices=FollowUp.choices, blank=True)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["platform", "sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def grants_boost_credits(self) -> bool:
        return self.product in BOOST_PRODUCTS

    def targets(self) -> dict:
        return {
            "likes": self.likes,
            "reposts": self.reposts,
            "comments": self.comments,
            "views": self.views,
        }

    def snapshot(self) -> dict:
        """What an invoice keeps of the plan, so later edits do not change it."""
        return {
            "code": self.code,
            "name": self.name,
            "product": self.product,
            "platform": self.platform,
            "unit": self.unit,
            "unit_price_usd": str(self.unit_price_usd),
            "follow_up": self.follow_up,
            **self.targets(),
        }


class PlanRevision(models.Model):
    """The plan as it was saved, by whom: the price history staff see in the admin."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="revisions")
    unit_price_usd = models.DecimalField(**UNIT_PRICE_FIELD)
    snapshot = models.JSONField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.plan.code} at {self.unit_price_usd} USD"
