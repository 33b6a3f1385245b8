"""Staff actions on boosts: retry, cancel, refill, resolve and service ids, as the services do them.

Rows are built in the state each case needs; panel calls go over HTTP to the sandbox's fake
panels served by the live test server.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.boosts.models import (
    BoostOrder,
    BoostPhase,
    OrderStatus,
    PhaseStatus,
    Provider,
    ProviderOrder,
    ProviderOrderStatus,
)
from apps.boosts.services.dispatch import claim_due_phases
from apps.boosts.services.staff import (
    BoostActionRefused,
    cancel_order,
    change_service_ids,
    refill_order,
    resolve_unknown,
    retry_phase,
)
from apps.bot.models import OutboundMessage
from apps.bot.texts import md
from apps.purchases.models import Purchase, PurchaseSource
from apps.sandbox.smm import services as fake_panels
from apps.sandbox.smm.models import SmmPanelOrder, SmmPanelService
from tests.factories import BotUserFactory

LINK = "https://x.com/brand/status/1790000000000000001"
# Nothing listens on port 9: a panel that cannot be reached, refused at once (no DNS, no wait).
PANEL_URL = "http://127.0.0.1:9/api/v2"
KEY_ENV = "EXAMPLE_PANEL_KEY"


# --- building rows in a given state (test_admin.py uses these too) ------------------------------


def make_order(
    *,
    user=None,
    status=OrderStatus.RUNNING,
    platform="x",
    link=LINK,
    post_id="1790000000000000001",
    credit_returned=False,
    credits_left=4,
) -> BoostOrder:
    user = user or BotUserFactory()
    purchase = Purchase.objects.create(
        user=user,
        source=PurchaseSource.PAYMENT,
        product="x_engagement" if platform == "x" else "tg_engagement",
        plan_code="t1" if platform == "x" else "tgt",
        account="brand",
        quantity=5,
        targets={"likes": 30, "reposts": 5, "comments": 10, "views": 2000},
        credits_total=5,
        credits_remaining=credits_left,
        amount_usd=Decimal("2.50"),
    )
    return BoostOrder.objects.create(
        user=user,
        purchase=purchase,
        platform=platform,
        link=link,
        post_id=post_id,
        account="brand",
        plan_code=purchase.plan_code,
        targets=purchase.targets,
        snapshot={
            "provider": "plugsmms",
            "api_url": PANEL_URL,
            "api_key_env": KEY_ENV,
            "services": {"views": 6073, "likes": 11023},
        },
        status=status,
        credit_returned=credit_returned,
    )


def add_phase(order, number=1, status=PhaseStatus.PENDING, **fields) -> BoostPhase:
    now = timezone.now()
    values = {
        "due_at": now - timedelta(minutes=30),
        "next_attempt_at": now + timedelta(minutes=10),
        "views": 1000,
        "likes": 0,
        **fields,
    }
    return BoostPhase.objects.create(order=order, number=number, status=status, **values)


def add_provider_order(
    phase,
    *,
    status=ProviderOrderStatus.PENDING,
    provider_order_id="",
    kind="views",
    quantity=1000,
    provider_name="plugsmms",
    api_url=PANEL_URL,
    api_key_env=KEY_ENV,
    service_id=6073,
    **fields,
) -> ProviderOrder:
    return ProviderOrder.objects.create(
        phase=phase,
        kind=kind,
        quantity=quantity,
        provider_name=provider_name,
        api_url=api_url,
        api_key_env=api_key_env,
        service_id=service_id,
        status=status,
        provider_order_id=provider_order_id,
        **fields,
    )


def at_panel(provider, phase, *, kind="views", quantity=1000, status=ProviderOrderStatus.PENDING):
    """An order really placed at PROVIDER's fake panel, and our row for it."""
    panel = fake_panels.ensure_panel(provider.name)
    service_id = provider.service_ids()[kind]
    placed = fake_panels.place_order(panel, service_id=service_id, link=LINK, quantity=quantity)
    row = add_provider_order(
        phase,
        status=status,
        provider_order_id=str(placed.wire_id),
        kind=kind,
        quantity=quantity,
        provider_name=provider.name,
        api_url=provider.api_url,
        api_key_env=provider.api_key_env,
        service_id=service_id,
        placed_at=timezone.now(),
    )
    return row, placed


def make_provider(name="plugsmms", **fields) -> Provider:
    values = {
        "api_url": PANEL_URL,
        "api_key_env": KEY_ENV,
        "priority": 1,
        "view_service_id": 6073,
        "like_service_id": 11023,
        **fields,
    }
    return Provider.objects.create(name=name, **values)


