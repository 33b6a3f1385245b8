"""A submitted link becomes a boost order: one credit, the order, its phases, the groups.

All in one transaction, so a crash leaves either everything (credit taken, order, phases, group
messages queued, audit event) or nothing. Locks are taken in the order the rest of the system
uses: purchase rows, then the group pointer, then the audit chain head (record_event, last).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.audit.services import record_event
from apps.boosts.distribution import Distribution, distribute
from apps.boosts.links import TELEGRAM, PostLink, X
from apps.boosts.models import BoostOrder, BoostPhase, OrderStatus
from apps.boosts.services.credits import consume_credit
from apps.boosts.services.schedule import phase_plan
from apps.boosts.services.snapshot import take_snapshot
from apps.purchases.models import Purchase

TARGET_KEYS = ("likes", "reposts", "comments", "views")


@transaction.atomic
def submit_boost(*, user, link: PostLink, purchase_id) -> BoostOrder:
    """Spend one credit of PURCHASE_ID's pool on LINK; CreditRefused leaves everything as it was."""
    now = timezone.now()
    purchase = consume_credit(user=user, purchase_id=purchase_id, platform=link.platform)
    order = BoostOrder.objects.create(
        user=user,
        purchase=purchase,
        platform=link.platform,
        link=link.url,
        post_id=link.post_id,
        account=purchase.account,
        plan_code=purchase.plan_code,
        targets=order_targets(purchase, link.platform),
        # Telegram posts are boosted by people in the groups only; no panel order, no provider.
        snapshot=take_snapshot() if link.platform == X else {},
    )
    phases = _create_phases(order, now=now)
    sent = distribute(order, now=now)
    _record_submitted(order, purchase, phases, sent)
    if not phases:  # Telegram, or an X plan with no views or likes: groups only
        _complete_group_only_order(order, now=now)
    return order


def order_targets(purchase: Purchase, platform: str) -> dict:
    """What one credit delivers. Telegram: N comments/reactions per post, likes the same N."""
    if platform == TELEGRAM:
        comments = purchase.comments_per_post or int(purchase.targets.get("comments") or 0)
        return {"likes": comments, "reposts": 0, "comments": comments, "views": 0}
    return {key: int(purchase.targets.get(key) or 0) for key in TARGET_KEYS}


def _create_phases(order: BoostOrder, *, now) -> list[BoostPhase]:
    if order.platform != X:
        return []
    planned = phase_plan(views=order.targets["views"], likes=order.targets["likes"], start=now)
    return BoostPhase.objects.bulk_create(
        BoostPhase(
            order=order,
            number=phase.number,
            due_at=phase.due_at,
            next_attempt_at=phase.due_at,
            views=phase.views,
            likes=phase.likes,
        )
        for phase in planned
    )


def _record_submitted(order, purchase, phases, sent: Distribution) -> None:
    record_event(
        actor=order.user,
        action="boost.submitted",
        object_type="boosts.order",
        object_id=order.pk,
        before={"purchase": purchase.pk, "credits_remaining": purchase.credits_remaining + 1},
        after={
            "link": order.link,
            "platform": order.platform,
            "plan": order.plan_code,
            "account": order.account,
            "targets": order.targets,
            "purchase": purchase.pk,
            "credits_remaining": purchase.credits_remaining,
            "provider": order.snapshot.get("provider", ""),
            "phases": [
                {
                    "number": phase.number,
                    "due_at": phase.due_at.isoformat(),
                    "views": phase.views,
                    "likes": phase.likes,
                }
                for phase in phases
            ],
            "comment_groups": sent.comment_chats,
            "likes_group": sent.likes_chat,
        },
        search_terms=[order.user.telegram_id, f"B-{order.pk}", order.post_id],
    )


def _complete_group_only_order(order: BoostOrder, *, now) -> None:
    """An order with no panel phases is done once its group messages are queued."""
    changed = BoostOrder.objects.filter(pk=order.pk, status=OrderStatus.SCHEDULED).update(
        status=OrderStatus.COMPLETED, finished_at=now
    )
    if changed != 1:
        return
    order.status, order.finished_at = OrderStatus.COMPLETED, now
    record_event(
        actor=order.user,
        action="boost.completed",
        object_type="boosts.order",
        object_id=order.pk,
        before={"status": OrderStatus.SCHEDULED},
        after={"status": OrderStatus.COMPLETED},
        reason="no panel order to place: its group messages are queued",
        search_terms=[order.user.telegram_id, f"B-{order.pk}"],
    )
