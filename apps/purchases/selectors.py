"""Reads about purchases shared by the bot, the admin and later the boosts app."""

from __future__ import annotations

from django.db.models import Sum

from apps.purchases.models import Purchase


def credits_left(bot_user) -> list[tuple[str, int]]:
    """("T2 @account", posts left) per plan and account that still has credits, oldest first."""
    rows = (
        Purchase.objects.filter(user=bot_user, credits_remaining__gt=0)
        .values("plan_code", "account", "custom_plan__name")
        .annotate(left=Sum("credits_remaining"))
        .order_by("plan_code", "account")
    )
    return [(_label(row), row["left"]) for row in rows]


def _label(row: dict) -> str:
    name = row["custom_plan__name"] or row["plan_code"].upper()
    account = f" @{row['account']}" if row["account"] else ""
    return f"{name}{account}"
