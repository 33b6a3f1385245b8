"""A submission as staff see it afterwards: the order, its phases, its snapshot, the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.audit.models import AuditEvent
from apps.boosts.links import parse_post_link
from apps.boosts.models import BoostOrder, BoostPhase, OrderStatus, PhaseStatus, Provider
from apps.boosts.services.credits import CreditRefused
from apps.boosts.services.snapshot import take_snapshot
from apps.boosts.services.submission import submit_boost
from apps.bot.models import OutboundMessage
from apps.purchases.models import Purchase
from tests.boosts.conftest import TG_LINK, X_LINK, grant
from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db


def provider(name, *, priority=100, enabled=True, views=6073, likes=11023):
    return Provider.objects.create(
        name=name,
        api_url=f"https://{name}.example/api/v2",
        api_key_env=f"{name.upper()}_API_KEY",
        priority=priority,
        is_enabled=enabled,
        view_service_id=views,
        like_service_id=likes,
    )


def test_an_x_submission_makes_an_order_with_its_phases_snapshot_and_audit_event(submitter):
    provider("smmstone", priority=20, views=5480, likes=6662)
    provider("plugsmms", priority=10)
    purchase = grant(submitter, plan_code="t2", account="brand", credits=10)
    order = submit_boost(user=submitter, link=parse_post_link(X_LINK), purchase_id=purchase.pk)

    order = BoostOrder.objects.get(pk=order.pk)
    assert (order.platform, order.link, order.post_id) == ("x", X_LINK, "1790000000000000001")
    assert (order.account, order.plan_code, order.status) == ("brand", "t2", OrderStatus.SCHEDULED)
    assert order.targets == {"likes": 50, "reposts": 10, "comments": 20, "views": 5000}
    assert order.snapshot["provider"] == "plugsmms"
    assert order.snapshot["services"] == {"views": 6073, "likes": 11023}
    phases = list(BoostPhase.objects.filter(order=order))
    assert [(p.number, p.views, p.likes) for p in phases] == [
        (1, 1000, 0),
        (2, 1000, 0),
        (3, 1000, 0),
        (4, 1000, 0),
        (5, 1000, 50),
    ]
    assert all(p.status == PhaseStatus.PENDING and p.next_attempt_at == p.due_at for p in phases)
    assert timedelta(minutes=29) < phases[0].due_at - order.created_at <= timedelta(minutes=30)
    assert phases[-1].due_at - phases[0].due_at == timedelta(minutes=120)
    assert Purchase.objects.get(pk=purchase.pk).credits_remaining == 9

    event = AuditEvent.objects.get(action="boost.submitted")
    assert (event.actor_type, event.actor_id) == ("bot_user", str(submitter.telegram_id))
    assert event.object_id == str(order.pk)
    assert event.before == {"purchase": purchase.pk, "credits_remaining": 10}
    assert event.after["link"] == X_LINK and event.after["plan"] == "t2"
    assert event.after["targets"] == order.targets
    assert [phase["views"] for phase in event.after["phases"]] == [1000] * 5


def test_a_telegram_submission_is_groups_only_and_completed_at_once(submitter):
    provider("plugsmms")
    purchase = grant(submitter, plan_code="tgt", account="chan", credits=3, comments_per_post=15)
    order = submit_boost(user=submitter, link=parse_post_link(TG_LINK), purchase_id=purchase.pk)

    order = BoostOrder.objects.get(pk=order.pk)
    assert order.targets == {"likes": 15, "reposts": 0, "comments": 15, "views": 0}
    assert (order.status, order.snapshot) == (OrderStatus.COMPLETED, {})
    assert order.finished_at is not None
    assert not order.phases.exists()
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert actions[-2:] == ["boost.submitted", "boost.completed"]


def test_a_custom_plan_order_uses_the_plans_targets(submitter, custom_plan_of):
    custom = custom_plan_of(
        submitter, targets={"likes": 40, "reposts": 8, "comments": 12, "views": 0}
    )
    order = submit_boost(user=submitter, link=parse_post_link(X_LINK), purchase_id=custom.pk)
    assert order.targets == {"likes": 40, "reposts": 8, "comments": 12, "views": 0}
    assert [(p.views, p.likes) for p in order.phases.all()] == [(0, 40)]


def test_an_x_plan_with_only_comments_is_done_once_its_groups_are_told(submitter, custom_plan_of):
    custom = custom_plan_of(
        submitter, targets={"likes": 0, "reposts": 0, "comments": 15, "views": 0}
    )
    order = submit_boost(user=submitter, link=parse_post_link(X_LINK), purchase_id=custom.pk)
    assert not order.phases.exists()
    assert BoostOrder.objects.get(pk=order.pk).status == OrderStatus.COMPLETED


def test_a_refused_submission_leaves_nothing_behind(submitter, comment_chats, likes_chat):
    theirs = grant(BotUserFactory(), credits=5)
    with pytest.raises(CreditRefused):
        submit_boost(user=submitter, link=parse_post_link(X_LINK), purchase_id=theirs.pk)
    assert not BoostOrder.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="boost.").exists()


def test_the_snapshot_is_the_first_enabled_provider_by_priority_then_name():
    assert take_snapshot() == {}
    provider("zeta", priority=5, enabled=False)
    provider("smmstone", priority=10, views=5480, likes=6662)
    provider("smmflare", priority=10, views=8381, likes=8646)
    snapshot = take_snapshot()
    assert snapshot.pop("taken_at")
    assert snapshot == {
        "provider": "smmflare",
        "api_url": "https://smmflare.example/api/v2",
        "api_key_env": "SMMFLARE_API_KEY",
        "services": {"views": 8381, "likes": 8646},
    }


def test_with_no_enabled_provider_the_order_waits_with_an_empty_snapshot(submitter):
    provider("plugsmms", enabled=False)
    purchase = grant(submitter, credits=1)
    order = submit_boost(user=submitter, link=parse_post_link(X_LINK), purchase_id=purchase.pk)
    assert order.snapshot == {}
    assert order.phases.count() == 5
