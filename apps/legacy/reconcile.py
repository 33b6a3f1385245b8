"""legacy_reconcile: the old files against what our database holds, account by account.

Read-only on both sides, so it runs as often as wanted during the cutover. A balance "differs"
when the user's affiliate balance here (available plus held for an open withdrawal) is not the
legacy users.affiliate_balance under the import's rule (rounded half-up to cents, a negative
one counts as 0.00 and is listed as a finding). Everything else (counts, totals, hashes,
orphans) is information for the reader; only balances decide the exit code.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum

from apps.ledger.models import ZERO, Account, AccountKind, Hold, HoldStatus
from apps.legacy import parsing
from apps.legacy.hashes import legacy_key
from apps.legacy.importer.balances import expected_balance
from apps.legacy.models import LegacyRecord, UsedHash
from apps.legacy.sources import LegacyFile, batches, count
from apps.purchases.models import Purchase, PurchaseSource
from apps.withdrawals.models import Withdrawal

MAX_LISTED = 1000
MAIN = "viralcore.db"
RECORDED_SOURCES = {
    "viralcore.db:users": "users",
    "viralcore.db:purchases": "purchases",
    "viralcore.db:withdrawals": "withdrawals",
    "custom.db:custom_plans": "custom_plans",
    "groups.db:groups": "groups",
}


def reconcile(files: dict[str, LegacyFile]) -> dict:
    main = files.get(MAIN)
    if main is None or not main.readable or not _has(main, "users", "id", "affiliate_balance"):
        return {"error": "viralcore.db with a users table is needed to reconcile."}
    return {
        "counts": _counts(files),
        "balances": _balances(main),
        "totals": {"purchases": _purchase_totals(main), "withdrawals": _withdrawal_totals(main)},
        "used_hashes": _used_hashes(main),
        "orphans": _orphans(files),
    }


def _counts(files: dict[str, LegacyFile]) -> dict:
    result = {}
    for source, table in RECORDED_SOURCES.items():
        found = files.get(source.split(":")[0])
        if found is None or not found.readable or table not in found.tables:
            continue
        result[source] = {
            "legacy_rows": count(found, table),
            "imported": LegacyRecord.objects.filter(source=source).count(),
        }
    return result


def _balances(main: LegacyFile) -> dict:
    checked, differs, differing = 0, 0, []
    totals = {"legacy": ZERO, "expected": ZERO, "ledger": ZERO}
    negative = 0
    for rows in batches(main, "users"):
        ledger = _ledger_balances([row["id"] for row in rows])
        for row in rows:
            checked += 1
            try:
                expected, cents = expected_balance(row["affiliate_balance"] or 0)
            except parsing.Unreadable as error:
                differs += 1
                differing.append({"telegram_id": row["id"], "problem": str(error)})
                continue
            negative += cents < 0
            here = ledger.get(row["id"], ZERO)
            totals["legacy"] += cents
            totals["expected"] += expected
            totals["ledger"] += here
            if here == expected:
                continue
            differs += 1
            if len(differing) < MAX_LISTED:
                differing.append(
                    {"telegram_id": row["id"], "legacy": str(cents), "expected": str(expected),
                     "ledger": str(here), "difference": str(here - expected)}
                )  # fmt: skip
    return {
        "checked": checked,
        "matching": checked - differs,
        "differing_count": differs,
        "differing": differing,
        "negative_in_legacy": negative,
        "totals_usd": {key: str(value) for key, value in totals.items()},
    }


def _ledger_balances(telegram_ids: list) -> dict[int, Decimal]:
    """Affiliate balance per Telegram id: what is available plus what an open request holds."""
    accounts = Account.objects.filter(
        owner__telegram_id__in=telegram_ids, kind=AccountKind.AFFILIATE
    ).values_list("pk", "owner__telegram_id", "balance")
    balances, owners = {}, {}
    for pk, telegram_id, balance in accounts:
        balances[telegram_id] = balance
        owners[pk] = telegram_id
    held = (
        Hold.objects.filter(account_id__in=owners, status=HoldStatus.HELD)
        .values("account_id")
        .annotate(total=Sum("amount"))
    )
    for row in held:
        balances[owners[row["account_id"]]] += row["total"]
    return balances


def _purchase_totals(main: LegacyFile) -> dict:
    legacy = (
        main.connection.execute("SELECT count(*), total(amount_paid_usd) FROM purchases").fetchone()
        if "purchases" in main.tables
        else (0, 0.0)
    )
    ours = Purchase.objects.filter(source=PurchaseSource.LEGACY).aggregate(
        count=Count("id"), total=Sum("amount_usd")
    )
    return {
        "legacy": {"count": legacy[0], "amount_usd": _cents(legacy[1])},
        "imported": {"count": ours["count"], "amount_usd": _money(ours["total"])},
    }


def _has(found: LegacyFile, table: str, *columns: str) -> bool:
    """TABLE with COLUMNS is there; an unknown shape was reported by the import already."""
    return table in found.tables and set(columns) <= set(found.tables[table])


def _withdrawal_totals(main: LegacyFile) -> dict:
    if not _has(
        main, "withdrawals", "status", "is_affiliate_withdrawal", "amount_usd", "amount_ngn"
    ):
        return {}
    legacy = defaultdict(lambda: {"count": 0, "amount": ZERO})
    sql = (
        "SELECT status, is_affiliate_withdrawal, count(*), "
        "total(CASE WHEN is_affiliate_withdrawal THEN amount_usd ELSE amount_ngn END) "
        "FROM withdrawals GROUP BY status, is_affiliate_withdrawal"
    )
    for status, affiliate, number, total in main.connection.execute(sql):
        key = f"{status} {'USD' if affiliate else 'NGN'}"
        legacy[key] = {"count": number, "amount": _cents(total)}
    imported_ids = LegacyRecord.objects.filter(source="viralcore.db:withdrawals").values(
        "target_id"
    )
    ours = (
        Withdrawal.objects.filter(pk__in=imported_ids)
        .values("status", "currency")
        .annotate(count=Count("id"), total=Sum("amount"))
    )
    return {
        "legacy": dict(legacy),
        "imported": {
            f"{row['status']} {row['currency']}": {
                "count": row["count"],
                "amount": str(row["total"]),
            }
            for row in ours
        },
    }


def _used_hashes(main: LegacyFile) -> dict:
    """Every payment reference in the old tables is a used hash here; the missing ones listed.

    Checked batch by batch against the database, keeping only what is missing, so memory stays
    flat however many payments the old bot recorded.
    """
    checked, missing = 0, set()
    sources = (("processed_transactions", "transaction_hash"), ("purchases", "transaction_ref"))
    for table, column in sources:
        if not _has(main, table, column):
            continue
        for rows in batches(main, table, where=f"{column} IS NOT NULL"):
            keys = {key for key in (legacy_key(row[column]) for row in rows) if key}
            present = set(UsedHash.objects.filter(key__in=keys).values_list("key", flat=True))
            checked += len(keys)
            missing |= keys - present
    return {
        "references_checked": checked,
        "missing": len(missing),
        "missing_keys": sorted(missing)[:MAX_LISTED],
    }


def _orphans(files: dict[str, LegacyFile]) -> dict:
    main = files[MAIN]
    result = {}
    for table in ("purchases", "withdrawals"):
        if _has(main, table, "user_id"):
            result[f"{MAIN}:{table}"] = main.connection.execute(
                f"SELECT count(*) FROM {table} WHERE user_id NOT IN (SELECT id FROM users)"  # noqa: S608
            ).fetchone()[0]
    custom = files.get("custom.db")
    if custom is not None and custom.readable and _has(custom, "custom_plans", "user_id"):
        users = {row[0] for row in main.connection.execute("SELECT id FROM users")}
        plans = custom.connection.execute("SELECT user_id FROM custom_plans")
        result["custom.db:custom_plans"] = sum(1 for (user_id,) in plans if user_id not in users)
    return result


def _money(value) -> str:
    """A database sum as cents (SQLite hands back Decimal sums with float tails)."""
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def _cents(value) -> str:
    return str(Decimal(repr(float(value or 0))).quantize(Decimal("0.01")))
