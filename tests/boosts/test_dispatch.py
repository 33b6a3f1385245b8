"""Placing due phases with the SMM panels: snapshot ids, failover, the breaker, no double orders.

The client talks over HTTP to the sandbox's fake panels (live_server); time is moved by setting
the rows' times, never by sleeping.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.boosts.clients.smm import smm_breaker
from apps.boosts.models import (
    OrderStatus,
    PhaseStatus,
    Provider,
    ProviderOrder,
    ProviderOrderStatus,
)
from apps.boosts.services import dispatch, placing
from apps.bot.models import GroupRole, OutboundMessage, TelegramGroup
from tests.boosts.dispatch_helpers import dispatch_once, make_due_again, make_order
from tests.boosts.fake_panels import fake_orders

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin_group(db):
    return TelegramGroup.objects.create(
        chat_id=-100777, title="Admins", chat_type="supergroup", role=GroupRole.ADMIN
    )


@pytest.fixture
def two_providers(smm_panel, smm_provider):
    smm_panel("plugsmms")
    smm_panel("smmflare")
    return smm_provider("plugsmms", priority=1), smm_provider("smmflare", priority=2)


def test_a_due_phase_is_placed_once_with_the_snapshot_provider(two_providers):
    first, _ = two_providers
    order = make_order(provider=first, phases=[(500, 100)])

    assert dispatch_once() == 1
    assert dispatch_once() == 0

    phase = order.phases.get()
    assert phase.status == PhaseStatus.PLACED
    placed = {(o.kind, o.quantity, o.service_id) for o in phase.orders.all()}
    assert placed == {("views", 500, 6073), ("likes", 100, 11023)}
    at_panel = fake_orders("plugsmms")
    assert sorted((o.service_id, o.quantity) for o in at_panel) == [(6073, 500), (11023, 100)]
    assert {o.provider_order_id for o in phase.orders.all()} == {str(o.wire_id) for o in at_panel}
    order.refresh_from_db()
    assert order.status == OrderStatus.RUNNING


def test_a_phase_not_yet_due_waits(two_providers):
    order = make_order(provider=two_providers[0])
    order.phases.update(next_attempt_at=timezone.now() + timedelta(minutes=30))

    assert dispatch_once() == 0
    assert fake_orders("plugsmms") == []


def test_the_snapshot_service_ids_are_used_after_staff_change_them(two_providers):
    first, _ = two_providers
    order = make_order(provider=first, phases=[(1000, 50)])
    Provider.objects.filter(pk=first.pk).update(view_service_id=4444, like_service_id=5555)

    dispatch_once()

    assert sorted(o.service_id for o in fake_orders("plugsmms")) == [6073, 11023]
    assert order.phases.get().status == PhaseStatus.PLACED


def test_out_of_funds_fails_over_to_the_next_provider_and_alerts_staff(
    two_providers, smm_panel, admin_group
):
    first, _ = two_providers
    smm_panel("plugsmms", balance="0.00")
    order = make_order(provider=first, phases=[(1000, 50)])

    dispatch_once()

    phase = order.phases.get()
    assert phase.status == PhaseStatus.PLACED
    assert fake_orders("plugsmms") == []
    placed = phase.orders.exclude(status=ProviderOrderStatus.NOT_PLACED)
    assert {(o.provider_name, o.service_id) for o in placed} == {
        ("smmflare", 8381),
        ("smmflare", 8646),
    }
    assert sorted(o.service_id for o in fake_orders("smmflare")) == [8381, 8646]
    refused = phase.orders.filter(status=ProviderOrderStatus.NOT_PLACED)
    assert {(o.provider_name, o.kind) for o in refused} == {
        ("plugsmms", "views"),
        ("plugsmms", "likes"),
    }
    assert all("funds" in o.error.lower() for o in refused)
    alert = OutboundMessage.objects.get(chat_id=admin_group.chat_id)
    assert "plugsmms is out of funds" in alert.payload["text"]


def test_an_open_breaker_fails_over_without_calling_the_provider(two_providers):
    first, _ = two_providers
    breaker = smm_breaker("plugsmms")
    for _ in range(5):
        breaker.record_failure()
    order = make_order(provider=first, phases=[(700, 0)])

    dispatch_once()

    assert fake_orders("plugsmms") == []
    assert [(o.service_id, o.quantity) for o in fake_orders("smmflare")] == [(8381, 700)]
    assert order.phases.get().status == PhaseStatus.PLACED


def test_five_server_errors_open_the_breaker_and_the_next_phase_fails_over(
    two_providers, smm_panel
):
    first, _ = two_providers
    smm_panel("plugsmms", failure_mode="server_error")
    orders = [make_order(provider=first, phases=[(100, 0)]) for _ in range(6)]

    dispatch_once()

    assert smm_breaker("plugsmms").state() == "open"
    statuses = [order.phases.get().status for order in orders]
    assert statuses == [PhaseStatus.PENDING] * 5 + [PhaseStatus.PLACED]
    for order in orders:
        make_due_again(order)
    dispatch_once()
    assert len(fake_orders("smmflare")) == 6
    assert fake_orders("plugsmms") == []


def test_a_transient_error_waits_with_backoff(two_providers, smm_panel):
    first, _ = two_providers
    smm_panel("plugsmms", failure_mode="server_error")
    order = make_order(provider=first, phases=[(100, 0)])
    before = timezone.now()

    dispatch_once()

    phase = order.phases.get()
    assert phase.status == PhaseStatus.PENDING
    assert phase.attempts == 1
    assert "plugsmms" in phase.last_error
    # The client retries nothing for an add; the phase waits ~15 s before the next try.
    assert timedelta(seconds=14) < phase.next_attempt_at - before < timedelta(seconds=17)
    assert dispatch_once() == 0


def test_a_rate_limit_waits_for_the_time_the_panel_asked(two_providers, smm_panel):
    first, _ = two_providers
    smm_panel("plugsmms", failure_mode="rate_limit")
    order = make_order(provider=first, phases=[(100, 0)])
    before = timezone.now()

    dispatch_once()

    phase = order.phases.get()
    assert phase.status == PhaseStatus.PENDING
    assert phase.next_attempt_at - before < timedelta(seconds=5)
    assert fake_orders("smmflare") == []


def test_a_permanent_refusal_fails_over_and_is_not_tried_again(two_providers, smm_panel):
    first, _ = two_providers
    smm_panel("plugsmms", failure_mode="invalid_service")
    order = make_order(provider=first, phases=[(100, 0), (100, 20)])

    dispatch_once()

    phases = list(order.phases.all())
    assert all(p.status == PhaseStatus.PLACED for p in phases)
    assert all(p.failed_providers == ["plugsmms"] for p in phases)
    assert len(fake_orders("smmflare")) == 3


def test_refused_everywhere_fails_the_order_returns_the_credit_and_tells_the_user(
    two_providers, smm_panel, admin_group
):
    first, _ = two_providers
    smm_panel("plugsmms", failure_mode="invalid_service")
    smm_panel("smmflare", failure_mode="invalid_key")
    order = make_order(provider=first, phases=[(1000, 0), (500, 50)], credits_left=2)

    dispatch_once()

    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert order.credit_returned is True
    order.purchase.refresh_from_db()
    assert order.purchase.credits_remaining == 3
    assert sorted(p.status for p in order.phases.all()) == [
        PhaseStatus.CANCELED,
        PhaseStatus.FAILED,
    ]
    dm = OutboundMessage.objects.get(chat_id=order.user.telegram_id)
    assert "could not boost" in dm.payload["text"]
    assert "credit is back" in dm.payload["text"]
    assert OutboundMessage.objects.filter(chat_id=admin_group.chat_id).count() == 1
    actions = list(
        AuditEvent.objects.filter(action__startswith="boost.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["boost.phase_failed", "boost.failed", "boost.credit_returned"]


def test_no_provider_available_waits_instead_of_failing(two_providers, smm_panel):
    first, _ = two_providers
    smm_panel("plugsmms", balance="0.00")
    smm_panel("smmflare", balance="0.00")
    order = make_order(provider=first, phases=[(1000, 0)])

    dispatch_once()

    phase = order.phases.get()
    assert phase.status == PhaseStatus.PENDING
    assert "no provider can take it now" in phase.last_error
    order.refresh_from_db()
    assert order.status == OrderStatus.SCHEDULED
    assert order.credit_returned is False


def test_past_the_give_up_time_a_waiting_phase_fails(two_providers, smm_panel, settings):
    settings.BOOST_GIVE_UP_HOURS = 1
    first, _ = two_providers
    smm_panel("plugsmms", balance="0.00")
    smm_panel("smmflare", balance="0.00")
    order = make_order(provider=first, phases=[(1000, 0)])
    order.phases.update(due_at=timezone.now() - timedelta(hours=2))

    dispatch_once()

    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert "gave up" in order.last_error


def test_a_disabled_snapshot_provider_is_skipped(two_providers):
    first, _ = two_providers
    order = make_order(provider=first, phases=[(300, 0)])
    Provider.objects.filter(pk=first.pk).update(is_enabled=False)

    dispatch_once()

    assert fake_orders("plugsmms") == []
    assert len(fake_orders("smmflare")) == 1
    assert order.phases.get().status == PhaseStatus.PLACED


def test_a_worker_killed_after_claiming_leaves_the_phase_to_be_placed_exactly_once(two_providers):
    order = make_order(provider=two_providers[0], phases=[(1000, 50)])
    [(phase_id, dead_lease)] = dispatch.claim_due_phases()
    # The worker holding DEAD_LEASE died before placing anything; its claim runs out.
    make_due_again(order)

    [(same_id, lease)] = dispatch.claim_due_phases()
    placing.place_phase(same_id, lease)
    # The dead worker's task redelivered late changes nothing: its lease is not the phase's.
    placing.place_phase(phase_id, dead_lease)
    make_due_again(order)
    dispatch_once()

    assert same_id == phase_id
    assert len(fake_orders("plugsmms")) == 2
    assert order.phases.get().orders.count() == 2


def test_a_worker_killed_while_sending_is_not_sent_again(two_providers, admin_group):
    order = make_order(provider=two_providers[0], phases=[(1000, 0)])
    dispatch.claim_due_phases()  # then the worker dies mid-send, leaving its row behind
    phase = order.phases.get()
    ProviderOrder.objects.create(
        phase=phase,
        kind="views",
        quantity=1000,
        provider_name="plugsmms",
        api_url=two_providers[0].api_url,
        api_key_env=two_providers[0].api_key_env,
        service_id=6073,
    )
    make_due_again(order)

    dispatch_once()

    phase.refresh_from_db()
    assert phase.status == PhaseStatus.CHECKING
    assert phase.orders.get().status == ProviderOrderStatus.UNKNOWN
    assert fake_orders("plugsmms") == []
    assert (
        "outcome unknown"
        in OutboundMessage.objects.get(chat_id=admin_group.chat_id).payload["text"]
    )


def test_an_add_without_an_answer_is_marked_for_checking_and_never_sent_again(
    two_providers, smm_panel, settings, admin_group
):
    settings.SMM_READ_TIMEOUT = 0.5
    smm_panel("plugsmms", failure_mode="timeout", timeout_seconds=2)
    order = make_order(provider=two_providers[0], phases=[(1000, 0)])

    dispatch_once()
    make_due_again(order)
    dispatch_once()

    phase = order.phases.get()
    assert phase.status == PhaseStatus.CHECKING
    assert phase.orders.get().status == ProviderOrderStatus.UNKNOWN
    # The panel did take it (it stores before it stalls): exactly one order there, none elsewhere.
    assert len(fake_orders("plugsmms")) == 1
    assert fake_orders("smmflare") == []
    assert AuditEvent.objects.filter(action="boost.phase_unknown").count() == 1


def test_the_beat_task_hands_due_phases_to_the_placing_task(two_providers, eager_tasks):
    from apps.boosts import tasks

    order = make_order(provider=two_providers[0], phases=[(1000, 0), (500, 40)])

    assert tasks.dispatch_due_phases() == 2

    assert {p.status for p in order.phases.all()} == {PhaseStatus.PLACED}
    assert len(fake_orders("plugsmms")) == 3
    assert tasks.poll_provider_orders() == 0  # all still Pending at the panel
