"""custom_plans (custom.db, any of its four shapes) → CustomPlan + its credits Purchase.

Read by column name (spec §1.2.19): the original shape has no plan_name, is_active, max_posts
or timestamps; missing ones take what the old migrations gave them ('Default Plan', active,
50 posts). max_posts is what the old bot decremented, so it is the posts LEFT. Duplicates of
(user, name) keep the oldest row, as the old production clean-up script did; the others are
reported. An inactive plan keeps its history but no usable posts.
"""

from __future__ import annotations

from django.db import transaction

from apps.legacy import parsing
from apps.legacy.importer.context import (
    ORPHAN,
    Context,
    audit_batch,
    known,
    remember,
    telegram_ids_of,
    users_by_telegram_id,
)
from apps.purchases.models import CustomPlan, Purchase, PurchaseSource

FILE, TABLE = "custom.db", "custom_plans"
TARGET = "purchases.customplan"
DEFAULT_NAME = "Default Plan"
DEFAULT_POSTS = 50  # the DEFAULT of the ALTER that added max_posts


def import_custom_plans(ctx: Context) -> None:
    if not ctx.has_columns(FILE, TABLE, ("id", "user_id")):
        return
    source = ctx.source(FILE, TABLE)
    for rows in ctx.batches(FILE, TABLE):
        _import_batch(ctx, source, rows)


def _import_batch(ctx: Context, source: str, rows: list[dict]) -> None:
    counts = ctx.report.table(source)
    done = known(source, (row["id"] for row in rows))
    users = users_by_telegram_id(row["user_id"] for row in rows)
    taken = _names_taken(users.values())
    fresh = []
    for row in rows:
        name = parsing.text(row.get("plan_name") or DEFAULT_NAME, limit=64)
        if str(row["id"]) in done:
            counts.already += 1
        elif row["user_id"] not in users:
            counts.skip(ORPHAN, row["id"])
        elif (users[row["user_id"]], name.lower()) in taken:
            _duplicate(ctx, counts, row["id"])
        else:
            taken.add((users[row["user_id"]], name.lower()))
            fresh.append((row["id"], _plan(ctx, row, users[row["user_id"]], name)))
    with transaction.atomic():
        pairs = _save(fresh)
        remember(ctx, source, TARGET, pairs)
        owners = [plan.user_id for _, (plan, _left) in fresh]
        audit_batch(ctx, source, TARGET, pairs, telegram_ids=telegram_ids_of(users, owners))
    counts.imported += len(pairs)


def _names_taken(user_pks) -> set:
    plans = CustomPlan.objects.filter(user_id__in=list(user_pks)).values_list("user_id", "name")
    return {(user_pk, name.lower()) for user_pk, name in plans}


def _duplicate(ctx: Context, counts, legacy_id) -> None:
    counts.skip("duplicate of an older plan with the same user and name", legacy_id)
    ctx.report.finding(
        "duplicate custom plan (same user and name)",
        "The oldest was imported; this one was not (as the old clean-up script did).",
        legacy_id,
    )


def _plan(ctx: Context, row: dict, user_pk: int, name: str) -> tuple:
    posts = row.get("max_posts", DEFAULT_POSTS)
    posts = DEFAULT_POSTS if posts is None else max(_int(row, "max_posts", posts), 0)
    active = row.get("is_active", 1) not in (0, "0")
    if not active:
        ctx.report.finding(
            "inactive custom plan", "Imported with no usable posts (as in the old bot).", row["id"]
        )
    plan = CustomPlan(
        user_id=user_pk,
        name=name,
        likes=max(_int(row, "target_likes"), 0),
        reposts=max(_int(row, "target_retweets"), 0),
        comments=max(_int(row, "target_comments"), 0),
        views=max(_int(row, "target_views"), 0),
        posts=posts,
    )
    return plan, posts if active else 0


def _int(row: dict, column: str, default=0) -> int:
    try:
        return parsing.integer(row.get(column, default) or 0, what=column)
    except parsing.Unreadable:
        return default


def _save(fresh: list[tuple]) -> list[tuple]:
    CustomPlan.objects.bulk_create([plan for _, (plan, _left) in fresh])
    Purchase.objects.bulk_create(
        [
            Purchase(
                user_id=plan.user_id,
                custom_plan=plan,
                source=PurchaseSource.CUSTOM_PLAN,
                product="x_engagement",
                plan_code="custom",
                quantity=plan.posts,
                targets=plan.targets(),
                credits_total=plan.posts,
                credits_remaining=left,
                amount_usd=0,
                reason="Custom plan imported from the old bot",
            )
            for _, (plan, left) in fresh
        ]
    )
    return [(legacy_id, plan.pk) for legacy_id, (plan, _left) in fresh]
