"""Editing the catalogue: every plan change leaves a PlanRevision and an audit event.

Invoices copy the plan (plan_snapshot, amount_usd) when they are issued, so a price edited
here applies to the next invoice only; an open invoice keeps the price it was quoted.
Code, platform and product are fixed once a plan exists: invoices, purchases and the bot's
menus refer to them. A plan that is no longer sold is deactivated, never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.audit.actors import SYSTEM, Actor
from apps.audit.services import record_event
from apps.purchases.models import Plan, PlanRevision, Product

EDIT_PLAN_PERMISSION = "users.manage_providers"
OBJECT_TYPE = "purchases.plan"

# Set when the plan is created, then fixed.
IDENTITY_FIELDS = ("code", "platform", "product")
EDITABLE_FIELDS = (
    "name",
    "description",
    "unit",
    "unit_price_usd",
    "min_quantity",
    "max_quantity",
    "quantity_step",
    "quantity_presets",
    "comments_per_post_choices",
    "likes",
    "reposts",
    "comments",
    "views",
    "follow_up",
    "is_active",
    "sort_order",
)
PRICE_PLACES = Decimal("0.000001")
PRICE_NOT_POSITIVE = "A price must be more than 0."


class PlanRefused(ValueError):
    """A plan change that breaks a rule; ERRORS maps each field to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class PlanEditDenied(PermissionDenied):
    """The actor may not change the catalogue."""


def create_plan(*, values: Mapping, actor, reason: str = "") -> Plan:
    """A new plan from VALUES (identity and editable fields), with its first revision."""
    _require_editor(actor)
    unknown = set(values) - set(IDENTITY_FIELDS) - set(EDITABLE_FIELDS)
    if unknown:
        raise PlanRefused({name: f"{name} is not a plan field." for name in sorted(unknown)})
    plan = Plan(**_coerced(values))
    _validate(plan, creating=True)
    with transaction.atomic():
        plan.save()
        _revise(plan, actor=actor, reason=reason)
        record_event(
            actor=actor,
            action="plan.created",
            object_type=OBJECT_TYPE,
            object_id=plan.code,
            after=plan_state(plan),
            reason=reason,
            search_terms=[plan.code],
        )
    return plan


def update_plan(*, plan: Plan, changes: Mapping, actor, reason: str = "") -> Plan:
    """Apply CHANGES (field -> new value) to PLAN; nothing is written if no value differs."""
    _require_editor(actor)
    fixed = set(changes) - set(EDITABLE_FIELDS)
    if fixed:
        raise PlanRefused({name: f"{name} cannot be changed." for name in sorted(fixed)})
    changes = _coerced(changes)
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        before = plan_state(locked)
        for name, value in changes.items():
            setattr(locked, name, value)
        _validate(locked, creating=False)
        after = plan_state(locked)
        changed = [name for name in EDITABLE_FIELDS if after[name] != before[name]]
        if not changed:
            return locked
        locked.save(update_fields=[*changed, "updated_at"])
        _revise(locked, actor=actor, reason=reason)
        record_event(
            actor=actor,
            action="plan.updated",
            object_type=OBJECT_TYPE,
            object_id=locked.code,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
            reason=reason,
            search_terms=[locked.code],
        )
    return locked


