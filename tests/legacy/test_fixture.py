"""The synthetic legacy fixture: exact legacy shape, determinism, and planted traps that are real.

No database is needed: everything here reads the generated SQLite files directly.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.legacy.fixture import build_legacy_set, extend_legacy_set
from apps.legacy.fixture import schema as fixture_schema

USERS = 300
SPEC = Path("/work/shared/legacy/viralcore-spec.md")

# Transcribed from the spec's DDL (section 1.2), independently of the generator's module.
ORIGINAL_PLAN_COLUMNS = [
    "id",
    "user_id",
    "target_likes",
    "target_retweets",
    "target_comments",
    "target_views",
]
FULL_PLAN_COLUMNS = [
    "id",
    "user_id",
    "plan_name",
    "target_likes",
    "target_retweets",
    "target_comments",
    "target_views",
    "is_active",
    "created_at",
    "updated_at",
    "max_posts",
]
ALTERED_PLAN_COLUMNS = [
    *ORIGINAL_PLAN_COLUMNS,
    "plan_name",
    "is_active",
    "created_at",
    "updated_at",
    "max_posts",
]
COLUMNS = {
    "viralcore.db": {
        "users": "id username x_username referrer affiliate_balance is_reply_guy is_admin",
        "purchases": "id user_id plan_type quantity amount_paid_usd payment_method transaction_ref"
        " timestamp x_username posts rposts",
        "processed_transactions": "id transaction_hash user_id processed_at",
        "balance_operations": "operation_id user_id balance_type amount operation_type reason"
        " timestamp status",
        "withdrawal_settings": "key value updated_at updated_by",
        "withdrawals": "id user_id amount_usd amount_ngn payment_mode admin_approval_state admin_id"
        " account_name account_number bank_name bank_details_raw is_affiliate_withdrawal status"
        " approved_at processed_at failure_reason flutterwave_reference flutterwave_trace_id"
        " operation_id created_at updated_at",
        "withdrawal_audit_log": "id withdrawal_id admin_id action old_status new_status"
        " old_approval_state new_approval_state reason metadata created_at",
        "withdrawal_errors": "id withdrawal_id error_code error_message error_payload request_id"
        " correlation_id retry_count created_at",
        "user_notifications": "id user_id withdrawal_id notification_type channel correlation_id"
        " status error_message created_at",
        "boosting_services": "id name service_type is_active created_at updated_at",
        "boosting_service_providers": "id service_id provider_name provider_service_id created_by"
        " updated_by created_at updated_at",
        "boosting_service_audit_log": "id service_provider_id admin_id action"
        " old_provider_service_id new_provider_service_id reason created_at",
        "jobs": "job_id job_type status provider_snapshot payload idempotency_key created_at"
        " started_at completed_at retry_count max_retries error_message correlation_id",
        "job_queue": "id job_id job_type status payload retry_count max_retries created_at"
        " started_at completed_at error_message worker_id",
    },
    "tweets.db": {
        "tweets": "id tweet_id twitter_link target_likes target_retweets target_comments"
        " target_views current_comments current_views current_likes current_retweets group_id"
        " completed click_count views comments",
    },
    "tg.db": {
        "telegram_posts": "id tg_link target_members target_comments target_reactions"
        " current_members current_comments current_reactions group_id completed views_enabled"
        " comments_enabled",
    },
    "groups.db": {"groups": "group_id group_name"},
}
PLAN_TABLES = {
    "original": {"custom_plans": ORIGINAL_PLAN_COLUMNS},
    "altered": {"custom_plans": ALTERED_PLAN_COLUMNS},
    "rebuilt": {"custom_plans": FULL_PLAN_COLUMNS, "custom_plans_backup": ORIGINAL_PLAN_COLUMNS},
    "emergency": {"custom_plans": FULL_PLAN_COLUMNS},
}
SHAPES = tuple(PLAN_TABLES)

SQLITE_FMT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
ISO_NAIVE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """One built set per custom_plans shape, shared by the read-only tests."""
    out = {}
    for shape in SHAPES:
        path = tmp_path_factory.mktemp(f"legacy-{shape}")
        out[shape] = (path, build_legacy_set(path, users=USERS, custom_plans_shape=shape))
    return out


@pytest.fixture(scope="module")
def altered(sets):
    return sets["altered"]


def db(path: Path, name: str = "viralcore.db") -> sqlite3.Connection:
    return closing(sqlite3.connect(path / name))


def query(path: Path, sql: str, params=(), name: str = "viralcore.db") -> list[tuple]:
    with db(path, name) as conn:
        return conn.execute(sql, params).fetchall()


def one(path: Path, sql: str, params=(), name: str = "viralcore.db"):
    rows = query(path, sql, params, name)
    assert len(rows) == 1, (sql, params, rows)
    return rows[0]


def count(path: Path, table: str, name: str) -> int:
    return one(path, f"SELECT count(*) FROM {table}", name=name)[0]  # noqa: S608


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts).replace(tzinfo=None)


def tables_of(path: Path, name: str) -> set[str]:
    rows = query(path, "SELECT name FROM sqlite_master WHERE type='table'", name=name)
    return {r[0] for r in rows} - {"sqlite_sequence"}


# --- shape -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_every_table_has_exactly_the_spec_columns(sets, shape):
    path, _ = sets[shape]
    expected = {**COLUMNS, "custom.db": {t: " ".join(c) for t, c in PLAN_TABLES[shape].items()}}
    for name, tables in expected.items():
        assert tables_of(path, name) == set(tables), name
        for table, columns in tables.items():
            found = [r[1] for r in query(path, f"PRAGMA table_info({table})", name=name)]
            assert found == columns.split(), (name, table)


def test_ddl_is_copied_verbatim_from_the_spec():
    if not SPEC.exists():
        pytest.skip("spec not available outside the workspace")
    spec = SPEC.read_text(encoding="utf-8")
    statements = [
        value
        for name, value in vars(fixture_schema).items()
        if name.isupper() and isinstance(value, str) and value.startswith(("CREATE", "ALTER"))
    ]
    copied = [s for s in statements if "custom_plans_backup" not in s and "INDEX" not in s]
    assert len(copied) >= 20
    for statement in copied:
        # The spec abbreviates the ALTERs as "… is_active INTEGER DEFAULT 1".
        fragment = statement.split("ADD COLUMN ")[-1]
        assert fragment in spec, statement[:60]


def test_constraints_of_the_custom_plans_shapes(sets):
    def insert_twice(shape: str, columns: str, values: tuple) -> None:
        path, _ = sets[shape]
        with db(path, "custom.db") as conn, pytest.raises(sqlite3.IntegrityError):
            for _ in range(2):
                conn.execute(f"INSERT INTO custom_plans ({columns}) VALUES (?,?,?,?)", values)  # noqa: S608

    insert_twice("original", "user_id, target_likes, target_views, id", (1, 1, 1, None))
    insert_twice("altered", "user_id, plan_name, target_likes, id", (1, "Default Plan", 1, None))
    for shape in ("rebuilt", "emergency"):
        insert_twice(
            shape, "user_id, plan_name, created_at, updated_at", (1, "Default Plan", "x", "x")
        )


def test_optional_tables(tmp_path):
    facts = build_legacy_set(
        tmp_path, users=40, with_withdrawal_tables=False, with_reply_balances=True
    )
    present = tables_of(tmp_path, "viralcore.db")
    assert "withdrawals" not in present
    assert "boosting_service_providers" not in present
    assert {"reply_balances", "balance_operations", "jobs", "job_queue"} <= present
    assert "scheduled_sends" not in present
    assert facts["traps"]["pending_withdrawals"] == []


def test_job_queue_is_empty_and_scheduled_sends_absent(altered):
    path, facts = altered
    assert one(path, "SELECT count(*) FROM job_queue") == (0,)
    assert "scheduled_sends" not in tables_of(path, "viralcore.db")
    assert facts["tables"]["viralcore.db:job_queue"] == 0


# --- counts and determinism ------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_facts_counts_equal_the_files(sets, shape):
    path, facts = sets[shape]
    for key, n in facts["tables"].items():
        name, table = key.split(":")
        assert count(path, table, name) == n, key
    assert facts["total_rows"] == sum(facts["tables"].values())
    assert json.loads((path / "facts.json").read_text()) == facts


def test_rows_scale_at_about_twelve_per_user(altered):
    _, facts = altered
    assert 11 <= facts["total_rows"] / USERS <= 13.5


def dump(path: Path) -> list[str]:
    lines = []
    for name in fixture_schema.DB_FILES:
        with db(path, name) as conn:
            lines.extend(conn.iterdump())
    return lines


def test_same_seed_same_bytes_and_rows(tmp_path, altered):
    path, _ = altered
    build_legacy_set(tmp_path, users=USERS, custom_plans_shape="altered")
    assert (tmp_path / "facts.json").read_bytes() == (path / "facts.json").read_bytes()
    assert dump(tmp_path) == dump(path)


def test_other_seed_other_rows(tmp_path, altered):
    path, facts = altered
    other = build_legacy_set(tmp_path, users=USERS, seed=8, custom_plans_shape="altered")
    assert other["balances"] != facts["balances"]
    mine = query(path, "SELECT id, transaction_ref FROM purchases ORDER BY id LIMIT 50")
    theirs = query(tmp_path, "SELECT id, transaction_ref FROM purchases ORDER BY id LIMIT 50")
    assert mine != theirs


# --- traps: listed, non-empty, and really what they say ---------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_every_trap_is_planted_where_the_shape_allows(sets, shape):
    _, facts = sets[shape]
    traps = facts["traps"]
    # No custom_plans DDL can hold (user_id, 'Default Plan') twice; original has no is_active.
    assert traps["duplicate_custom_plans"] == []
    impossible = {"duplicate_custom_plans"}
    if shape == "original":
        impossible.add("inactive_custom_plans")
    for key, value in traps.items():
        if key not in impossible:
            assert value, key


def test_balance_traps(altered):
    path, facts = altered
    traps = facts["traps"]
    balance = dict(query(path, "SELECT id, affiliate_balance FROM users"))
    assert all(balance[u] < 0 for u in traps["negative_balance_users"])
    assert all(round(balance[u], 2) != balance[u] for u in traps["float_noise_users"])
    assert {int(k): v for k, v in facts["balances"].items()} == {
        u: b for u, b in balance.items() if b != 0
    }
    nonzero = sum(1 for b in balance.values() if b)
    assert 0.2 < nonzero / len(balance) < 0.4


def test_referrer_traps(altered):
    path, facts = altered
    traps = facts["traps"]
    referrer = dict(query(path, "SELECT id, referrer FROM users"))
    assert all(referrer[u] == u for u in traps["self_referrer_users"])
    assert all(referrer[u] not in referrer for u in traps["unknown_referrer_users"])
    odd = set(traps["self_referrer_users"]) | set(traps["unknown_referrer_users"])
    normal = [(u, r) for u, r in referrer.items() if r is not None and u not in odd]
    assert normal
    assert all(r < u for u, r in normal)  # always an earlier user


def test_purchase_traps(altered):
    path, facts = altered
    traps = facts["traps"]
    users = {r[0] for r in query(path, "SELECT id FROM users")}
    rows = {r[0]: r for r in query(path, "SELECT * FROM purchases")}
    assert all(rows[p][1] not in users for p in traps["orphan_purchases"])
    assert all(rows[p][10] > rows[p][9] for p in traps["rposts_above_posts"])
    assert all(rows[p][10] < 0 for p in traps["negative_rposts"])
    for pid in traps["ct_purchases"]:
        _, uid, plan, quantity, _, method, ref, _, _, posts, _ = rows[pid]
        assert (plan, method, quantity) == ("ct", "custom_plan", posts)
        assert ref.startswith(f"custom_plan_{uid}_")
    assert all(rows[p][3] in (5, 10, 20) and rows[p][2] == "tgt" for p in traps["tgt_purchases"])
    known = {"t1", "t2", "t3", "t4", "t5", "tgt", "ct", "x_poll", "direct_add", "slow_push"}
    for pid in traps["free_text_plan_types"]:
        assert rows[pid][2] not in known | {"x_custom_plan"}
        assert rows[pid][2] == rows[pid][2].lower() and rows[pid][5] == "Admin"
    assert max(rows) > len(rows)  # fully used purchases were deleted: ids have gaps


def test_hash_traps(altered):
    path, facts = altered
    traps = facts["traps"]

    def norm(value: str) -> str:
        return value.lower().removeprefix("0x")

    for pid, ptid in traps["hash_variants"]:
        (ref,) = one(path, "SELECT transaction_ref FROM purchases WHERE id=?", (pid,))
        (stored,) = one(
            path, "SELECT transaction_hash FROM processed_transactions WHERE id=?", (ptid,)
        )
        assert ref != stored and norm(ref) == norm(stored)
    (same,) = one(
        path,
        "SELECT count(*) FROM purchases p JOIN processed_transactions t"
        " ON t.transaction_hash = p.transaction_ref",
    )
    assert same == traps["duplicate_transaction_refs_across_tables"]
    (unmatched,) = one(
        path,
        "SELECT count(*) FROM processed_transactions t WHERE NOT EXISTS"
        " (SELECT 1 FROM purchases p WHERE lower(p.transaction_ref) = lower(t.transaction_hash)"
        " OR lower(p.transaction_ref) = '0x' || lower(t.transaction_hash)"
        " OR '0x' || lower(p.transaction_ref) = lower(t.transaction_hash))",
    )
    assert unmatched > 0  # payments whose purchase was deleted when fully used
    refs = [
        r[0]
        for r in query(path, "SELECT transaction_ref FROM purchases WHERE payment_method='crypto'")
    ]
    assert any(r.startswith("0x") for r in refs)
    assert any(len(r) == 88 for r in refs)  # Solana signatures
    assert any(r.isupper() for r in refs)
    assert all(
        r is None
        for (r,) in query(
            path, "SELECT transaction_ref FROM purchases WHERE payment_method='Admin'"
        )
    )


def test_withdrawal_traps(altered):
    path, facts = altered
    traps = facts["traps"]
    rows = {
        r[0]: r
        for r in query(
            path,
            "SELECT id, user_id, status, admin_approval_state, admin_id,"
            " is_affiliate_withdrawal, amount_usd, amount_ngn, operation_id,"
            " updated_at FROM withdrawals",
        )
    }
    users = {r[0] for r in query(path, "SELECT id FROM users")}
    assert all(rows[w][1] not in users for w in traps["orphan_withdrawals"])
    assert all(
        rows[w][2:4] == ("processing", "approved") for w in traps["stuck_processing_withdrawals"]
    )
    assert all(rows[w][2:4] == ("pending", "pending") for w in traps["pending_withdrawals"])
    assert all(rows[w][2:4] == ("completed", "pending") for w in traps["approval_state_never_set"])
    assert all(rows[w][4] is not None for w in traps["approval_state_never_set"])
    assert all(rows[w][5] == 0 and rows[w][6] == rows[w][7] for w in traps["reply_withdrawals"])
    affiliate = [r for r in rows.values() if r[5] == 1 and 0 < r[6] < 1e6]
    assert all(1500 <= r[7] / r[6] <= 1650 for r in affiliate)
    for wid in traps["bulk_approved_withdrawals"]:
        assert rows[wid][2:5] == ("completed", "approved", 1)
        assert ISO_UTC.match(rows[wid][9])
        admin, meta, created = one(
            path,
            "SELECT admin_id, metadata, created_at FROM withdrawal_audit_log"
            " WHERE withdrawal_id=? AND action='bulk_approved'",
            (wid,),
        )
        assert admin == 1 and ISO_UTC.match(created)
        assert json.loads(meta) == {
            "script": "approve_all_pending_withdrawals.py",
            "bulk_operation": True,
        }
        # Marked paid without any balance movement.
        assert (
            query(path, "SELECT 1 FROM balance_operations WHERE operation_id=?", (rows[wid][8],))
            == []
        )
    failed = [w for w, r in rows.items() if r[2] == "failed"]
    (errors,) = one(path, "SELECT count(DISTINCT withdrawal_id) FROM withdrawal_errors")
    assert errors == len(failed)
    for wid in failed:
        (op,) = one(path, "SELECT operation_id FROM withdrawals WHERE id=?", (wid,))
        assert query(
            path, "SELECT 1 FROM balance_operations WHERE operation_id=?", (f"rollback_{op}",)
        )


def test_state_machine_is_consistent(altered):
    path, _ = altered
    allowed = {
        ("pending", "pending"),
        ("completed", "approved"),
        ("completed", "pending"),  # the historical 'approval state never set' bug
        ("processing", "approved"),
        ("failed", "approved"),
        ("rejected", "rejected"),
    }
    pairs = set(query(path, "SELECT DISTINCT status, admin_approval_state FROM withdrawals"))
    assert pairs <= allowed
    (created,) = one(path, "SELECT count(*) FROM withdrawal_audit_log WHERE action='created'")
    (total,) = one(path, "SELECT count(*) FROM withdrawals")
    assert created == total
    refs = query(
        path,
        "SELECT flutterwave_reference, id FROM withdrawals WHERE flutterwave_reference IS NOT NULL",
    )
    assert refs and all(re.fullmatch(rf"VCW_{wid}_[0-9a-f]{{8}}", ref) for ref, wid in refs)


def test_odd_values(altered):
    path, facts = altered
    traps = facts["traps"]
    for key, rid in traps["unparseable_timestamps"]:
        assert key == "viralcore.db:purchases"
        (ts,) = one(path, "SELECT timestamp FROM purchases WHERE id=?", (rid,))
        with pytest.raises(ValueError):
            datetime.fromisoformat(ts)
    for key, rid in traps["absurd_amounts"]:
        column = "amount_paid_usd" if key.endswith("purchases") else "amount_usd"
        table = key.split(":")[1]
        (amount,) = one(path, f"SELECT {column} FROM {table} WHERE id=?", (rid,))  # noqa: S608
        assert amount < 0 or amount >= 1e12
    assert {k.split(":")[1] for k, _ in traps["absurd_amounts"]} == {"purchases", "withdrawals"}
    links = dict(query(path, "SELECT id, tg_link FROM telegram_posts", name="tg.db"))
    assert all("\\." in links[i] for i in traps["escaped_tg_links"])
    assert all(links[i].startswith("https://t\\.me/") for i in traps["escaped_tg_links"])
    groups = query(path, "SELECT group_id FROM groups", name="groups.db")
    assert all(str(g).startswith("-100") for (g,) in groups)


@pytest.mark.parametrize("shape", ("altered", "rebuilt", "emergency"))
def test_custom_plan_traps(sets, shape):
    path, facts = sets[shape]
    for pid in facts["traps"]["inactive_custom_plans"]:
        assert one(path, "SELECT is_active FROM custom_plans WHERE id=?", (pid,), "custom.db") == (
            0,
        )
    max_posts = {r[0] for r in query(path, "SELECT max_posts FROM custom_plans", name="custom.db")}
    assert 0 in max_posts


def test_boosting_providers_as_in_production(altered):
    path, _ = altered
    rows = query(
        path,
        "SELECT p.provider_name, s.service_type, p.provider_service_id"
        " FROM boosting_service_providers p JOIN boosting_services s ON s.id = p.service_id",
    )
    assert sorted(rows) == sorted(
        [
            ("smmflare", "likes", 8646),
            ("smmflare", "views", 8381),
            ("plugsmms", "likes", 11023),
            ("plugsmms", "views", 7750),
            ("smmstone", "likes", 6662),
            ("smmstone", "views", 5480),
        ]
    )
    assert query(
        path,
        "SELECT action, old_provider_service_id, new_provider_service_id"
        " FROM boosting_service_audit_log",
    ) == [("updated", 6073, 7750)]
    (jobs,) = one(path, "SELECT count(*) FROM jobs")
    (tweets,) = one(path, "SELECT count(*) FROM tweets", name="tweets.db")
    assert jobs == tweets
    payload = json.loads(one(path, "SELECT payload FROM jobs LIMIT 1")[0])
    assert set(payload) == {"link", "likes", "views", "comments", "user_id", "correlation_id"}


# --- timestamps ------------------------------------------------------------------------------


def test_all_four_timestamp_formats_appear(sets):
    path, _ = sets["altered"]
    assert all(SQLITE_FMT.match(t) for (t,) in query(path, "SELECT created_at FROM withdrawals"))
    assert all(
        ISO_NAIVE.match(t) for (t,) in query(path, "SELECT timestamp FROM balance_operations")
    )
    assert any(ISO_UTC.match(t) for (t,) in query(path, "SELECT updated_at FROM withdrawals"))
    # The in-place migration back-filled every old row with one isoformat stamp.
    stamps = query(
        path,
        "SELECT created_at, count(*) FROM custom_plans GROUP BY created_at ORDER BY 2 DESC",
        name="custom.db",
    )
    assert stamps[0][1] > 1 and ISO_NAIVE.match(stamps[0][0])
    kinds = query(path, "SELECT plan_type, timestamp FROM purchases")
    assert any(p == "ct" and ISO_NAIVE.match(t) for p, t in kinds)
    assert any(p != "ct" and SQLITE_FMT.match(t) for p, t in kinds)


MONOTONIC = [
    ("viralcore.db", "SELECT timestamp FROM purchases ORDER BY id"),
    ("viralcore.db", "SELECT processed_at FROM processed_transactions ORDER BY id"),
    ("viralcore.db", "SELECT timestamp FROM balance_operations ORDER BY rowid"),
    ("viralcore.db", "SELECT created_at FROM jobs ORDER BY rowid"),
    ("viralcore.db", "SELECT created_at FROM withdrawals ORDER BY id"),
    ("viralcore.db", "SELECT created_at FROM withdrawal_audit_log ORDER BY id"),
    ("viralcore.db", "SELECT created_at FROM withdrawal_errors ORDER BY id"),
    ("viralcore.db", "SELECT created_at FROM user_notifications ORDER BY id"),
    ("custom.db", "SELECT created_at FROM custom_plans ORDER BY id"),
]


@pytest.mark.parametrize(("name", "sql"), MONOTONIC)
def test_timestamps_grow_with_row_id(altered, name, sql):
    path, _ = altered
    values = []
    for (ts,) in query(path, sql, name=name):
        try:
            values.append(parse(ts))
        except ValueError:
            continue  # the planted unparseable ones
    assert len(values) > 1
    assert values == sorted(values)
    assert datetime(2025, 9, 1) <= values[0] and values[-1] <= datetime(2026, 11, 20)


# --- extend ----------------------------------------------------------------------------------


def test_extend_adds_later_rows_and_changes_listed_rows(tmp_path, altered):
    source, before = altered
    path = tmp_path / "set"
    shutil.copytree(source, path)
    old_balances = dict(query(path, "SELECT id, affiliate_balance FROM users"))
    old_latest = max(
        parse(t)
        for (t,) in query(
            path,
            "SELECT timestamp FROM purchases UNION ALL SELECT created_at FROM jobs"
            " UNION ALL SELECT timestamp FROM balance_operations",
        )
        if t and t[0].isdigit() and "/" not in t
    )
    facts = extend_legacy_set(path, new_users=10, seed=5)

    new_users = facts["added"]["viralcore.db:users"]
    assert len(new_users) == 10 and not set(new_users) & set(old_balances)
    for pid in facts["added"]["viralcore.db:purchases"]:
        uid, ts = one(path, "SELECT user_id, timestamp FROM purchases WHERE id=?", (pid,))
        assert uid in new_users and parse(ts) > old_latest
    for op in facts["added"]["viralcore.db:balance_operations"]:
        (ts,) = one(path, "SELECT timestamp FROM balance_operations WHERE operation_id=?", (op,))
        assert parse(ts) > old_latest
    changed_users = facts["changed"]["viralcore.db:users"]
    assert changed_users
    for uid in changed_users:
        (now,) = one(path, "SELECT affiliate_balance FROM users WHERE id=?", (uid,))
        assert now != old_balances[uid] and facts["balances"][str(uid)] == now
    (moved,) = facts["changed"]["viralcore.db:withdrawals"]
    assert moved in before["traps"]["pending_withdrawals"]
    assert moved not in facts["traps"]["pending_withdrawals"]
    status, updated, processed = one(
        path, "SELECT status, updated_at, processed_at FROM withdrawals WHERE id=?", (moved,)
    )
    assert status == "completed" and parse(updated) > old_latest and parse(processed) > old_latest
    (new_w,) = facts["added"]["viralcore.db:withdrawals"]
    assert one(path, "SELECT status FROM withdrawals WHERE id=?", (new_w,)) == ("pending",)
    assert new_w in facts["traps"]["pending_withdrawals"]
    assert query(
        path,
        "SELECT 1 FROM withdrawal_audit_log WHERE withdrawal_id=? AND action='approved-manual'",
        (moved,),
    )
    saved = json.loads((path / "facts.json").read_text())
    assert saved["tables"] == facts["tables"]
    for key, n in facts["tables"].items():
        name, table = key.split(":")
        assert count(path, table, name) == n, key
    assert facts["tables"]["viralcore.db:users"] == before["tables"]["viralcore.db:users"] + 10


# --- command and isolation -------------------------------------------------------------------


def test_command_writes_then_refuses_a_used_directory(tmp_path, settings, capsys):
    out = tmp_path / "legacy"
    call_command("make_legacy_fixture", "--out", str(out), "--users", "40", "--seed", "3")
    printed = capsys.readouterr().out
    assert "viralcore.db:purchases" in printed and "total" in printed
    assert {p.name for p in out.glob("*.db")} == set(fixture_schema.DB_FILES)
    with pytest.raises(CommandError, match="--force"):
        call_command("make_legacy_fixture", "--out", str(out), "--users", "40")
    call_command(
        "make_legacy_fixture",
        "--out",
        str(out),
        "--users",
        "40",
        "--custom-plans-shape",
        "original",
        "--force",
    )
    assert json.loads((out / "facts.json").read_text())["custom_plans_shape"] == "original"


def test_generator_does_not_import_django():
    code = (
        "import sys, apps.legacy.fixture; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
