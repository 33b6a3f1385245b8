"""Tron address spellings: base58check <-> hex, checked against the USDT contract's known forms."""

from __future__ import annotations

import pytest

from apps.purchases.clients.tron_address import from_topic, is_valid, to_base58, to_hex

USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
USDT_HEX = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"  # external-apis.md §5


def test_the_usdt_contract_converts_both_ways():
    assert to_hex(USDT) == USDT_HEX
    assert to_base58(USDT_HEX) == USDT


@pytest.mark.parametrize(
    "spelling",
    [USDT, USDT_HEX, USDT_HEX.upper(), "0x" + USDT_HEX, USDT_HEX[2:], "0x" + USDT_HEX[2:]],
)
def test_every_spelling_has_one_base58_form(spelling):
    assert to_base58(spelling) == USDT


def test_a_log_topic_holds_the_20_byte_address():
    topic = USDT_HEX[2:].rjust(64, "0")

    assert from_topic(topic) == USDT
    assert from_topic("0x" + topic) == USDT


def test_one_mistyped_character_fails_the_checksum():
    mistyped = USDT[:-1] + "u"

    assert not is_valid(mistyped)
    with pytest.raises(ValueError, match="checksum"):
        to_base58(mistyped)


@pytest.mark.parametrize("text", ["", "T0O", "0x1234", "42" + USDT_HEX[2:], "hello"])
def test_what_is_not_an_address_is_refused(text):
    assert not is_valid(text)
    with pytest.raises(ValueError):
        to_base58(text)


def test_a_base58check_string_of_another_kind_is_not_a_tron_address():
    bitcoin_genesis = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"  # valid base58check, prefix 0x00

    assert not is_valid(bitcoin_genesis)
