"""The admin's proposal form: staff name a bot user and a balance, not an account row."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator

from apps.ledger.models import USER_ACCOUNT_CURRENCY, Adjustment, AdjustmentDirection
from apps.users.models import BotUser

BALANCE_CHOICES = [
    (kind, f"{kind.label} ({currency})") for kind, currency in USER_ACCOUNT_CURRENCY.items()
]


class AdjustmentProposalForm(forms.ModelForm):
    """Staff find users by Telegram id; the account is created on first use if missing,
    so a user who never earned can still be credited."""

    telegram_id = forms.IntegerField(
        label="Bot user's Telegram id", min_value=1, help_text="As shown on the bot user's page."
    )
    balance = forms.ChoiceField(choices=BALANCE_CHOICES, label="Balance")
    direction = forms.ChoiceField(choices=AdjustmentDirection.choices)
    amount = forms.DecimalField(
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="In the balance's currency: dollars for affiliate, naira for earnings.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the balance is wrong; the approver and the audit log see this.",
    )

    class Meta:
        model = Adjustment
        fields = ["direction", "amount", "reason"]

    def clean_telegram_id(self) -> int:
        telegram_id = self.cleaned_data["telegram_id"]
        bot_user = BotUser.objects.filter(telegram_id=telegram_id).first()
        if bot_user is None:
            raise forms.ValidationError(f"No bot user has Telegram id {telegram_id}.")
        self.cleaned_data["bot_user"] = bot_user
        return telegram_id

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the balance needs adjusting.")
        return reason
