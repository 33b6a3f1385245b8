"""State of the fake Telegram Bot API and of the staff "bot chat" page.

Everything lives in the database: in the embedded default the web process serves the fake while
the worker and beat processes call it, so nothing may live in one process' memory.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Counter(models.Model):
    """A named sequence: update ids, message ids per chat."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"


class WebhookState(models.Model):
    """What setWebhook stored (one row), and the last delivery error getWebhookInfo reports."""

    SINGLETON_ID = 1

    url = models.CharField(max_length=2048, blank=True)
    secret_token = models.CharField(max_length=256, blank=True)
    max_connections = models.PositiveSmallIntegerField(default=40)
    allowed_updates = models.JSONField(null=True, blank=True)
    ip_address = models.CharField(max_length=64, blank=True)
    last_error_date = models.DateTimeField(null=True, blank=True)
    last_error_message = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "webhook"

    def __str__(self) -> str:
        return self.url or "no webhook"


class UploadedFile(models.Model):
    """A file id the fake issued: an uploaded photo (with its bytes) or a photo sent by URL."""

    file_id = models.CharField(max_length=128, unique=True)
    file_unique_id = models.CharField(max_length=32, unique=True)
    source_url = models.CharField(max_length=2048, blank=True)
    content_type = models.CharField(max_length=64, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file_id


class SentMessage(models.Model):
    """A message the bot sent through the fake, as it stands now (edits and deletion applied)."""

    chat_id = models.BigIntegerField()
    message_id = models.BigIntegerField()
    method = models.CharField(max_length=32, help_text="The Bot API method that sent it.")
    text = models.TextField(blank=True, help_text="Message text as Telegram shows it.")
    caption = models.TextField(blank=True, help_text="Photo caption as Telegram shows it.")
    entities = models.JSONField(default=list, blank=True, help_text="Of the text or caption.")
    source_text = models.TextField(blank=True, help_text="Text or caption as the bot sent it.")
    parse_mode = models.CharField(max_length=16, blank=True)
    reply_markup = models.JSONField(null=True, blank=True)
    photo_file_id = models.CharField(max_length=128, blank=True)
    edit_history = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["chat_id", "message_id"]
        constraints = [
            models.UniqueConstraint(fields=["chat_id", "message_id"], name="sandbox_sent_unique")
        ]

    def __str__(self) -> str:
        return f"{self.method} #{self.message_id} to {self.chat_id}"

    @property
    def inline_keyboard(self) -> list[list[dict]]:
        if isinstance(self.reply_markup, dict):
            return self.reply_markup.get("inline_keyboard") or []
        return []


class ApiCall(models.Model):
    """Every call the fake answered: method, parameters (never the token) and outcome."""

    method = models.CharField(max_length=64, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    http_status = models.PositiveSmallIntegerField()
    ok = models.BooleanField()
    description = models.CharField(max_length=255, blank=True)
    injected = models.CharField(max_length=32, blank=True, help_text="Injected failure applied.")
    source = models.CharField(max_length=16, default="http")
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "API call"

    def __str__(self) -> str:
        return f"{self.method} → {self.http_status}"


class InjectedFailure(models.Model):
    """A failure the fake answers with, `remaining` times, before handling the method normally."""

    ANY_METHOD = "*"

    class Kind(models.TextChoices):
        HTTP_429 = "http_429", "429 Too Many Requests (retry_after)"
        HTTP_500 = "http_500", "500 Internal Server Error"
        HTTP_502 = "http_502", "502 Bad Gateway (HTML body)"
        HTTP_403_BLOCKED = "http_403_blocked", "403 Forbidden: bot was blocked by the user"
        DELAY = "delay_seconds", "Answer normally after a delay"
        MALFORMED_JSON = "malformed_json", "200 with a body that is not JSON"

    method = models.CharField(
        max_length=64, help_text='Bot API method (any case), or "*" for every method.'
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    retry_after = models.PositiveIntegerField(null=True, blank=True, help_text="For 429.")
    delay_seconds = models.FloatField(null=True, blank=True, help_text="For delays.")
    remaining = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.method} (x{self.remaining})"

    def clean(self):
        errors = {}
        if self.kind == self.Kind.HTTP_429 and not self.retry_after:
            errors["retry_after"] = "A 429 needs retry_after (seconds, at least 1)."
        if self.kind == self.Kind.DELAY and not (self.delay_seconds and self.delay_seconds > 0):
            errors["delay_seconds"] = "A delay needs a number of seconds above 0."
        if self.delay_seconds is not None and self.delay_seconds > 120:
            errors["delay_seconds"] = "At most 120 seconds."
        if errors:
            raise ValidationError(errors)


class ChatMember(models.Model):
    """What getChatMember answers for a user in a chat (default: see telegram_objects)."""

    class Status(models.TextChoices):
        CREATOR = "creator"
        ADMINISTRATOR = "administrator"
        MEMBER = "member"
        RESTRICTED = "restricted"
        LEFT = "left"
        KICKED = "kicked"

    chat_id = models.BigIntegerField()
    user_id = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chat_id", "user_id"], name="sandbox_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.chat_id}: {self.status}"


class SandboxPersona(models.Model):
    """A fake Telegram user staff chat with the bot as, on the bot chat page."""

    telegram_id = models.BigIntegerField(unique=True)
    first_name = models.CharField(max_length=64)
    username = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["first_name", "telegram_id"]

    def __str__(self) -> str:
        handle = f" @{self.username}" if self.username else ""
        return f"{self.first_name}{handle} ({self.telegram_id})"


class InboundUpdate(models.Model):
    """An Update a persona produced (a message or a button press) and how its delivery went."""

    class Kind(models.TextChoices):
        MESSAGE = "message"
        CALLBACK_QUERY = "callback_query"

    update_id = models.BigIntegerField(unique=True)
    persona = models.ForeignKey(SandboxPersona, on_delete=models.CASCADE, related_name="updates")
    chat_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField(blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    callback_query_id = models.CharField(max_length=32, null=True, blank=True, unique=True)
    callback_message_id = models.BigIntegerField(null=True, blank=True)
    callback_data = models.CharField(max_length=64, blank=True)
    button_text = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(help_text="The Update exactly as it was posted to the webhook.")
    delivery_status = models.PositiveSmallIntegerField(null=True, blank=True)
    delivery_message = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_text = models.CharField(max_length=255, blank=True)
    answer_show_alert = models.BooleanField(default=False)
    answer_url = models.CharField(max_length=2048, blank=True)
    deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["update_id"]

    def __str__(self) -> str:
        return f"update {self.update_id} ({self.kind})"


class RawUnitsField(models.CharField):
    """A whole number of on-chain units of any size, stored as its digits.

    SQLite keeps only 15 significant digits of a DecimalField, and 1.5 BNB is
    1,500,000,000,000,000,000 wei; text keeps every digit on both databases.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 80)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return None if value is None else int(value)

    def to_python(self, value):
        return None if value in (None, "") else int(Decimal(str(value)))

    def get_prep_value(self, value):
        return None if value is None else str(self.to_python(value))


class ChainTransfer(models.Model):
    """One transaction on a fake chain: who sent what to whom, and where it sits in the chain.

    The fake BSC, Tron, Solana and Aptos endpoints (apps/sandbox/chains/) render these rows in
    each chain's own wire format. block_number None means "in the mempool, not included yet".
    """

    network = models.CharField(max_length=16)
    # As the chain's API writes it: 0x-hex (BSC, Aptos), bare hex (Tron), base58 (Solana).
    tx_hash = models.CharField(max_length=100)
    sender = models.CharField(max_length=100)
    recipient = models.CharField(max_length=100)
    # "" for the chain's own coin, else the token contract / mint / fungible-asset metadata.
    token = models.CharField(max_length=100, blank=True)
    # Raw on-chain units (wei, sun, lamports, octas, token base units): whole numbers only.
    amount_units = RawUnitsField()
    succeeded = models.BooleanField(default=True)
    block_number = models.BigIntegerField(null=True, blank=True)
    block_time = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "tx_hash"], name="sandbox_chain_tx_unique")
        ]
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.network} {self.tx_hash[:12]}…"


class ChainHead(models.Model):
    """The latest block (slot, ledger version) of a fake chain; confirmations count from it."""

    network = models.CharField(max_length=16, unique=True)
    block_number = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.network} head {self.block_number}"


class FakePrice(models.Model):
    """What a fake price source answers for one coin; without a row it answers a default.

    The defaults live in apps/sandbox/prices.py. Tests, staff and the benchmark move a price with
    apps.sandbox.prices.set_price / set_ngn_rate, e.g. to make the two sources disagree.
    """

    class Source(models.TextChoices):
        COINGECKO = "coingecko", "CoinGecko"
        BINANCE = "binance", "Binance"
        FX = "fx", "exchangerate-api"

    source = models.CharField(max_length=16, choices=Source.choices)
    coin = models.CharField(
        max_length=64, help_text="A CoinGecko id (binancecoin, solana, ...), or NGN for fx."
    )
    price = models.DecimalField(
        max_digits=30, decimal_places=12, help_text="USD per coin; for fx, NGN per USD."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source", "coin"]
        constraints = [
            models.UniqueConstraint(fields=["source", "coin"], name="sandbox_fake_price_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.coin} = {self.price}"


class FlutterwaveCharge(models.Model):
    """A bank-transfer charge the fake Flutterwave created: the account to pay, and what arrived.

    The wire id Flutterwave calls data.id is derived from the primary key (see flw_id).
    """

    ID_BASE = 280_000_000

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCESSFUL = "successful"
        FAILED = "failed"

    tx_ref = models.CharField(max_length=100, unique=True, help_text="The merchant's reference.")
    flw_ref = models.CharField(max_length=100, unique=True)
    amount_expected = models.DecimalField(max_digits=18, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="NGN", help_text="Of the payment.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    email = models.CharField(max_length=254)
    fullname = models.CharField(max_length=128, blank=True)
    phone_number = models.CharField(max_length=32, blank=True)
    account_number = models.CharField(max_length=10, help_text="The account the payer pays into.")
    bank_name = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.tx_ref} ({self.status})"

    @property
    def flw_id(self) -> int:
        return self.ID_BASE + self.pk


class FlutterwaveTransfer(models.Model):
    """A payout the fake Flutterwave accepted (POST /v3/transfers) and how it will end.

    It goes NEW -> PENDING at pending_at and to final_status at settles_at; reads move it
    lazily (apps/sandbox/flutterwave/transfers.py). The wire id is derived from the primary key.
    """

    ID_BASE = 400_000

    class Status(models.TextChoices):
        NEW = "NEW"
        PENDING = "PENDING"
        SUCCESSFUL = "SUCCESSFUL"
        FAILED = "FAILED"

    reference = models.CharField(max_length=100, unique=True, help_text="The merchant's key.")
    bank_code = models.CharField(max_length=16)
    bank_name = models.CharField(max_length=64)
    account_number = models.CharField(max_length=20)
    full_name = models.CharField(max_length=128, help_text="The resolved account name.")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    # Flutterwave's NGN fees have three places (26.875).
    fee = models.DecimalField(max_digits=18, decimal_places=3)
    currency = models.CharField(max_length=3, default="NGN")
    narration = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    complete_message = models.CharField(max_length=255, blank=True)
    final_status = models.CharField(
        max_length=16, choices=Status.choices, help_text="What it ends as at settles_at."
    )
    final_message = models.CharField(max_length=255, blank=True)
    pending_at = models.DateTimeField()
    settles_at = models.DateTimeField()
    debited = models.DecimalField(
        max_digits=18,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Amount plus fee taken from the fake wallet (refunded if it fails).",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "settles_at"])]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"

    @property
    def flw_id(self) -> int:
        return self.ID_BASE + self.pk


class FlutterwaveWallet(models.Model):
    """The fake's NGN payout balance; without this row the balance is unlimited."""

    currency = models.CharField(max_length=3, primary_key=True, default="NGN")
    balance = models.DecimalField(max_digits=18, decimal_places=3)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.currency} {self.balance}"


from apps.sandbox.smm import models as smm_models  # noqa: E402, F401 - registers the SMM fakes
