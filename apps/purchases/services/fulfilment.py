"""After payment: the buyer's details, staff tasks, and staff changes to credits and plans."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.services import record_event
from apps.purchases.followup import parse_follow_up
from apps.purchases.models import (
    CreditChange,
    CustomPlan,
    FulfilmentTask,
    Plan,
    Purchase,
    PurchaseSource,
    TaskStatus,
)
from apps.purchases.orders import price_order
from apps.purchases.services import permissions


class CreditsRefused(ValueError):
    """A credit change that would break a rule (below zero, no reason…)."""


@transaction.atomic
def record_follow_up(*, purchase: Purchase, text: str, actor) -> Purchase:
    """Store what the buyer sent after paying; InvalidFollowUp (nothing saved) if unreadable."""
    purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
    kind = (purchase.invoice.plan_snapshot if purchase.invoice else {}).get("follow_up", "")
    details = parse_follow_up(kind, text)
    purchase.account = details.get("account", "")
    purchase.save(update_fields=["account"])
    task = FulfilmentTask.objects.filter(purchase=purchase).first()
    if task is not None:
        task.details = details
        task.status = TaskStatus.OPEN
        task.save(update_fields=["details", "status"])
    record_event(
        actor=actor,
        action="purchase.details_received",
        object_type="purchases.purchase",
        object_id=purchase.pk,
        after=details,
        search_terms=[purchase.user.telegram_id],
    )
    return purchase


@transaction.atomic
def complete_task(*, task: FulfilmentTask, actor, note: str = "") -> FulfilmentTask:
    permissions.require_staff_permission(
        actor, permissions.COMPLETE_TASK, doing="mark fulfilment tasks done"
    )
    changed = FulfilmentTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, done_by=actor, done_at=timezone.now(), note=note[:255]
    )
    if changed != 1:
        raise CreditsRefused("Only an open task can be marked done.")
    record_event(
        actor=actor,
        action="fulfilment.done",
        object_type="purchases.task",
        object_id=task.pk,
        before={"status": TaskStatus.OPEN},
        after={"status": TaskStatus.DONE, "note": note},
        search_terms=[task.purchase.user.telegram_id],
    )
    task.refresh_from_db()
    return task


@transaction.atomic
def credit_purchase(
    *,
    user,
    plan: Plan,
    quantity: int,
    account: str,
    reason: str,
    actor,
    comments_per_post: int | None = None,
) -> Purchase:
    """Staff credit a purchase by hand (a payment made elsewhere): audited, no commission."""
    permissions.require_staff_permission(
        actor, permissions.CREDIT_PURCHASE, doing="credit purchases by hand"
    )
    if not reason.strip():
        raise CreditsRefused("A manual credit needs a reason.")
    order = price_order(plan, quantity, comments_per_post)
    boosts = plan.grants_boost_credits
    purchase = Purchase.objects.create(
        user=user,
        plan=plan,
        source=PurchaseSource.MANUAL,
        product=plan.product,
        plan_code=plan.code,
        account=account.strip().lstrip("@").lower(),
        quantity=quantity,
        comments_per_post=order.comments_per_post,
        targets=(
            {"comments": order.comments_per_post} if order.comments_per_post else plan.targets()
        ),
        credits_total=quantity if boosts else 0,
        credits_remaining=quantity if boosts else 0,
        amount_usd=order.amount_usd,
        reason=reason.strip(),
        created_by=actor,
    )
    if not boosts:
        FulfilmentTask.objects.create(purchase=purchase, status=TaskStatus.OPEN)
    record_event(
        actor=actor,
        action="purchase.credited_manually",
        object_type="purchases.purchase",
        object_id=purchase.pk,
        after={"plan": plan.code, "quantity": quantity, "account": purchase.account},
        reason=reason,
        search_terms=[user.telegram_id],
    )
    return purchase


@transaction.atomic
def adjust_credits(*, purchase: Purchase, delta: int, reason: str, actor) -> Purchase:
    """Add (delta > 0) or remove post credits; never below zero; audited with the reason."""
    permissions.require_staff_permission(
        actor, permissions.ADJUST_CREDITS, doing="change post credits"
    )
    if not reason.strip():
        raise CreditsRefused("A credit change needs a reason.")
    if delta == 0:
        raise CreditsRefused("Add or remove at least one credit.")
    purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
    before = purchase.credits_remaining
    if before + delta < 0:
        raise CreditsRefused(f"Only {before} credits are left; cannot remove {-delta}.")
    grow_total = max(0, before + delta - purchase.credits_total)
    Purchase.objects.filter(pk=purchase.pk).update(
        credits_remaining=F("credits_remaining") + delta,
        credits_total=F("credits_total") + grow_total,
    )
    CreditChange.objects.create(purchase=purchase, delta=delta, reason=reason, changed_by=actor)
    purchase.refresh_from_db()
    record_event(
        actor=actor,
        action="purchase.credits_adjusted",
        object_type="purchases.purchase",
        object_id=purchase.pk,
        before={"credits_remaining": before},
        after={"credits_remaining": purchase.credits_remaining},
        reason=reason,
        search_terms=[purchase.user.telegram_id],
    )
    return purchase


@transaction.atomic
def create_custom_plan(*, user, name: str, targets: dict, posts: int, actor) -> CustomPlan:
    """A staff-made plan for USER: POSTS credits with their own per-post targets, no payment."""
    permissions.require_staff_permission(
        actor, permissions.CREATE_CUSTOM_PLAN, doing="create custom plans"
    )
    if posts < 1:
        raise CreditsRefused("A custom plan grants at least one post.")
    plan = CustomPlan.objects.create(
        user=user, name=name.strip(), posts=posts, created_by=actor, **targets
    )
    Purchase.objects.create(
        user=user,
        custom_plan=plan,
        source=PurchaseSource.CUSTOM_PLAN,
        product="x_engagement",
        plan_code="custom",
        quantity=posts,
        targets=plan.targets(),
        credits_total=posts,
        credits_remaining=posts,
        amount_usd=0,
        created_by=actor,
    )
    record_event(
        actor=actor,
        action="custom_plan.created",
        object_type="purchases.custom_plan",
        object_id=plan.pk,
        after={"name": plan.name, "posts": posts, **plan.targets()},
        search_terms=[user.telegram_id],
    )
    return plan
