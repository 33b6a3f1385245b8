"""tweets, telegram_posts and jobs → BoostSubmission history.

The old bot recorded no user, purchase or time on tweets and telegram_posts (spec §1.2.16-17),
so they cannot become BoostOrders (which belong to a user's purchase); they are kept as
history that support can search by link. Telegram links were stored MarkdownV2-escaped and are
unescaped here. jobs carries the time, status and provider of each X boost.
"""

from __future__ import annotations

import json

from django.db import transaction

from apps.legacy import parsing
from apps.legacy.importer.context import Context
from apps.legacy.importer.copy import insert_all
from apps.legacy.models import BoostSubmission

TABLES = (
    ("tweets.db", "tweets", ("id", "twitter_link")),
    ("tg.db", "telegram_posts", ("id", "tg_link")),
    ("viralcore.db", "jobs", ("job_id", "payload")),
)


def import_boost_submissions(ctx: Context) -> None:
    for file_name, table, required in TABLES:
        if not ctx.has_columns(file_name, table, required):
            continue
        where, params = ctx.since_filter("created_at") if table == "jobs" else ("", ())
        for rows in ctx.batches(file_name, table, where=where, params=params):
            _import_batch(ctx, ctx.source(file_name, table), table, rows)


def _import_batch(ctx: Context, source: str, table: str, rows: list[dict]) -> None:
    counts = ctx.report.table(source)
    build = {"tweets": _tweet, "telegram_posts": _telegram_post, "jobs": _job}[table]
    built = [build(row) for row in rows]
    keys = [submission.source_key for submission in built]
    done = set(
        BoostSubmission.objects.filter(source_key__in=keys).values_list("source_key", flat=True)
    )
    fresh = [submission for submission in built if submission.source_key not in done]
    if any("\\" in s.link for s in fresh if table == "telegram_posts"):
        ctx.report.notes.append("A Telegram link still holds a backslash after unescaping.")
    with transaction.atomic():
        insert_all(BoostSubmission, fresh)
    counts.already += len(built) - len(fresh)
    counts.imported += len(fresh)


def _tweet(row: dict) -> BoostSubmission:
    return BoostSubmission(
        source_key=f"tweets:{row['id']}",
        platform="x",
        link=parsing.text(row["twitter_link"], limit=512),
        targets={
            "likes": row.get("target_likes") or 0,
            "reposts": row.get("target_retweets") or 0,
            "comments": row.get("target_comments") or 0,
            "views": row.get("target_views") or 0,
        },
    )


def _telegram_post(row: dict) -> BoostSubmission:
    return BoostSubmission(
        source_key=f"telegram_posts:{row['id']}",
        platform="telegram",
        link=parsing.unescape_markdown_v2(parsing.text(row["tg_link"], limit=1024))[:512],
        targets={
            "comments": row.get("target_comments") or 0,
            "reactions": row.get("target_reactions") or 0,
        },
    )


def _job(row: dict) -> BoostSubmission:
    payload = _json(row.get("payload"))
    snapshot = _json(row.get("provider_snapshot"))
    return BoostSubmission(
        source_key=f"jobs:{str(row['job_id'])[:50]}",
        platform="x",
        link=str(payload.get("link") or "")[:512],
        targets={key: payload.get(key) or 0 for key in ("likes", "views", "comments")},
        status=parsing.text(row.get("status"), limit=16),
        provider=parsing.text(snapshot.get("provider_name"), limit=32),
        occurred_at=_time(row.get("created_at")),
    )


def _json(raw) -> dict:
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _time(raw):
    try:
        return parsing.optional_timestamp(raw)
    except parsing.Unreadable:
        return None