def events(action: str):
    return AuditEvent.objects.filter(action=action)


def refusal_of(call) -> str:
    with pytest.raises(BoostActionRefused) as refused:
        call()
    return str(refused.value)


# --- retry a phase ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_phase_waiting_after_errors_is_retried_now_on_every_provider(finance_clerk):
    order = make_order()
    phase = add_phase(
        order, attempts=3, last_error="not enough funds", failed_providers=["plugsmms"]
    )
    assert claim_due_phases() == []

    retry_phase(phase, actor=finance_clerk, reason="plugsmms was topped up")

    phase.refresh_from_db()
    assert phase.failed_providers == []
    assert phase.next_attempt_at <= timezone.now()
    assert [pk for pk, _lease in claim_due_phases()] == [phase.pk]
    event = events("boost.phase_retried").get()
    assert event.actor_label == finance_clerk.username
    assert event.reason == "plugsmms was topped up"
    assert event.before["failed_providers"] == ["plugsmms"]
    assert event.after["failed_providers"] == []


@pytest.mark.django_db
def test_retrying_a_failed_order_whose_credit_came_back_says_to_submit_the_link_again(
    finance_clerk,
):
    order = make_order(status=OrderStatus.FAILED, credit_returned=True)
    phase = add_phase(order, attempts=5, last_error="no provider took it")

    message = refusal_of(lambda: retry_phase(phase, actor=finance_clerk, reason="try again"))

    assert "the credit was returned; the user can submit the link again" in message
    phase.refresh_from_db()
    assert phase.next_attempt_at > timezone.now()
    assert not events("boost.phase_retried").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (PhaseStatus.PLACED, "Phase 1 is placed with the provider"),
        (PhaseStatus.CHECKING, "Phase 1 is outcome unknown"),
        (PhaseStatus.COMPLETED, "Phase 1 is delivered"),
    ],
)
def test_only_a_pending_phase_can_be_retried(finance_clerk, status, expected):
    phase = add_phase(make_order(), status=status, attempts=1)

    assert expected in refusal_of(lambda: retry_phase(phase, actor=finance_clerk, reason="why not"))


@pytest.mark.django_db
def test_a_phase_not_tried_yet_is_not_sent_before_its_time(finance_clerk):
    phase = add_phase(make_order())

    message = refusal_of(lambda: retry_phase(phase, actor=finance_clerk, reason="hurry"))

    assert "has not been tried yet; it goes out at its time" in message


@pytest.mark.django_db
def test_retry_needs_a_reason_and_the_capability(finance_clerk, support_agent):
    phase = add_phase(make_order(), attempts=2, last_error="HTTP 503")

    assert "reason is required" in refusal_of(
        lambda: retry_phase(phase, actor=finance_clerk, reason="  ")
    )
    with pytest.raises(PermissionDenied, match=r"boosts\.change_boostorder"):
        retry_phase(phase, actor=support_agent, reason="the user asked")
    assert not events("boost.phase_retried").exists()


# --- cancel an order ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_waiting_phases_asks_the_panel_to_stop_and_returns_the_credit(
    smm_provider, finance_clerk
):
    provider = smm_provider("plugsmms")
    order = make_order(credits_left=4)
    placed_phase = add_phase(order, 1, PhaseStatus.PLACED, placed_at=timezone.now())
    running, at_the_panel = at_panel(provider, placed_phase)
    waiting = add_phase(order, 2, PhaseStatus.PENDING)
    checking = add_phase(order, 3, PhaseStatus.CHECKING)

    outcome = cancel_order(
        order, actor=finance_clerk, reason="the user deleted the post", return_credit=True
    )

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert order.finished_at is not None
    assert order.credit_returned
    assert Purchase.objects.get(pk=order.purchase_id).credits_remaining == 5
    statuses = dict(order.phases.values_list("number", "status"))
    assert statuses == {1: PhaseStatus.PLACED, 2: PhaseStatus.CANCELED, 3: PhaseStatus.CANCELED}
    assert BoostPhase.objects.get(pk=waiting.pk).finished_at is not None
    assert BoostPhase.objects.get(pk=checking.pk).finished_at is not None
    assert outcome.phases_canceled == [2, 3]
    running.refresh_from_db()
    assert running.error == "Cancel requested by staff: accepted"
    at_the_panel.refresh_from_db()
    assert at_the_panel.final_status == SmmPanelOrder.FinalStatus.CANCELED
    canceled = events("boost.canceled").get()
    assert (canceled.actor_label, canceled.reason) == (
        finance_clerk.username,
        "the user deleted the post",
    )
    assert canceled.after["phases_canceled"] == [2, 3]
    assert events("boost.credit_returned").count() == 1
    assert events("boost.cancel_sent").get().after == {running.provider_order_id: "accepted"}
    [dm] = OutboundMessage.objects.filter(chat_id=order.user.telegram_id)
    assert dm.payload["text"] == (
        f"🛑 Our team stopped the boost of {md(order.link)}\\. Your post credit is back\\."
    )


