"""A boost from the link in the bot chat to Completed orders at the panel, as the user sees it.

The webhook, the bot worker, the dispatcher (beat's claim, the placing worker), the status
poller and the sandbox's fake Telegram and SMM panels all run for real over loopback; time
passes by moving the phases' due times and the fake orders' clocks, never by sleeping.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import F

from apps.audit.models import AuditEvent
from apps.boosts.models import BoostOrder, OrderStatus, PhaseStatus
from apps.bot.sender import send_due_messages
from tests.boosts.conftest import add_group, grant
from tests.boosts.dispatch_helpers import dispatch_once, poll_once
from tests.boosts.fake_panels import age_fake_orders, fake_orders
from tests.bot.conftest import bot_said
from tests.bot.telegram_updates import private_user
from tests.bot.test_journeys import say
from tests.e2e.test_boost_submission import pick
from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db(transaction=True)
ADA = private_user(telegram_id=5123456789, first_name="Ada", username="ada")
X_POST = "https://x.com/brand/status/1790000000000000001"


@pytest.fixture
def ada(telegram, smm_panel, smm_provider):
    smm_panel("plugsmms")
    smm_panel("smmflare")
    smm_provider("plugsmms", priority=1)
    smm_provider("smmflare", priority=2)
    add_group(-1001, "comments", position=1)
    add_group(-2001, "likes")
    return BotUserFactory(telegram_id=ADA["id"], username="ada", first_name="Ada")


def let_minutes_pass(minutes: int) -> None:
    """The clock moves MINUTES on: every waiting phase is that much closer to due."""
    shift = timedelta(minutes=minutes)
    BoostOrder.objects.get().phases.filter(status=PhaseStatus.PENDING).update(
        due_at=F("due_at") - shift, next_attempt_at=F("next_attempt_at") - shift
    )


def run_workers() -> None:
    dispatch_once()
    send_due_messages(budget_seconds=5)


def test_a_link_becomes_three_phases_placed_on_time_and_completed(client, ada):
    purchase = grant(ada, plan_code="t1", account="brand", credits=3)

    say(client, "https://mobile.twitter.com/brand/status/1790000000000000001?s=46")
    pick(client, purchase.pk)

    assert bot_said(ADA["id"]) == [
        f"🔗 {X_POST}\n\nWhich plan should boost this post?",
        "✅ Post queued under @brand. Targets: 👍 30 🔁 5 💬 10 👀 2000\n"
        "📦 2 posts left on this plan.",
    ]
    order = BoostOrder.objects.get()
    phases = list(order.phases.values_list("number", "views", "likes"))
    assert phases == [(1, 1000, 0), (2, 1000, 30)]

    run_workers()  # nothing is due before the first interval
    assert fake_orders("plugsmms") == []

    let_minutes_pass(30)
    run_workers()
    assert [(o.service_id, o.quantity, o.link) for o in fake_orders("plugsmms")] == [
        (6073, 1000, X_POST)
    ]

    let_minutes_pass(30)
    run_workers()
    assert sorted((o.service_id, o.quantity) for o in fake_orders("plugsmms")) == [
        (6073, 1000),
        (6073, 1000),
        (11023, 30),
    ]
    assert set(order.phases.values_list("status", flat=True)) == {PhaseStatus.PLACED}

    age_fake_orders("plugsmms", seconds=60)
    poll_once()
    send_due_messages(budget_seconds=5)

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert set(order.phases.values_list("status", flat=True)) == {PhaseStatus.COMPLETED}
    assert bot_said(ADA["id"])[-1] == (
        f"✅ Boost done for {X_POST}\n👀 2,000 views and 👍 30 likes delivered."
    )
    actions = list(
        AuditEvent.objects.filter(action__startswith="boost.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "boost.submitted",
        "boost.phase_placed",
        "boost.phase_placed",
        "boost.phase_completed",
        "boost.phase_completed",
        "boost.completed",
    ]
    call_command("audit_verify")


def test_a_provider_switched_off_mid_boost_fails_over_for_the_next_phase(client, ada, smm_panel):
    purchase = grant(ada, plan_code="t1", account="brand", credits=3)
    say(client, X_POST)
    pick(client, purchase.pk)

    let_minutes_pass(30)
    run_workers()
    smm_panel("plugsmms", failure_mode="down")
    let_minutes_pass(30)
    for _ in range(6):  # five 503s open plugsmms's breaker, the sixth try fails over
        run_workers()
        BoostOrder.objects.get().phases.filter(status=PhaseStatus.PENDING).update(
            next_attempt_at=F("due_at")
        )

    assert [(o.service_id, o.quantity) for o in fake_orders("plugsmms")] == [(6073, 1000)]
    assert sorted((o.service_id, o.quantity) for o in fake_orders("smmflare")) == [
        (8381, 1000),
        (8646, 30),
    ]
    second = BoostOrder.objects.get().phases.get(number=2)
    assert second.status == PhaseStatus.PLACED
    assert {o.provider_name for o in second.orders.exclude(provider_order_id="")} == {"smmflare"}
