"""What finance types on the withdrawal decision pages; the services check everything again."""

from __future__ import annotations

from django import forms

from apps.withdrawals.models import PayoutMode


class ApproveForm(forms.Form):
    payout_mode = forms.ChoiceField(
        label="Payout mode",
        choices=PayoutMode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose automatic (Flutterwave) or manual payout."},
        help_text="Automatic sends the money through Flutterwave as soon as it is approved. "
        "Manual: you pay from the bank yourself, then record it with “Mark paid”.",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "A rejection needs a reason; the user will read it."},
        help_text="The user reads this in the bot, word for word. The held amount goes back "
        "to their balance.",
    )


class MarkPaidForm(forms.Form):
    bank_reference = forms.CharField(
        label="Bank reference",
        max_length=100,
        error_messages={"required": "Enter the bank's reference of the payment."},
        help_text="The reference on your bank's transfer receipt (e.g. the NIP session id).",
    )