def plan_problems(values: Mapping) -> dict[str, str]:
    """What is wrong with a plan made of VALUES, by field; empty when it can be sold.

    Shared by the service and the admin form, so staff see the same rule the service applies.
    """
    problems = {}
    price = values.get("unit_price_usd")
    if price is not None and price <= 0:
        problems["unit_price_usd"] = PRICE_NOT_POSITIVE
    minimum, maximum = values.get("min_quantity"), values.get("max_quantity")
    step = values.get("quantity_step")
    if minimum is not None and minimum < 1:
        problems["min_quantity"] = "The minimum quantity is at least 1."
    if minimum is not None and maximum is not None and maximum < minimum:
        problems["max_quantity"] = "The maximum quantity cannot be below the minimum."
    if step is not None and step < 1:
        problems["quantity_step"] = "The quantity step is at least 1."
    presets = values.get("quantity_presets") or []
    if not _positive_ints(presets):
        problems["quantity_presets"] = "Presets are a list of whole numbers, like [10, 25, 50]."
    elif minimum is not None and maximum is not None and step:
        bad = [n for n in presets if not minimum <= n <= maximum or n % step]
        if bad:
            problems["quantity_presets"] = (
                f"Presets {bad} are outside {minimum}-{maximum} or not a multiple of {step}."
            )
    choices = values.get("comments_per_post_choices") or []
    if not _positive_ints(choices):
        problems["comments_per_post_choices"] = "Choices are a list of whole numbers, like [5, 10]."
    elif values.get("product") == Product.TG_ENGAGEMENT and not choices:
        problems["comments_per_post_choices"] = (
            "Telegram engagement needs the comments-per-post choices the buyer picks from."
        )
    return problems


def plan_state(plan: Plan) -> dict:
    """PLAN's sellable fields as JSON values: the revision snapshot and the audit before/after."""
    state = {name: getattr(plan, name) for name in (*IDENTITY_FIELDS, *EDITABLE_FIELDS)}
    state["unit_price_usd"] = price_text(plan.unit_price_usd)
    return state


def price_text(price: Decimal | None) -> str | None:
    """A unit price with the places it needs and at least two: "1.00", "0.015"."""
    if price is None:
        return None
    text = format(Decimal(price).quantize(PRICE_PLACES), "f").rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _coerced(values: Mapping) -> dict:
    coerced = dict(values)
    if "unit_price_usd" in coerced:
        price = coerced["unit_price_usd"]
        if isinstance(price, float):
            raise TypeError("Prices are Decimals or strings, never floats.")
        try:
            price = Decimal(str(price).strip())
        except InvalidOperation:
            price = None
        if price is None or not price.is_finite():
            raise PlanRefused({"unit_price_usd": "A price is a number, like 1.50."})
        if price <= 0:
            raise PlanRefused({"unit_price_usd": PRICE_NOT_POSITIVE})
        coerced["unit_price_usd"] = price
    return coerced


def _validate(plan: Plan, *, creating: bool) -> None:
    """Field types and validators first (they turn "10" into 10), then the selling rules."""
    try:
        plan.clean_fields(exclude=["updated_at"])
    except ValidationError as error:
        raise PlanRefused(_by_field(error)) from None
    problems = plan_problems({name: getattr(plan, name) for name in plan_state(plan)})
    if problems:
        raise PlanRefused(problems)
    try:
        plan.clean()
        if creating:
            plan.validate_unique()
        plan.validate_constraints()
    except ValidationError as error:
        raise PlanRefused(_by_field(error)) from None


def _by_field(error: ValidationError) -> dict[str, str]:
    return {field: " ".join(messages) for field, messages in error.message_dict.items()}


def _revise(plan: Plan, *, actor, reason: str) -> PlanRevision:
    return PlanRevision.objects.create(
        plan=plan,
        unit_price_usd=plan.unit_price_usd,
        snapshot=plan_state(plan),
        changed_by=actor if isinstance(actor, AbstractBaseUser) else None,
        reason=reason.strip()[:255],
    )


def _require_editor(actor) -> None:
    """Staff need the plans capability; a named system job (a data command) may edit too."""
    if isinstance(actor, Actor) and actor.type == SYSTEM:
        return
    if not isinstance(actor, AbstractBaseUser):
        raise PlanEditDenied(f"Only staff change plans, not a {type(actor).__name__}.")
    if not (actor.is_active and actor.is_staff and actor.has_perm(EDIT_PLAN_PERMISSION)):
        raise PlanEditDenied(
            f"{actor.get_username()} may not change plans: that needs {EDIT_PLAN_PERMISSION}."
        )


def _positive_ints(values) -> bool:
    return isinstance(values, list) and all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in values
    )
