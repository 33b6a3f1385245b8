"""purchases (viralcore.db) → Purchase (source "legacy"), with the column meanings fixed.

The columns lie (spec §1.2.2): `posts` is the credits bought, `rposts` the credits left, and
`quantity` is comments per post for `tgt` only. Rows used up were deleted by the old bot, so
what is here is what still had credits (or history the admin kept). `ct` rows are custom-plan
access rows: kept as history with no credits (the plan's credits come from custom_plans).
Credits outside 0..total are brought inside and reported; nothing is guessed for a row whose
amount or timestamp is unreadable: it is skipped, reported, and imported by a later run once
fixed in the old database.
"""

from __future__ import annotations

from apps.legacy import parsing
from apps.legacy.importer.context import Context, import_owned_rows
from apps.purchases.models import Plan, Purchase, PurchaseSource
from apps.purchases.models.catalogue import BOOST_PRODUCTS

FILE, TABLE = "viralcore.db", "purchases"
TARGET = "purchases.purchase"
REQUIRED = ("id", "user_id", "plan_type", "quantity", "amount_paid_usd", "timestamp")
CUSTOM_PLAN_ROW = "ct"
TELEGRAM_ENGAGEMENT = "tgt"


def import_purchases(ctx: Context) -> None:
    if not ctx.has_columns(FILE, TABLE, REQUIRED):
        return
    source = ctx.source(FILE, TABLE)
    plans = {plan.code: plan for plan in Plan.objects.all()}
    where, params = ctx.since_filter("timestamp")
    for rows in ctx.batches(FILE, TABLE, where=where, params=params):
        import_owned_rows(
            ctx, source, rows, model=Purchase, target=TARGET,
            build=lambda row, user_pk: _purchase(ctx, source, row, plans, user_pk),
        )  # fmt: skip


def _purchase(ctx: Context, source: str, row: dict, plans: dict, user_pk: int):
    counts = ctx.report.table(source)
    try:
        created_at = parsing.timestamp(row["timestamp"])
        amount, change = parsing.money(row["amount_paid_usd"], what="amount_paid_usd")
        bought = parsing.integer(row.get("posts") or 0, what="posts")
        left = parsing.integer(row.get("rposts") or 0, what="rposts")
        per_post = parsing.integer(row.get("quantity") or 0, what="quantity")
    except parsing.Unreadable as error:
        counts.skip(str(error), row["id"])
        return None
    if amount < 0:
        counts.skip(f"amount_paid_usd {row['amount_paid_usd']!r} is negative", row["id"])
        return None
    ctx.report.rounded(source, row["id"], change, sub_cent=parsing.is_sub_cent(change))
    code = parsing.text(row["plan_type"], limit=32).lower()
    total, remaining = _credits(ctx, row["id"], code, bought, left)
    plan = plans.get(code)
    purchase = Purchase(
        user_id=user_pk,
        plan=plan,
        source=PurchaseSource.LEGACY,
        product=_product(ctx, row["id"], code, plan),
        plan_code=code,
        account=parsing.handle(row.get("x_username")),
        quantity=max(bought, 0),
        comments_per_post=per_post if code == TELEGRAM_ENGAGEMENT and per_post > 0 else None,
        targets=_targets(code, plan, per_post),
        credits_total=total,
        credits_remaining=remaining,
        amount_usd=amount,
        reason=f"Imported from the old bot (purchases #{row['id']}, {row.get('payment_method')})",
        created_at=created_at,
    )
    return purchase


def _credits(ctx: Context, legacy_id, code: str, bought: int, left: int) -> tuple[int, int]:
    if code == CUSTOM_PLAN_ROW:
        ctx.report.finding(
            "custom-plan access row (plan_type ct)",
            "Kept as history with no credits: the plan's posts come from custom_plans.",
            legacy_id,
        )
        return max(bought, 0), 0
    if left < 0:
        ctx.report.finding(
            "negative credits left (rposts < 0)", "Imported with 0 credits left.", legacy_id
        )
        left = 0
    if left > bought:
        ctx.report.finding(
            "more credits left than bought (rposts > posts)",
            "Imported with the credits left as they were; credits bought raised to match.",
            legacy_id,
        )
    return max(bought, left, 0), left


def _product(ctx: Context, legacy_id, code: str, plan) -> str:
    if plan is not None:
        return plan.product
    if code in (CUSTOM_PLAN_ROW, "x_custom_plan"):
        return "x_engagement" if code == CUSTOM_PLAN_ROW else "legacy"
    ctx.report.finding(
        "plan type the new catalogue does not have",
        "Imported as product 'legacy' (history; its credits are not offered for links, "
        "staff can credit the user a real plan).",
        f"{legacy_id} ({code})",
    )
    return "legacy"


def _targets(code: str, plan, per_post: int) -> dict:
    if plan is None or plan.product not in BOOST_PRODUCTS:
        return {}
    if code == TELEGRAM_ENGAGEMENT:
        return {"comments": per_post}
    return plan.targets()
