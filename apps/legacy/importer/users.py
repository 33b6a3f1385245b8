"""users (viralcore.db) → BotUser, then the referrers in a second pass.

The legacy id is the Telegram id. A user who already talks to the new bot is linked, not
duplicated. Referrers come second because users.id is not in registration order: a referrer
may come after the user it referred. The old bot's rules hold (never yourself, only an existing
user); a referrer set in the new system is never replaced.
"""

from __future__ import annotations

from django.db import connection, transaction

from apps.legacy import parsing
from apps.legacy.importer.context import Context, audit_batch, known, remember
from apps.users.models import BotUser

FILE, TABLE = "viralcore.db", "users"
TARGET = "users.botuser"
REQUIRED = ("id", "username", "referrer", "affiliate_balance")


def import_users(ctx: Context) -> None:
    if not ctx.has_columns(FILE, TABLE, REQUIRED):
        return
    source = ctx.source(FILE, TABLE)
    for rows in ctx.batches(FILE, TABLE):
        _import_batch(ctx, source, rows)
    label = f"{source}.referrer"
    for rows in ctx.batches(FILE, TABLE, where="referrer IS NOT NULL", label=label):
        _link_referrers(ctx, label, rows)


def _import_batch(ctx: Context, source: str, rows: list[dict]) -> None:
    counts = ctx.report.table(source)
    done = known(source, (row["id"] for row in rows))
    fresh = []
    for row in rows:
        if str(row["id"]) in done:
            counts.already += 1
            continue
        user = _bot_user(ctx, source, row)
        if user is not None:
            fresh.append((row["id"], user))
    with transaction.atomic():
        pairs = _save(fresh)
        remember(ctx, source, TARGET, pairs)
        audit_batch(ctx, source, TARGET, pairs, telegram_ids=[legacy for legacy, _ in pairs])
    counts.imported += len(pairs)


def _bot_user(ctx: Context, source: str, row: dict) -> BotUser | None:
    try:
        telegram_id = parsing.integer(row["id"], what="id")
    except parsing.Unreadable:
        ctx.report.table(source).skip("id is not a Telegram id", row["id"])
        return None
    if telegram_id <= 0:
        ctx.report.table(source).skip("id is not a Telegram id", row["id"])
        return None
    if row.get("is_admin"):
        ctx.report.finding(
            "legacy admin (users.is_admin = 1)",
            "Imported as a plain bot user: staff rights are Django staff accounts now; "
            "create one for each person who still needs them.",
            telegram_id,
        )
    return BotUser(
        telegram_id=telegram_id,
        username=parsing.handle(row.get("username")),
        x_username=parsing.handle(row.get("x_username")),
        is_reply_guy=bool(row.get("is_reply_guy")),
    )


def _save(fresh: list[tuple]) -> list[tuple]:
    """Insert the new users; link the ones the new bot already knows. (legacy id, our id)."""
    existing = dict(
        BotUser.objects.filter(telegram_id__in=[user.telegram_id for _, user in fresh]).values_list(
            "telegram_id", "pk"
        )
    )
    to_create = [user for _, user in fresh if user.telegram_id not in existing]
    BotUser.objects.bulk_create(to_create)
    existing.update(
        BotUser.objects.filter(
            telegram_id__in=[user.telegram_id for user in to_create]
        ).values_list("telegram_id", "pk")
    )
    return [(legacy_id, existing[user.telegram_id]) for legacy_id, user in fresh]


def _link_referrers(ctx: Context, label: str, rows: list[dict]) -> None:
    ids = {row["id"] for row in rows} | {row["referrer"] for row in rows}
    users = dict(
        BotUser.objects.filter(telegram_id__in=[i for i in ids if isinstance(i, int)]).values_list(
            "telegram_id", "pk"
        )
    )
    links = {}
    for row in rows:
        referrer = row["referrer"]
        if row["id"] not in users:
            ctx.report.table(label).skip("the user itself was not imported", row["id"])
        elif referrer == row["id"]:
            _refused(ctx, label, "referrer is the user itself", row["id"])
        elif referrer not in users:
            _refused(ctx, label, "referrer is not a known user", row["id"])
        else:
            links[users[row["id"]]] = users[referrer]
    changed = _set_referrers(links)
    counts = ctx.report.table(label)
    counts.imported += changed
    counts.already += len(links) - changed


def _set_referrers(links: dict[int, int]) -> int:
    """Set each user's referrer where none is set yet, in one statement; how many were set.

    Only where none is set: the new system's own registration wins, and re-runs change nothing
    (a referrer is fixed once set; see BotUser.save). VALUES columns are column1, column2 on
    both PostgreSQL and SQLite, which is what makes this one statement portable.
    """
    if not links:
        return 0
    table = connection.ops.quote_name(BotUser._meta.db_table)
    rows = ", ".join(["(%s, %s)"] * len(links))
    params = [value for pair in links.items() for value in pair]
    sql = (
        f"UPDATE {table} SET referrer_id = v.referrer "  # noqa: S608 - our table name only
        f"FROM (SELECT column1 AS id, column2 AS referrer FROM (VALUES {rows}) AS pairs) AS v "
        f"WHERE {table}.id = v.id AND {table}.referrer_id IS NULL"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _refused(ctx: Context, label: str, kind: str, telegram_id) -> None:
    ctx.report.table(label).skip(kind, telegram_id)
    ctx.report.finding(
        kind, "User imported without a referrer (the old bot's own rule).", telegram_id
    )
