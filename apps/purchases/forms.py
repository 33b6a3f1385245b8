"""The purchases admin's forms: staff name bot users by Telegram id and always give a reason.

The forms check what they can before anything is written (the same rules the services apply),
so staff see a field error instead of a refusal after the fact.
"""

from __future__ import annotations

from django import forms

from apps.purchases.followup import InvalidFollowUp, parse_follow_up
from apps.purchases.models import CustomPlan, FollowUp, Plan
from apps.purchases.orders import InvalidOrder, price_order
from apps.purchases.services.catalogue import (
    EDITABLE_FIELDS,
    IDENTITY_FIELDS,
    PRICE_NOT_POSITIVE,
    plan_problems,
)
from apps.users.models import BotUser

# The follow-ups whose answer is the account itself, checked as the bot checks it.
ACCOUNT_FOLLOW_UPS = (FollowUp.X_ACCOUNT, FollowUp.TG_ACCOUNT)
TARGET_FIELDS = ("likes", "reposts", "comments", "views")
MAX_CREDIT_CHANGE = 100_000


def reason_field(help_text: str, *, missing: str) -> forms.CharField:
    """A required reason; blank or spaces only is refused with MISSING."""
    return forms.CharField(
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=help_text,
        error_messages={"required": missing},
    )


def telegram_id_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Bot user's Telegram id", min_value=1, help_text="As shown on the bot user's page."
    )


def bot_user_with(telegram_id: int) -> BotUser:
    bot_user = BotUser.objects.filter(telegram_id=telegram_id).first()
    if bot_user is None:
        raise forms.ValidationError(f"No bot user has Telegram id {telegram_id}.")
    return bot_user


class PlanForm(forms.ModelForm):
    """Add or edit a plan; saved by the catalogue service with the reason, never directly."""

    reason = reason_field(
        "Kept with the price history and in the audit log.", missing="Say why the plan is changed."
    )

    class Meta:
        model = Plan
        fields = [*IDENTITY_FIELDS, *EDITABLE_FIELDS]

    def clean_unit_price_usd(self):
        price = self.cleaned_data["unit_price_usd"]
        if price is not None and price <= 0:
            raise forms.ValidationError(PRICE_NOT_POSITIVE)
        return price

    def clean(self):
        cleaned = super().clean()
        # Fields shown read-only (the product, on an existing plan) still take part in the rules.
        current = {
            name: getattr(self.instance, name) for name in (*IDENTITY_FIELDS, *EDITABLE_FIELDS)
        }
        for field, problem in plan_problems({**current, **cleaned}).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, problem)
        if self.instance.pk and not self.errors and not self.plan_changes():
            raise forms.ValidationError("Nothing was changed: edit a field or go back.")
        return cleaned

    def plan_changes(self) -> dict:
        """The edited plan fields and their new values (the reason is not one of them)."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in EDITABLE_FIELDS and name in self.cleaned_data
        }

    def plan_values(self) -> dict:
        """Every plan field on the form, for a new plan."""
        return {name: value for name, value in self.cleaned_data.items() if name != "reason"}


class AdjustCreditsForm(forms.Form):
    delta = forms.IntegerField(
        label="Credits to add",
        min_value=-MAX_CREDIT_CHANGE,
        max_value=MAX_CREDIT_CHANGE,
        help_text="A positive number adds posts; a negative one (e.g. -3) removes them.",
    )
    reason = reason_field(
        "Shown in the purchase's credit history and the audit log.",
        missing="Say why the credits change.",
    )

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError("Add or remove at least one credit.")
        return delta


class ManualCreditForm(forms.Form):
    """A purchase paid outside the bot: credited with a reason, and no referral commission."""

    telegram_id = telegram_id_field()
    plan = forms.ModelChoiceField(queryset=Plan.objects.filter(is_active=True))
    quantity = forms.IntegerField(min_value=1)
    account = forms.CharField(
        max_length=64,
        required=False,
        help_text="The X or Telegram account the posts are for (@name). Required for "
        "engagement plans.",
    )
    reason = reason_field(
        "Where the payment was made, e.g. a bank reference or ticket.",
        missing="Say why this purchase is credited.",
    )

    def clean_telegram_id(self) -> int:
        telegram_id = self.cleaned_data["telegram_id"]
        self.cleaned_data["bot_user"] = bot_user_with(telegram_id)
        return telegram_id

    def clean(self):
        cleaned = super().clean()
        plan, quantity = cleaned.get("plan"), cleaned.get("quantity")
        if plan is None or quantity is None:
            return cleaned
        try:
            self.order = price_order(plan, quantity)
        except InvalidOrder as refusal:
            self.add_error("quantity", str(refusal))
        self._clean_account(plan, cleaned.get("account", "").strip())
        return cleaned

    def _clean_account(self, plan: Plan, account: str) -> None:
        """Read the account as the bot reads it, so the review shows exactly what is saved."""
        if plan.grants_boost_credits and not account:
            self.add_error("account", "Say which account the posts are for.")
            return
        if account and plan.follow_up in ACCOUNT_FOLLOW_UPS:
            try:
                account = parse_follow_up(plan.follow_up, account)["account"]
            except InvalidFollowUp as refusal:
                self.add_error("account", str(refusal))
                return
        self.cleaned_data["account"] = account.lstrip("@").lower()


class CustomPlanForm(forms.ModelForm):
    """A plan for one user: POSTS credits with their own per-post targets, no payment."""

    telegram_id = telegram_id_field()
    posts = forms.IntegerField(min_value=1, help_text="Posts granted.")

    class Meta:
        model = CustomPlan
        fields = ["name", *TARGET_FIELDS, "posts"]

    def clean_telegram_id(self) -> int:
        telegram_id = self.cleaned_data["telegram_id"]
        self.cleaned_data["bot_user"] = bot_user_with(telegram_id)
        return telegram_id

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in TARGET_FIELDS):
            self.add_error(None, "Set at least one per-post target.")
        user, name = cleaned.get("bot_user"), cleaned.get("name")
        if user and name and CustomPlan.objects.filter(user=user, name=name).exists():
            self.add_error("name", f"{user} already has a custom plan named {name!r}.")
        return cleaned

    def targets(self) -> dict:
        return {name: self.cleaned_data[name] for name in TARGET_FIELDS}


class TaskDoneForm(forms.Form):
    note = forms.CharField(
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Optional: what was delivered, or an order number with the supplier.",
    )