@pytest.mark.django_db
def test_cancel_without_returning_the_credit_keeps_it_spent(finance_clerk):
    order = make_order(credits_left=4)
    add_phase(order)

    outcome = cancel_order(order, actor=finance_clerk, reason="abuse", return_credit=False)

    assert outcome.order.status == OrderStatus.CANCELED
    assert not outcome.credit_returned
    assert Purchase.objects.get(pk=order.purchase_id).credits_remaining == 4
    assert not events("boost.credit_returned").exists()
    [dm] = OutboundMessage.objects.filter(chat_id=order.user.telegram_id)
    assert "credit" not in dm.payload["text"]


@pytest.mark.django_db
def test_cancel_is_refused_while_a_phase_is_being_placed(finance_clerk):
    order = make_order()
    add_phase(order, 1, PhaseStatus.DISPATCHING)
    add_phase(order, 2, PhaseStatus.PENDING)

    message = refusal_of(
        lambda: cancel_order(order, actor=finance_clerk, reason="stop", return_credit=True)
    )

    assert "being placed right now, try again in a minute" in message
    order.refresh_from_db()
    assert order.status == OrderStatus.RUNNING
    assert set(order.phases.values_list("status", flat=True)) == {
        PhaseStatus.DISPATCHING,
        PhaseStatus.PENDING,
    }
    assert Purchase.objects.get(pk=order.purchase_id).credits_remaining == 4
    assert not events("boost.canceled").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancel_does_not_wait_for_a_worker_holding_a_phase(finance_clerk):
    order = make_order()
    phase = add_phase(order, 1, PhaseStatus.PENDING)
    locked, release = threading.Event(), threading.Event()

    def worker_holding_the_phase():
        try:
            with transaction.atomic():
                BoostPhase.objects.select_for_update().get(pk=phase.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=worker_holding_the_phase)
    worker.start()
    assert locked.wait(10)
    try:
        message = refusal_of(
            lambda: cancel_order(order, actor=finance_clerk, reason="stop", return_credit=True)
        )
    finally:
        release.set()
        worker.join()

    assert "is being placed or updated right now, try again in a minute" in message
    order.refresh_from_db()
    assert order.status == OrderStatus.RUNNING
    assert not events("boost.canceled").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [OrderStatus.COMPLETED, OrderStatus.FAILED, OrderStatus.CANCELED]
)
def test_an_order_that_is_over_cannot_be_canceled(finance_clerk, status):
    order = make_order(status=status)

    message = refusal_of(
        lambda: cancel_order(order, actor=finance_clerk, reason="stop", return_credit=True)
    )

    assert f"B-{order.pk} is already" in message
    assert not events("boost.canceled").exists()


@pytest.mark.django_db(transaction=True)
def test_the_panels_refusal_to_cancel_is_kept_on_its_order(smm_provider, finance_clerk):
    provider = smm_provider("plugsmms")
    order = make_order()
    phase = add_phase(order, 1, PhaseStatus.PLACED, placed_at=timezone.now())
    running, at_the_panel = at_panel(provider, phase, status=ProviderOrderStatus.IN_PROGRESS)
    fake_panels.age_order(at_the_panel, 8)  # in progress at the panel: too late to cancel

    outcome = cancel_order(order, actor=finance_clerk, reason="stop", return_credit=False)

    running.refresh_from_db()
    assert running.error == "Cancel requested by staff: Order not eligible for cancel."
    assert outcome.provider_answers == {running.provider_order_id: "Order not eligible for cancel."}
    assert outcome.order.status == OrderStatus.CANCELED


@pytest.mark.django_db(transaction=True)
def test_a_panel_that_is_down_does_not_stop_the_cancel(smm_panel, smm_provider, finance_clerk):
    provider = smm_provider("plugsmms")
    order = make_order()
    phase = add_phase(order, 1, PhaseStatus.PLACED, placed_at=timezone.now())
    running, _ = at_panel(provider, phase)
    smm_panel("plugsmms", failure_mode="down")

    outcome = cancel_order(order, actor=finance_clerk, reason="stop", return_credit=False)

    assert outcome.order.status == OrderStatus.CANCELED
    running.refresh_from_db()
    assert running.error.startswith("Cancel requested by staff: panel error")
    assert running.status == ProviderOrderStatus.PENDING  # the poller learns what happened


