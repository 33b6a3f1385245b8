"""Following provider orders to the end: phases and orders done, a shortfall re-ordered once."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.boosts.models import OrderStatus, PhaseStatus, ProviderOrderStatus
from tests.boosts.dispatch_helpers import dispatch_once, make_order, poll_once
from tests.boosts.fake_panels import age_fake_orders, fake_orders

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(smm_panel, smm_provider):
    smm_panel("plugsmms")
    smm_panel("smmflare")
    smm_provider("smmflare", priority=2)
    return smm_provider("plugsmms", priority=1)


def test_orders_in_progress_keep_the_phase_placed(provider):
    order = make_order(provider=provider, phases=[(1000, 50)])
    dispatch_once()
    age_fake_orders("plugsmms", seconds=6)

    poll_once()

    phase = order.phases.get()
    assert phase.status == PhaseStatus.PLACED
    assert {o.status for o in phase.orders.all()} == {ProviderOrderStatus.IN_PROGRESS}


def test_completed_orders_complete_the_phase_and_then_the_order(provider):
    order = make_order(provider=provider, phases=[(1000, 0), (500, 50)])
    dispatch_once()
    age_fake_orders("plugsmms", seconds=60)

    poll_once()

    assert {p.status for p in order.phases.all()} == {PhaseStatus.COMPLETED}
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.finished_at is not None
    assert AuditEvent.objects.filter(action="boost.completed", object_id=str(order.pk)).exists()


def test_the_order_is_not_completed_while_a_later_phase_waits(provider):
    order = make_order(provider=provider, phases=[(1000, 0), (500, 50)])
    later = order.phases.get(number=2)
    later.next_attempt_at = later.due_at.replace(year=later.due_at.year + 1)
    later.save()
    dispatch_once()
    age_fake_orders("plugsmms", seconds=60)

    poll_once()

    order.refresh_from_db()
    assert order.status == OrderStatus.RUNNING
    assert order.phases.get(number=1).status == PhaseStatus.COMPLETED


def test_a_partial_order_is_reordered_once_for_its_remainder(provider, smm_panel):
    smm_panel("plugsmms", partial_percent=10)
    order = make_order(provider=provider, phases=[(1000, 0)])
    dispatch_once()
    age_fake_orders("plugsmms", seconds=60)

    poll_once()
    phase = order.phases.get()
    assert phase.status == PhaseStatus.PENDING
    dispatch_once()

    phase.refresh_from_db()
    assert phase.status == PhaseStatus.PLACED
    first, remainder = phase.orders.order_by("id")
    assert (first.status, first.remains) == (ProviderOrderStatus.PARTIAL, 100)
    assert (remainder.quantity, remainder.is_remainder) == (100, True)
    assert sorted(o.quantity for o in fake_orders("plugsmms")) == [100, 1000]

    # The remainder ends Partial too: accepted, not ordered a third time.
    age_fake_orders("plugsmms", seconds=60)
    poll_once()
    dispatch_once()
    phase.refresh_from_db()
    assert phase.status == PhaseStatus.COMPLETED
    assert len(fake_orders("plugsmms")) == 2
    assert AuditEvent.objects.filter(action="boost.remainder_ordered").count() == 1


def test_with_reordering_off_a_partial_order_is_accepted(provider, smm_panel, settings):
    settings.BOOST_REORDER_REMAINDER = False
    smm_panel("plugsmms", partial_percent=10)
    order = make_order(provider=provider, phases=[(1000, 0)])
    dispatch_once()
    age_fake_orders("plugsmms", seconds=60)

    poll_once()

    assert order.phases.get().status == PhaseStatus.COMPLETED
    assert len(fake_orders("plugsmms")) == 1


def test_a_panel_that_cannot_answer_leaves_the_orders_as_they_were(provider, smm_panel):
    order = make_order(provider=provider, phases=[(1000, 0)])
    dispatch_once()
    smm_panel("plugsmms", failure_mode="down")

    assert poll_once() == 0

    assert order.phases.get().orders.get().status == ProviderOrderStatus.PENDING
