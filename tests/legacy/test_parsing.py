"""The legacy value parsers: every documented format read, nothing guessed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.legacy import parsing
from apps.legacy.hashes import claim_key, legacy_key

HEX = "ab" * 32


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-09-29 10:11:12", datetime(2025, 9, 29, 10, 11, 12, tzinfo=UTC)),
        ("2025-09-29T10:11:12.123456", datetime(2025, 9, 29, 10, 11, 12, 123456, tzinfo=UTC)),
        ("2025-09-29T10:11:12.5+00:00", datetime(2025, 9, 29, 10, 11, 12, 500000, tzinfo=UTC)),
        ("2025-09-29T10:11:12+01:00", datetime(2025, 9, 29, 9, 11, 12, tzinfo=UTC)),
        (" 2025-09-29 10:11:12 ", datetime(2025, 9, 29, 10, 11, 12, tzinfo=UTC)),
    ],
)
def test_every_legacy_timestamp_format_is_read_as_utc(raw, expected):
    assert parsing.timestamp(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", None, "yesterday", "31/12/2025", "2025-09-29", "2025-02-30 10:00:00", 1700000000]
)
def test_anything_else_is_refused_with_the_value_in_the_message(raw):
    with pytest.raises(parsing.Unreadable, match="timestamp"):
        parsing.timestamp(raw)


@pytest.mark.parametrize(
    ("raw", "cents", "sub_cent"),
    [
        (0.1 + 0.2, "0.30", False),  # float noise
        (3.7499999999999996, "3.75", False),
        (2.675, "2.68", True),  # as the old bot printed it, half up
        (10, "10.00", False),
        ("4.5", "4.50", False),
        (-7.35, "-7.35", False),
    ],
)
def test_money_is_the_printed_float_rounded_half_up_to_cents(raw, cents, sub_cent):
    value, change = parsing.money(raw)
    assert value == Decimal(cents)
    assert parsing.is_sub_cent(change) is sub_cent


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), 1e15, "", "ten", True, None])
def test_money_refuses_what_is_not_an_amount(raw):
    with pytest.raises(parsing.Unreadable):
        parsing.money(raw)


def test_markdown_v2_escapes_are_removed_from_telegram_links():
    assert (
        parsing.unescape_markdown_v2(r"https://t\.me/some\_channel/12")
        == "https://t.me/some_channel/12"
    )


@pytest.mark.parametrize("raw", [HEX, HEX.upper(), "0x" + HEX, "0X" + HEX.upper(), f" {HEX} "])
def test_one_hex_payment_has_one_key_whatever_its_case_or_prefix(raw):
    assert legacy_key(raw) == "hex:" + HEX
    assert claim_key("bsc", "0x" + HEX) == claim_key("tron", HEX) == "hex:" + HEX


def test_solana_signatures_keep_their_case_and_bank_references_are_folded():
    signature = "5" + "Ab" * 43
    assert legacy_key(signature) == "b58:" + signature
    assert claim_key("solana", signature) == "b58:" + signature
    assert legacy_key("9F1C-UUID-REF") == "ref:9f1c-uuid-ref"


@pytest.mark.parametrize("raw", [None, "", "  ", "custom_plan_42_VIP_2025-09-29T10:00:00"])
def test_custom_plan_references_and_blanks_are_not_payments(raw):
    assert legacy_key(raw) is None
