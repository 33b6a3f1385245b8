"""Post credits: which plans a user may pick, which purchase pays, and giving a credit back."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.boosts.links import parse_post_link
from apps.boosts.models import BoostOrder
from apps.boosts.services.credits import (
    NO_CREDITS_LEFT,
    NOT_YOURS,
    Choice,
    CreditRefused,
    boostable_choices,
    consume_credit,
    return_credit,
)
from apps.boosts.services.submission import submit_boost
from apps.purchases.models import Purchase
from tests.boosts.conftest import X_LINK, grant
from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db


def left(*purchases) -> list[int]:
    return [Purchase.objects.get(pk=p.pk).credits_remaining for p in purchases]


def test_choices_sum_each_account_and_plan_and_list_custom_plans_last(submitter, custom_plan_of):
    old = grant(submitter, plan_code="t2", account="brand", credits=40)
    grant(submitter, plan_code="t2", account="brand", credits=50)
    other = grant(submitter, plan_code="t1", account="alt", credits=3)
    grant(submitter, plan_code="t3", account="brand", credits=0)
    grant(submitter, plan_code="tgt", account="chan", credits=9, comments_per_post=10)
    grant(BotUserFactory(), plan_code="t4", account="brand", credits=7)
    custom = custom_plan_of(submitter, name="VIP", posts=5)

    assert boostable_choices(submitter, "x") == [
        Choice(other.pk, "alt", "t1", "", 3),
        Choice(old.pk, "brand", "t2", "", 90),
        Choice(custom.pk, "", "custom", "VIP", 5),
    ]


def test_telegram_choices_are_tgt_pools_only(submitter, custom_plan_of):
    grant(submitter, plan_code="t2", credits=4)
    custom_plan_of(submitter)
    tgt = grant(submitter, plan_code="tgt", account="chan", credits=9, comments_per_post=10)
    assert boostable_choices(submitter, "telegram") == [Choice(tgt.pk, "chan", "tgt", "", 9)]


def test_the_button_points_at_the_oldest_purchase_even_when_imported_later(submitter):
    grant(submitter, credits=5)
    imported = grant(submitter, credits=5, created_at=timezone.now() - timedelta(days=300))
    assert boostable_choices(submitter, "x")[0].purchase_id == imported.pk


def test_the_credit_comes_from_the_oldest_purchase_of_the_pool(submitter):
    now = timezone.now()
    newest = grant(submitter, credits=5, created_at=now)
    oldest = grant(submitter, credits=2, created_at=now - timedelta(days=2))
    middle = grant(submitter, credits=5, created_at=now - timedelta(days=1))
    for _ in range(3):
        consume_credit(user=submitter, purchase_id=newest.pk, platform="x")
    assert left(oldest, middle, newest) == [0, 4, 5]


def test_another_plan_or_account_never_pays(submitter):
    t1 = grant(submitter, plan_code="t1", account="brand", credits=1)
    t2 = grant(submitter, plan_code="t2", account="brand", credits=5)
    alt = grant(submitter, plan_code="t1", account="alt", credits=5)
    consume_credit(user=submitter, purchase_id=t1.pk, platform="x")
    with pytest.raises(CreditRefused) as refusal:
        consume_credit(user=submitter, purchase_id=t1.pk, platform="x")
    assert refusal.value.message == NO_CREDITS_LEFT
    assert left(t1, t2, alt) == [0, 5, 5]


def test_another_products_credits_never_pay(submitter):
    x = grant(submitter, plan_code="t2", account="brand", credits=5)
    tgt = grant(submitter, plan_code="tgt", account="brand", credits=5, comments_per_post=10)
    for purchase_id, platform in ((tgt.pk, "x"), (x.pk, "telegram")):
        with pytest.raises(CreditRefused) as refusal:
            consume_credit(user=submitter, purchase_id=purchase_id, platform=platform)
        assert refusal.value.message == NOT_YOURS
    assert left(x, tgt) == [5, 5]


def test_a_custom_plan_pays_from_itself_only(submitter, custom_plan_of):
    tier = grant(submitter, plan_code="t2", account="", credits=5)
    custom = custom_plan_of(submitter, posts=1)
    consume_credit(user=submitter, purchase_id=custom.pk, platform="x")
    with pytest.raises(CreditRefused):
        consume_credit(user=submitter, purchase_id=custom.pk, platform="x")
    assert left(custom, tier) == [0, 5]


def test_a_custom_plan_cannot_boost_a_telegram_post(submitter, custom_plan_of):
    custom = custom_plan_of(submitter)
    with pytest.raises(CreditRefused):
        consume_credit(user=submitter, purchase_id=custom.pk, platform="telegram")
    assert left(custom) == [5]


def test_another_users_purchase_is_refused(submitter):
    theirs = grant(BotUserFactory(), credits=5)
    grant(submitter, credits=5)
    with pytest.raises(CreditRefused) as refusal:
        consume_credit(user=submitter, purchase_id=theirs.pk, platform="x")
    assert refusal.value.message == NOT_YOURS
    assert left(theirs) == [5]


@pytest.mark.parametrize("made_up", ["999999", "abc", "-1", "1.0", "", "0", "9" * 30, None, True])
def test_made_up_purchase_ids_are_refused(submitter, made_up):
    mine = grant(submitter, credits=5)
    with pytest.raises(CreditRefused):
        consume_credit(user=submitter, purchase_id=made_up, platform="x")
    assert left(mine) == [5]


def test_a_named_purchase_without_credits_is_refused_even_if_its_pool_has_some(submitter):
    now = timezone.now()
    spent = grant(submitter, credits=1, created_at=now - timedelta(days=1))
    fresh = grant(submitter, credits=5, created_at=now)
    consume_credit(user=submitter, purchase_id=spent.pk, platform="x")
    with pytest.raises(CreditRefused):
        consume_credit(user=submitter, purchase_id=spent.pk, platform="x")
    assert left(spent, fresh) == [0, 5]


def test_return_credit_gives_one_back_once_and_audits_it(submitter):
    purchase = grant(submitter, credits=3)
    order = submit_boost(user=submitter, link=parse_post_link(X_LINK), purchase_id=purchase.pk)
    assert left(purchase) == [2]
    assert return_credit(order, actor=submitter, reason="the boost failed") is True
    assert return_credit(order, actor=submitter, reason="the boost failed") is False
    assert left(purchase) == [3]
    assert BoostOrder.objects.get(pk=order.pk).credit_returned is True
    event = AuditEvent.objects.get(action="boost.credit_returned")
    assert (event.object_id, event.reason) == (str(order.pk), "the boost failed")
    assert event.before["credits_remaining"] == 2 and event.after["credits_remaining"] == 3


def _race(count: int, action) -> list:
    barrier = threading.Barrier(count)
    results: list = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results.append(action(index))
        except CreditRefused as refusal:
            results.append(refusal)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_submissions_racing_for_three_credits_make_three_orders():
    user = BotUserFactory()
    first = grant(user, credits=2, created_at=timezone.now() - timedelta(days=1))
    second = grant(user, credits=1)
    other_plan = grant(user, plan_code="t1", credits=4)
    link = parse_post_link(X_LINK)
    results = _race(8, lambda i: submit_boost(user=user, link=link, purchase_id=second.pk))
    assert sum(isinstance(result, BoostOrder) for result in results) == 3
    assert sum(isinstance(result, CreditRefused) for result in results) == 5
    assert BoostOrder.objects.count() == 3
    assert left(first, second, other_plan) == [0, 0, 4]
    assert AuditEvent.objects.filter(action="boost.submitted").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_returning_one_credit_from_two_paths_at_once_returns_it_once():
    user = BotUserFactory()
    purchase = grant(user, credits=2)
    order = submit_boost(user=user, link=parse_post_link(X_LINK), purchase_id=purchase.pk)
    results = _race(2, lambda i: return_credit(order, actor=user, reason=f"path {i}"))
    assert sorted(results) == [False, True]
    assert left(purchase) == [2]
    assert AuditEvent.objects.filter(action="boost.credit_returned").count() == 1
