"""Boost fixtures: credits to spend, comment and likes groups to send to.

The SMM panel fixtures live in smm_fixtures (written alongside); the names below are chosen
not to clash with them.
"""

from __future__ import annotations

try:
    from tests.boosts.smm_fixtures import *  # noqa: F403

    HAVE_SMM_FIXTURES = True
except ImportError:  # not written yet: the submission tests need no panels
    HAVE_SMM_FIXTURES = False

from datetime import datetime

import pytest

from apps.bot.models import GroupRole, TelegramGroup
from apps.purchases.models import Purchase, PurchaseSource
from apps.purchases.services.fulfilment import create_custom_plan
from tests.factories import BotUserFactory

# Delivered targets per post of the X tiers (legacy spec §2.1).
TIER_TARGETS = {
    "t1": {"likes": 30, "reposts": 5, "comments": 10, "views": 2000},
    "t2": {"likes": 50, "reposts": 10, "comments": 20, "views": 5000},
    "t3": {"likes": 75, "reposts": 15, "comments": 30, "views": 7000},
    "t4": {"likes": 100, "reposts": 20, "comments": 40, "views": 10000},
    "t5": {"likes": 150, "reposts": 30, "comments": 60, "views": 15000},
}
X_LINK = "https://x.com/brand/status/1790000000000000001"
TG_LINK = "https://t.me/brandchannel/42"


def grant(
    user,
    *,
    plan_code: str = "t2",
    account: str = "brand",
    credits: int = 10,
    comments_per_post: int | None = None,
    created_at: datetime | None = None,
) -> Purchase:
    """A paid purchase of PLAN_CODE with CREDITS left ("tgt" is Telegram engagement)."""
    telegram = plan_code == "tgt"
    purchase = Purchase.objects.create(
        user=user,
        source=PurchaseSource.PAYMENT,
        product="tg_engagement" if telegram else "x_engagement",
        plan_code=plan_code,
        account=account,
        quantity=credits,
        comments_per_post=comments_per_post if telegram else None,
        targets={"comments": comments_per_post} if telegram else dict(TIER_TARGETS[plan_code]),
        credits_total=credits,
        credits_remaining=credits,
        amount_usd="1.00",
    )
    if created_at is not None:  # auto_now_add ignores a value given at create
        Purchase.objects.filter(pk=purchase.pk).update(created_at=created_at)
        purchase.refresh_from_db()
    return purchase


@pytest.fixture
def submitter(db):
    return BotUserFactory(username="ada_boost")


def make_custom_plan(user, *, actor, name: str = "VIP", posts: int = 5, targets=None):
    """A staff-made custom plan through the real service; returns its purchase."""
    targets = targets or {"likes": 40, "reposts": 8, "comments": 12, "views": 3000}
    plan = create_custom_plan(user=user, name=name, targets=targets, posts=posts, actor=actor)
    return Purchase.objects.get(custom_plan=plan)


@pytest.fixture
def custom_plan_of(superuser):
    def make(user, **options):
        return make_custom_plan(user, actor=superuser, **options)

    return make


def add_group(chat_id: int, role: str, *, position: int = 0, active: bool = True):
    return TelegramGroup.objects.create(
        chat_id=chat_id,
        title=f"{role} {chat_id}",
        chat_type="supergroup",
        role=role,
        position=position,
        is_active=active,
    )


@pytest.fixture
def comment_chats(db):
    """Five active comment groups -1001..-1005, in that order."""
    return [
        add_group(-1000 - number, GroupRole.COMMENTS, position=number).chat_id
        for number in range(1, 6)
    ]


@pytest.fixture
def likes_chat(db):
    return add_group(-2001, GroupRole.LIKES).chat_id
