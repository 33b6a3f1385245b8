"""The boosts admin's forms: every staff action asks for a reason.

The forms check what they can before anything is written (the same rules the services apply),
so staff see a field error instead of a refusal after the fact; the services check again.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from apps.boosts.models import BoostPhase, Provider, ProviderOrder
from apps.boosts.services.staff import (
    PROVIDER_SETTINGS,
    BoostActionRefused,
    parse_service_id,
)
from apps.purchases.forms import reason_field

REASON_HELP = "Kept in the audit log with your name."


def _reason(missing: str) -> forms.CharField:
    return reason_field(REASON_HELP, missing=missing)


class ProviderForm(forms.ModelForm):
    """Add a panel or edit its settings; saved by the staff service with the reason."""

    api_url = forms.URLField(
        label="API URL",
        max_length=200,
        assume_scheme="https",
        help_text=Provider._meta.get_field("api_url").help_text,
    )
    reason = _reason("Say why the provider is added or changed.")

    class Meta:
        model = Provider
        fields = [
            "name",
            "api_url",
            "api_key_env",
            "priority",
            "is_enabled",
            "view_service_id",
            "like_service_id",
            "low_balance_threshold",
        ]
        help_texts = {
            "api_key_env": "The NAME of the environment variable holding the API key, e.g. "
            "PLUGSMMS_API_KEY. The key itself is never typed, stored or shown here.",
        }

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not self.errors and not self.setting_changes():
            raise forms.ValidationError("Nothing was changed: edit a field or go back.")
        return cleaned

    def setting_changes(self) -> dict:
        """The edited settings and their new values (service ids have their own page)."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in PROVIDER_SETTINGS and name in self.cleaned_data
        }

    def provider_values(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "reason"}


class ServiceIdsForm(forms.Form):
    """New service ids, typed as text so a wrong value gets the service's own message."""

    view_service_id = forms.CharField(label="Views service id", max_length=20)
    like_service_id = forms.CharField(label="Likes service id", max_length=20)
    reason = _reason("Say why the service ids change.")

    def __init__(self, *args, provider: Provider, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "view_service_id": provider.view_service_id,
                "like_service_id": provider.like_service_id,
            },
        )
        super().__init__(*args, **kwargs)
        self.provider = provider

    def _service_id(self, name: str, label: str) -> int:
        try:
            return parse_service_id(self.cleaned_data[name], label=label)
        except BoostActionRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None

    def clean_view_service_id(self) -> int:
        return self._service_id("view_service_id", "views")

    def clean_like_service_id(self) -> int:
        return self._service_id("like_service_id", "likes")

    def clean(self):
        cleaned = super().clean()
        new = (cleaned.get("view_service_id"), cleaned.get("like_service_id"))
        if not self.errors and new == (
            self.provider.view_service_id,
            self.provider.like_service_id,
        ):
            raise forms.ValidationError("These are already the provider's service ids.")
        return cleaned


def _phase_label(phase: BoostPhase) -> str:
    due = timezone.localtime(phase.next_attempt_at).strftime("%Y-%m-%d %H:%M")
    tried = f"{phase.attempts} attempt{'s' if phase.attempts != 1 else ''}"
    error = f", last error: {phase.last_error}" if phase.last_error else ""
    return f"Phase {phase.number} (next try {due}, {tried}{error})"


class RetryPhaseForm(forms.Form):
    phase = forms.ModelChoiceField(
        queryset=BoostPhase.objects.none(),
        empty_label=None,
        help_text="Tried again now, on every enabled provider (those that refused it included).",
    )
    reason = _reason("Say why the phase is retried (e.g. the panel was topped up).")

    def __init__(self, *args, phases, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["phase"]
        field.queryset = BoostPhase.objects.filter(pk__in=[phase.pk for phase in phases])
        field.label_from_instance = _phase_label


class CancelOrderForm(forms.Form):
    return_credit = forms.BooleanField(
        label="Return the credit",
        required=False,
        help_text="Give this post's credit back to the user's purchase (they can submit a "
        "link again). Leave unticked if the user keeps what was delivered as their boost.",
    )
    reason = _reason("Say why the order is canceled.")


class RefillForm(forms.Form):
    reason = _reason("Say why a refill is asked for (e.g. the user reports drops).")


def _provider_order_label(order: ProviderOrder) -> str:
    sent = timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M")
    return (
        f"{order.provider_name}: {order.quantity:,} {order.kind} of phase {order.phase.number}, "
        f"service {order.service_id}, sent {sent}"
    )


class ResolveUnknownForm(forms.Form):
    provider_order = forms.ModelChoiceField(
        queryset=ProviderOrder.objects.none(), empty_label=None, label="Order of unknown outcome"
    )
    provider_order_id = forms.CharField(
        label="The panel's order id",
        required=False,
        max_length=64,
        help_text="Found on the panel: enter its order id and it is followed like any other. "
        "Not on the panel: leave empty, it counts as not placed and the dispatcher places it "
        "again.",
    )
    reason = _reason("Say what you found on the panel.")

    def __init__(self, *args, provider_orders, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["provider_order"]
        field.queryset = ProviderOrder.objects.filter(
            pk__in=[order.pk for order in provider_orders]
        ).select_related("phase")
        field.label_from_instance = _provider_order_label

    def clean_provider_order_id(self) -> str:
        return self.cleaned_data["provider_order_id"].strip()
