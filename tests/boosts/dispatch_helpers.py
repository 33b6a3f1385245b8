"""Building boost orders in a given state, and running the dispatcher as the beat and workers do."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.boosts.models import BoostOrder, BoostPhase, PhaseStatus
from apps.boosts.services import dispatch, placing, polling
from apps.purchases.models import Purchase
from tests.factories import BotUserFactory

LINK = "https://x.com/brand/status/1234567890"


def make_order(*, provider=None, phases=((1000, 0),), user=None, credits_left=4) -> BoostOrder:
    """An X order snapshotting PROVIDER, with PHASES as (views, likes), all due now."""
    user = user or BotUserFactory()
    purchase = Purchase.objects.create(
        user=user,
        source="payment",
        product="x_engagement",
        plan_code="t1",
        account="brand",
        quantity=5,
        targets={"likes": 30, "reposts": 5, "comments": 10, "views": 2000},
        credits_total=5,
        credits_remaining=credits_left,
        amount_usd="2.50",
    )
    order = BoostOrder.objects.create(
        user=user,
        purchase=purchase,
        platform="x",
        link=LINK,
        post_id="1234567890",
        account="brand",
        plan_code="t1",
        targets=purchase.targets,
        snapshot=snapshot_of(provider) if provider else {},
    )
    now = timezone.now()
    for number, (views, likes) in enumerate(phases, start=1):
        BoostPhase.objects.create(
            order=order,
            number=number,
            due_at=now - timedelta(seconds=1),
            next_attempt_at=now - timedelta(seconds=1),
            views=views,
            likes=likes,
        )
    return order


def snapshot_of(provider) -> dict:
    return {
        "provider": provider.name,
        "api_url": provider.api_url,
        "api_key_env": provider.api_key_env,
        "services": provider.service_ids(),
        "taken_at": timezone.now().isoformat(),
    }


def dispatch_once() -> int:
    """One beat run, then every claimed phase placed in this process (as a worker would)."""
    claimed = dispatch.claim_due_phases()
    for phase_id, lease in claimed:
        placing.place_phase(phase_id, lease)
    return len(claimed)


def poll_once() -> int:
    return polling.poll_provider_orders()


def make_due_again(order) -> None:
    """Whatever the phases wait for (backoff, lease) is over."""
    past = timezone.now() - timedelta(seconds=1)
    order.phases.filter(status=PhaseStatus.PENDING).update(next_attempt_at=past)
    order.phases.filter(status=PhaseStatus.DISPATCHING).update(lease_until=past)
