"""Bot users (people who talk to the Telegram bot) and the capabilities staff roles grant.

Staff are Django users; what they may do comes from their group (see roles.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

_NOT_LOADED = object()


class ReferrerChangeRefused(ValueError):
    """The referrer is fixed at registration: commissions already paid depend on it."""


class BotUser(models.Model):
    telegram_id = models.BigIntegerField(unique=True, help_text="Telegram's numeric user id.")
    username = models.CharField(max_length=64, blank=True, db_index=True)
    first_name = models.CharField(max_length=128, blank=True)
    last_name = models.CharField(max_length=128, blank=True)
    language_code = models.CharField(max_length=16, blank=True)
    x_username = models.CharField("X username", max_length=64, blank=True)
    referrer = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        help_text="Who invited this user; set once at registration.",
    )
    staff_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bot_account",
        help_text="Set when this bot account belongs to a staff member: they may then never "
        "approve its withdrawals, nor those of users they referred.",
    )
    is_banned = models.BooleanField(default=False)
    is_reply_guy = models.BooleanField(
        default=False, help_text="Earns NGN for replies and may withdraw them to a bank."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(referrer=F("id")), name="bot_user_not_own_referrer"
            ),
        ]

    def __str__(self) -> str:
        handle = f"@{self.username}" if self.username else self.full_name or "no name"
        return f"{handle} ({self.telegram_id})"

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded_referrer_id", _NOT_LOADED)
        if loaded is not _NOT_LOADED and loaded != self.referrer_id:
            raise ReferrerChangeRefused("A bot user's referrer is set once, at registration.")
        super().save(*args, **kwargs)
        self._loaded_referrer_id = self.referrer_id

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_referrer_id = instance.__dict__.get("referrer_id", _NOT_LOADED)
        return instance

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class StaffCapability(models.Model):
    """Holds the permissions for business actions that no single model's add/change covers.

    No table: it exists so Django creates these permissions and roles.py can grant them.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            (
                "approve_withdrawal",
                "Can approve or reject withdrawals up to the dual-approval limit",
            ),
            ("second_approve_withdrawal", "Can give the second approval on large withdrawals"),
            ("retry_payout", "Can retry a failed payout or record a manual payment"),
            ("propose_adjustment", "Can propose a balance adjustment"),
            ("approve_adjustment", "Can approve another staff member's balance adjustment"),
            ("manage_providers", "Can change providers, plans and prices"),
            ("ban_bot_user", "Can ban or unban bot users"),
            ("export_audit", "Can search and export the audit log"),
        ]

    def __str__(self) -> str:
        return "staff capability"