# --- refill -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_refill_asks_the_panel_and_keeps_each_refill_id_or_refusal(smm_provider, finance_clerk):
    provider = smm_provider("plugsmms")
    order = make_order(status=OrderStatus.COMPLETED)
    phase = add_phase(order, 1, PhaseStatus.COMPLETED, placed_at=timezone.now(), likes=50)
    likes, likes_at_panel = at_panel(
        provider, phase, kind="likes", quantity=50, status=ProviderOrderStatus.COMPLETED
    )
    views, views_at_panel = at_panel(
        provider, phase, kind="views", quantity=1000, status=ProviderOrderStatus.COMPLETED
    )
    for placed in (likes_at_panel, views_at_panel):
        fake_panels.age_order(placed, 120)
    add_provider_order(phase, status=ProviderOrderStatus.NOT_PLACED)  # never asked about

    summary = refill_order(order, actor=finance_clerk, reason="the user reports dropped likes")

    likes.refresh_from_db()
    views.refresh_from_db()
    assert likes.refill_id == str(likes_at_panel.refills.get().wire_id)
    assert views.refill_id == ""
    assert views.error == "Refill refused: Order not eligible for refill."
    assert summary == {
        likes.provider_order_id: likes.refill_id,
        views.provider_order_id: "Refill refused: Order not eligible for refill.",
    }
    event = events("boost.refill_requested").get()
    assert event.reason == "the user reports dropped likes"
    assert event.after == summary


@pytest.mark.django_db
def test_refill_without_a_delivered_order_is_refused(finance_clerk):
    order = make_order()
    phase = add_phase(order, 1, PhaseStatus.PLACED)
    add_provider_order(phase, status=ProviderOrderStatus.IN_PROGRESS, provider_order_id="77")

    message = refusal_of(lambda: refill_order(order, actor=finance_clerk, reason="drops"))

    assert "no completed or partial provider order to refill" in message
    assert not events("boost.refill_requested").exists()


# --- resolve an order of unknown outcome --------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_order_found_on_the_panel_is_followed_and_the_phase_goes_back(finance_clerk):
    order = make_order()
    phase = add_phase(order, 1, PhaseStatus.CHECKING, attempts=1)
    unknown = add_provider_order(phase, status=ProviderOrderStatus.UNKNOWN)

    resolution = resolve_unknown(
        unknown, actor=finance_clerk, reason="found it on the panel", provider_order_id=" 7001 "
    )

    unknown.refresh_from_db()
    assert (unknown.status, unknown.provider_order_id) == (ProviderOrderStatus.PENDING, "7001")
    assert unknown.placed_at is not None
    assert resolution.phase_reopened
    phase.refresh_from_db()
    assert phase.status == PhaseStatus.PENDING
    assert phase.next_attempt_at <= timezone.now()
    event = events("boost.provider_order_resolved").get()
    assert event.after["provider_order_id"] == "7001"
    assert event.reason == "found it on the panel"


@pytest.mark.django_db
def test_an_unknown_order_not_on_the_panel_counts_as_not_placed(finance_clerk):
    order = make_order()
    phase = add_phase(order, 1, PhaseStatus.CHECKING, attempts=1)
    unknown = add_provider_order(phase, status=ProviderOrderStatus.UNKNOWN)

    resolve_unknown(unknown, actor=finance_clerk, reason="not on the panel")

    unknown.refresh_from_db()
    assert unknown.status == ProviderOrderStatus.NOT_PLACED
    assert unknown.provider_order_id == ""
    phase.refresh_from_db()
    assert phase.status == PhaseStatus.PENDING
    assert [pk for pk, _lease in claim_due_phases()] == [phase.pk]


@pytest.mark.django_db
def test_the_phase_waits_for_staff_while_another_order_is_still_unknown(finance_clerk):
    phase = add_phase(make_order(), 1, PhaseStatus.CHECKING, likes=50)
    first = add_provider_order(phase, status=ProviderOrderStatus.UNKNOWN)
    add_provider_order(phase, status=ProviderOrderStatus.UNKNOWN, kind="likes", quantity=50)

    resolution = resolve_unknown(first, actor=finance_clerk, reason="not there")

    assert not resolution.phase_reopened
    phase.refresh_from_db()
    assert phase.status == PhaseStatus.CHECKING


