"""Invoices (a locked quote the user pays) and payment claims (a hash or reference to verify).

A claim's (network, tx_hash) is unique for ever, across users and invoices: the hash is taken
before anything is verified, so the same transaction can never be credited twice, whichever
letter case or prefix it is pasted in (the hash is stored in its canonical form).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.ledger.models import MONEY_FIELD

# Crypto amounts: 18 decimals covers wei and every token we accept.
CRYPTO_FIELD = {"max_digits": 38, "decimal_places": 18}
BANK_TRANSFER = "bank_ngn"
FLUTTERWAVE = "flutterwave"


class InvoiceStatus(models.TextChoices):
    PREPARING = "preparing", "Getting a price quote"
    OPEN = "open", "Waiting for payment"
    VERIFYING = "verifying", "Verifying a payment"
    PAID = "paid", "Paid"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Payment failed"


class Invoice(models.Model):
    number = models.CharField(max_length=24, unique=True, help_text="Shown to the user.")
    user = models.ForeignKey("users.BotUser", on_delete=models.PROTECT, related_name="invoices")
    plan = models.ForeignKey("purchases.Plan", on_delete=models.PROTECT, related_name="invoices")
    plan_snapshot = models.JSONField(help_text="The plan as it was when the invoice was issued.")
    quantity = models.PositiveIntegerField()
    comments_per_post = models.PositiveIntegerField(null=True, blank=True)
    amount_usd = models.DecimalField(**MONEY_FIELD)
    # "usdt_bep20", "bnb", … (apps/purchases/assets.py) or "bank_ngn".
    method = models.CharField(max_length=16)
    network = models.CharField(max_length=16, help_text="Chain, or flutterwave for bank.")
    asset_symbol = models.CharField(max_length=8)
    # Who asked, in which chat message: lets the quote task answer in the right place.
    chat_id = models.BigIntegerField()
    amount_due = models.DecimalField(
        **CRYPTO_FIELD, null=True, blank=True, help_text="In the asset (NGN for bank)."
    )
    coin_price_usd = models.DecimalField(
        max_digits=24, decimal_places=8, null=True, blank=True, help_text="Locked quote."
    )
    price_sources = models.JSONField(default=dict, blank=True)
    deposit_address = models.CharField(max_length=100, blank=True)
    # Bank transfer: the USD→NGN rate and buffer used, and where to pay.
    fx_rate = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    fx_buffer = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    bank_account = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.PREPARING, db_index=True
    )
    invalid_hash_attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Set with the quote.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_bank_transfer(self) -> bool:
        return self.method == BANK_TRANSFER

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and (now or timezone.now()) >= self.expires_at


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be verified"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Could not be verified in time"


class PaymentClaim(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="claims")
    user = models.ForeignKey("users.BotUser", on_delete=models.PROTECT, related_name="claims")
    network = models.CharField(max_length=16)
    tx_hash = models.CharField(max_length=100, help_text="Canonical form; tx_ref for bank.")
    status = models.CharField(
        max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_check_at = models.DateTimeField(default=timezone.now, db_index=True)
    deadline_at = models.DateTimeField()
    last_error = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=255, blank=True, help_text="What the user was told.")
    received_amount = models.DecimalField(**CRYPTO_FIELD, null=True, blank=True)
    received_usd = models.DecimalField(**MONEY_FIELD, null=True, blank=True)
    confirmations = models.PositiveIntegerField(null=True, blank=True)
    imported = models.BooleanField(default=False, help_text="A legacy hash, kept as used.")
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "tx_hash"], name="purchases_claim_hash_once_per_network"
            ),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="pending"),
                name="purchases_one_pending_claim_per_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network} {self.tx_hash[:14]}…"
