"""The old bot's products, prices and delivered targets (legacy spec §2), as the first catalogue.

The X tiers describe what the old bot actually delivered per post (its advertised texts
differed); staff edit prices and targets in the admin from here on.
"""

from decimal import Decimal

from django.db import migrations

POSTS = [10, 25, 50, 100]
TIERS = [
    # code, price per post, likes, reposts, comments, views
    ("t1", "0.50", 30, 5, 10, 2000),
    ("t2", "1.00", 50, 10, 20, 5000),
    ("t3", "1.50", 75, 15, 30, 7000),
    ("t4", "2.00", 100, 20, 40, 10000),
    ("t5", "3.00", 150, 30, 60, 15000),
]


def _tier(index, code, price, likes, reposts, comments, views):
    return {
        "code": code,
        "platform": "x",
        "product": "x_engagement",
        "name": f"X engagement {code.upper()}",
        "description": (
            f"Per post: {likes} likes, {reposts} reposts, {comments} comments, {views:,} views"
        ),
        "unit": "post",
        "unit_price_usd": Decimal(price),
        "min_quantity": 10,
        "quantity_presets": POSTS,
        "likes": likes,
        "reposts": reposts,
        "comments": comments,
        "views": views,
        "follow_up": "x_account",
        "sort_order": index,
    }


OTHER_PLANS = [
    {
        "code": "tgt",
        "platform": "telegram",
        "product": "tg_engagement",
        "name": "Telegram engagement",
        "description": "$0.10 per 5 comments, reactions included",
        "unit": "comment",
        "unit_price_usd": Decimal("0.02"),
        "min_quantity": 10,
        "quantity_presets": POSTS,
        "comments_per_post_choices": [5, 10, 15, 20, 25, 30],
        "follow_up": "tg_account",
        "sort_order": 1,
    },
    {
        "code": "tg_premium",
        "platform": "telegram",
        "product": "tg_premium",
        "name": "Premium members",
        "description": "$3.50 per 50 Telegram premium members",
        "unit": "member",
        "unit_price_usd": Decimal("0.07"),
        "min_quantity": 50,
        "quantity_presets": [50, 100, 250, 500],
        "follow_up": "channel",
        "sort_order": 2,
    },
    {
        "code": "tg_automation",
        "platform": "telegram",
        "product": "tg_automation",
        "name": "Telegram automation",
        "description": "$10 per month",
        "unit": "month",
        "unit_price_usd": Decimal("10.00"),
        "min_quantity": 1,
        "max_quantity": 24,
        "quantity_presets": [1, 3, 6],
        "follow_up": "channel",
        "sort_order": 3,
    },
    {
        "code": "x_poll",
        "platform": "x",
        "product": "x_poll",
        "name": "X poll votes",
        "description": "$0.30 per 10 votes",
        "unit": "vote",
        "unit_price_usd": Decimal("0.03"),
        "min_quantity": 10,
        "quantity_presets": POSTS,
        "follow_up": "poll",
        "sort_order": 10,
    },
    {
        "code": "direct_add",
        "platform": "x",
        "product": "direct_add",
        "name": "Direct-add followers",
        "description": "$10 per 1,000 followers",
        "unit": "follower",
        "unit_price_usd": Decimal("0.01"),
        "min_quantity": 1000,
        "max_quantity": 1_000_000,
        "quantity_presets": [1000, 2000, 5000, 10000],
        "follow_up": "profile_link",
        "sort_order": 11,
    },
    {
        "code": "slow_push",
        "platform": "x",
        "product": "slow_push",
        "name": "Slow-push followers",
        "description": "$0.15 per 10 followers, delivered gradually",
        "unit": "follower",
        "unit_price_usd": Decimal("0.015"),
        "min_quantity": 10,
        "quantity_step": 10,
        "quantity_presets": [100, 250, 500, 1000],
        "follow_up": "profile_link",
        "sort_order": 12,
    },
]


def seed(apps, schema_editor):
    Plan = apps.get_model("purchases", "Plan")
    PlanRevision = apps.get_model("purchases", "PlanRevision")
    rows = [_tier(index, *tier) for index, tier in enumerate(TIERS)] + OTHER_PLANS
    for row in rows:
        plan, created = Plan.objects.get_or_create(code=row["code"], defaults=row)
        if created:
            PlanRevision.objects.create(
                plan=plan,
                unit_price_usd=plan.unit_price_usd,
                snapshot={key: str(value) for key, value in row.items()},
                reason="Seeded from the old bot's prices.",
            )


class Migration(migrations.Migration):
    dependencies = [("purchases", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