@pytest.mark.django_db
def test_only_an_unknown_order_can_be_resolved(finance_clerk):
    phase = add_phase(make_order(), 1, PhaseStatus.PLACED)
    placed = add_provider_order(phase, provider_order_id="555")

    message = refusal_of(
        lambda: resolve_unknown(placed, actor=finance_clerk, reason="x", provider_order_id="9")
    )

    assert "is pending, not unknown" in message
    placed.refresh_from_db()
    assert placed.provider_order_id == "555"


@pytest.mark.django_db
def test_a_panel_order_id_already_recorded_elsewhere_is_refused(finance_clerk):
    other = add_phase(make_order(), 1, PhaseStatus.PLACED)
    add_provider_order(other, provider_order_id="4242")
    phase = add_phase(make_order(), 1, PhaseStatus.CHECKING)
    unknown = add_provider_order(phase, status=ProviderOrderStatus.UNKNOWN)

    message = refusal_of(
        lambda: resolve_unknown(
            unknown, actor=finance_clerk, reason="typo", provider_order_id="4242"
        )
    )

    assert f"plugsmms order #4242 is already recorded for B-{other.order_id} phase 1" in message
    unknown.refresh_from_db()
    assert unknown.status == ProviderOrderStatus.UNKNOWN


# --- service ids --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_service_ids_are_audited_and_submitted_orders_keep_their_snapshot(second_approver):
    provider = make_provider()
    order = make_order()

    change_service_ids(
        provider,
        actor=second_approver,
        reason="plugsmms renumbered its services",
        view_service_id="6080",
        like_service_id=11030,
    )

    provider.refresh_from_db()
    assert provider.service_ids() == {"views": 6080, "likes": 11030}
    event = events("provider.services_changed").get()
    assert event.before == {"view_service_id": 6073, "like_service_id": 11023}
    assert event.after == {"view_service_id": 6080, "like_service_id": 11030}
    assert event.reason == "plugsmms renumbered its services"
    order.refresh_from_db()
    assert order.snapshot["services"] == {"views": 6073, "likes": 11023}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("views", "likes", "expected"),
    [
        ("abc", "11023", "The views service id must be a whole number from 1 to 999,999"),
        ("6073", "12.5", "The likes service id must be a whole number from 1 to 999,999"),
        ("-5", "11023", "The views service id must be a whole number"),
        ("0", "11023", "The views service id must be from 1 to 999,999; 0 is out of range."),
        ("6073", "1000000", "1,000,000 is out of range."),
        ("", "11023", "The views service id must be a whole number"),
        ("²", "11023", "The views service id must be a whole number"),
    ],
)
def test_service_ids_that_are_not_numbers_in_range_change_nothing(
    second_approver, views, likes, expected
):
    provider = make_provider()

    message = refusal_of(
        lambda: change_service_ids(
            provider,
            actor=second_approver,
            reason="new ids",
            view_service_id=views,
            like_service_id=likes,
        )
    )

    assert expected in message
    provider.refresh_from_db()
    assert provider.service_ids() == {"views": 6073, "likes": 11023}
    assert not events("provider.services_changed").exists()


@pytest.mark.django_db
def test_finance_cannot_change_service_ids(finance_clerk):
    provider = make_provider()

    with pytest.raises(PermissionDenied, match=r"boosts\.change_provider"):
        change_service_ids(
            provider,
            actor=finance_clerk,
            reason="new ids",
            view_service_id=1,
            like_service_id=2,
        )
    provider.refresh_from_db()
    assert provider.view_service_id == 6073


@pytest.mark.django_db(transaction=True)
def test_an_id_the_panel_does_not_offer_is_refused(smm_provider, second_approver):
    provider = smm_provider("plugsmms")

    message = refusal_of(
        lambda: change_service_ids(
            provider,
            actor=second_approver,
            reason="new ids",
            view_service_id="6073",
            like_service_id="4242",
        )
    )

    assert message == (
        "plugsmms does not offer service 4242; check the id in the panel's service list."
    )
    provider.refresh_from_db()
    assert provider.service_ids() == {"views": 6073, "likes": 11023}
    assert not events("provider.services_changed").exists()


@pytest.mark.django_db(transaction=True)
def test_ids_the_panel_offers_are_taken(smm_provider, second_approver):
    provider = smm_provider("plugsmms")
    offered = sorted(
        SmmPanelService.objects.filter(panel__name="plugsmms").values_list("service_id", flat=True)
    )
    other = next(number for number in offered if number not in (6073, 11023))

    change_service_ids(
        provider,
        actor=second_approver,
        reason="cheaper views",
        view_service_id=other,
        like_service_id=11023,
    )

    provider.refresh_from_db()
    assert provider.view_service_id == other
