"""The Aptos chain client against the sandbox's fake fullnode over loopback HTTP (live_server).

Several transfers in one transaction: the fake stores one transfer per transaction, so this
module routes a second instance of the same fake view (make_transaction_by_hash_view) that
reads its "legs" from a dict here; the fake's own code renders them under one hash, APT in both
forms. A second test-only view serves documents the fake never produces.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.http import JsonResponse
from django.urls import path

from apps.common.http import (
    CircuitBreaker,
    CircuitOpenError,
    ProviderBadResponse,
    ProviderRejected,
    ProviderUnavailable,
)
from apps.purchases.assets import APTOS_USDT_METADATA, NATIVE
from apps.purchases.chains.base import TxStatus
from apps.purchases.clients.aptos import AptosClient, build_aptos_client, normalize_aptos_address
from apps.sandbox.chains import aptos as fake
from apps.sandbox.chains.ledger import advance_head, head_block, include_pending, record_transfer
from apps.sandbox.failures import inject_failure
from apps.sandbox.models import ChainTransfer, InjectedFailure
from viralcore.urls import urlpatterns as project_urlpatterns

DEPOSIT = "0x00000000000000000000000000000000000000000000000000000000005afe01"
STRANGER = "0x7a11ce0000000000000000000000000000000000000000000000000000000001"
OTHER_TOKEN = "0xbae207659db88bea0cbead6da0ed00aac12edcdda169e591cd41c94180b46f3b"
WHEN = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
GET_BY_HASH = "aptos.get_transaction_by_hash"

# --- test-only routes ------------------------------------------------------------------------

EXTRA_LEGS: dict[str, list[ChainTransfer]] = {}
SCRIPTED: dict[str, object] = {}  # "body" -> what the scripted view answers, without headers


def _legs_with_extras(txn_hash: str) -> list[ChainTransfer]:
    return [*fake.stored_legs(txn_hash), *EXTRA_LEGS.get(txn_hash, [])]


def _scripted(request, txn_hash: str):
    return JsonResponse(SCRIPTED["body"], safe=False)


urlpatterns = [
    *project_urlpatterns,
    path(
        "test/aptos/multi/v1/transactions/by_hash/<str:txn_hash>",
        fake.make_transaction_by_hash_view(_legs_with_extras),
    ),
    path("test/aptos/scripted/v1/transactions/by_hash/<str:txn_hash>", _scripted),
]


@pytest.fixture
def test_routes(settings, live_server):
    settings.ROOT_URLCONF = __name__
    EXTRA_LEGS.clear()
    SCRIPTED.clear()
    yield live_server.url + "/test/aptos"
    EXTRA_LEGS.clear()
    SCRIPTED.clear()


@pytest.fixture
def aptos(live_server, settings):
    """The production client on the fake, with short backoffs so retries are quick."""
    settings.APTOS_API_URL = live_server.url + "/sandbox/chains/aptos/v1"
    with build_aptos_client(backoff_seconds=0.01) as client:
        yield client


def client_for(url: str) -> AptosClient:
    return AptosClient(url, backoff_seconds=0.01, breaker=CircuitBreaker("test-aptos"))


def pay(amount_units, *, token="", recipient=DEPOSIT, **options) -> ChainTransfer:
    return record_transfer(
        "aptos", recipient=recipient, amount_units=amount_units, token=token, **options
    )


def leg(first: ChainTransfer, recipient: str, units: int, token: str) -> ChainTransfer:
    """Another transfer of FIRST's transaction (same hash, version and time; not stored)."""
    return ChainTransfer(
        network="aptos",
        tx_hash=first.tx_hash,
        sender=first.sender,
        recipient=recipient,
        token=token,
        amount_units=Decimal(units),
        block_number=first.block_number,
        block_time=first.block_time,
    )


def remaining() -> int:
    failures = InjectedFailure.objects.filter(method=GET_BY_HASH)
    return sum(failures.values_list("remaining", flat=True))


# --- what a transaction paid us --------------------------------------------------------------


def test_an_apt_payment_in_the_coin_form_is_received_exactly(aptos):
    sent = pay(150_000_001, block_time=WHEN)

    receipt = aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert receipt.status == TxStatus.SUCCESS
    assert receipt.received == {NATIVE: Decimal("1.50000001")}
    assert isinstance(receipt.received[NATIVE], Decimal)
    assert receipt.block_time == WHEN  # microseconds kept
    assert (receipt.confirmations, receipt.final) == (64, True)


def test_a_usdt_payment_in_the_fungible_asset_form_is_received_exactly(aptos):
    sent = pay(25_500_000, token=APTOS_USDT_METADATA)

    receipt = aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {APTOS_USDT_METADATA: Decimal("25.5")}


def test_apt_as_a_fungible_asset_is_received_as_the_native_coin(aptos):
    sent = pay(250_000_000, token="0xa")

    receipt = aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {NATIVE: Decimal("2.5")}


def test_the_deposit_address_matches_in_any_written_form(aptos):
    sent = pay(10**8)

    receipts = [
        aptos.fetch_receipt(sent.tx_hash, deposit_address=written)
        for written in ("0x5afe01", "0x5AFE01", DEPOSIT.upper().replace("0X", "0x"))
    ]

    assert {receipt.received[NATIVE] for receipt in receipts} == {Decimal("1")}


def test_a_payment_to_someone_else_gives_us_nothing(aptos):
    apt = pay(10**8, recipient=STRANGER)
    usdt = pay(10**6, token=APTOS_USDT_METADATA, recipient=STRANGER)

    receipts = [aptos.fetch_receipt(t.tx_hash, deposit_address=DEPOSIT) for t in (apt, usdt)]

    assert [(r.status, r.received) for r in receipts] == [(TxStatus.SUCCESS, {})] * 2


def test_another_token_is_received_under_its_own_metadata_only(aptos):
    sent = pay(3_000, token=OTHER_TOKEN)

    receipt = aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    # Decimals of assets we do not sell are unknown: raw units (the verifier refuses it anyway).
    assert receipt.received == {OTHER_TOKEN: Decimal(3000)}


def test_several_transfers_in_one_transaction_are_summed_across_both_forms(test_routes):
    first = pay(100_000_000, block_time=WHEN)  # 1 APT, coin form
    EXTRA_LEGS[first.tx_hash] = [
        leg(first, DEPOSIT, 50_000_000, "0xa"),  # 0.5 APT, fungible-asset form
        leg(first, DEPOSIT, 10_000_000, APTOS_USDT_METADATA),
        leg(first, DEPOSIT, 2_500_000, APTOS_USDT_METADATA),
        leg(first, STRANGER, 7_000_000, APTOS_USDT_METADATA),
        leg(first, STRANGER, 300_000_000, ""),
    ]

    with client_for(test_routes + "/multi/v1") as client:
        receipt = client.fetch_receipt(first.tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {NATIVE: Decimal("1.5"), APTOS_USDT_METADATA: Decimal("12.5")}


# --- status and depth ------------------------------------------------------------------------


def test_a_failed_transaction_is_failed(aptos):
    sent = pay(10**8, succeeded=False)

    receipt = aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (receipt.status, receipt.received) == (TxStatus.FAILED, {})


def test_a_mempool_transaction_is_pending_until_included(aptos):
    sent = pay(10**8, confirmations=None)

    pending = aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)
    include_pending(sent)
    included = aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (pending.status, pending.received, pending.final) == (TxStatus.PENDING, {}, False)
    assert (included.status, included.confirmations, included.final) == (
        TxStatus.SUCCESS,
        1,
        True,
    )


def test_an_unknown_hash_is_none(aptos):
    assert aptos.fetch_receipt("0x" + "ab" * 32, deposit_address=DEPOSIT) is None


def test_a_404_that_is_not_the_api_saying_unknown_is_an_error(live_server):
    with client_for(live_server.url + "/no/such/v1") as client, pytest.raises(ProviderRejected):
        client.fetch_receipt("0x" + "ab" * 32, deposit_address=DEPOSIT)


def test_committed_is_final_and_confirmations_follow_the_ledger_version(aptos):
    sent = pay(1, confirmations=2)

    young = aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)
    advance_head("aptos", 10)
    older = aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (young.confirmations, young.final) == (2, True)
    assert (older.confirmations, older.final) == (12, True)
    assert older.confirmations == head_block("aptos") - sent.block_number + 1


def test_without_the_ledger_header_a_committed_transaction_counts_one(test_routes):
    sent = pay(10**8)
    SCRIPTED["body"] = fake.render_transaction([sent])

    with client_for(test_routes + "/scripted/v1") as client:
        receipt = client.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (receipt.confirmations, receipt.final) == (1, True)
    assert receipt.received == {NATIVE: Decimal("1")}


# --- transport trouble -----------------------------------------------------------------------


def test_a_5xx_is_retried_and_the_answer_still_comes(aptos):
    sent = pay(10**8)
    inject_failure(GET_BY_HASH, "http_500")
    inject_failure(GET_BY_HASH, "http_502")

    receipt = aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {NATIVE: Decimal("1")}
    assert remaining() == 0


def test_a_node_that_keeps_failing_gives_up_after_three_attempts(aptos):
    sent = pay(10**8)
    inject_failure(GET_BY_HASH, "http_500", times=5)

    with pytest.raises(ProviderUnavailable) as raised:
        aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (raised.value.status_code, raised.value.provider) == (500, "chain-aptos")
    assert remaining() == 2


def test_a_short_rate_limit_is_waited_out(aptos):
    sent = pay(10**8)
    inject_failure(GET_BY_HASH, "http_429", retry_after=1)

    assert aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT).status == TxStatus.SUCCESS


def test_a_long_rate_limit_is_handed_to_the_caller_without_retrying(aptos):
    sent = pay(10**8)
    inject_failure(GET_BY_HASH, "http_429", retry_after=60, times=2)

    with pytest.raises(ProviderRejected) as raised:
        aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (raised.value.status_code, raised.value.retry_after) == (429, 60)
    assert remaining() == 1


def test_a_malformed_answer_is_a_bad_response_and_the_next_call_works(aptos):
    sent = pay(10**8)
    inject_failure(GET_BY_HASH, "malformed_json")

    with pytest.raises(ProviderBadResponse):
        aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT).status == TxStatus.SUCCESS


@pytest.mark.parametrize(
    "body",
    [
        {"type": "user_transaction", "version": 5, "success": True},  # u64 not a string
        {"type": "user_transaction", "version": "5", "success": "yes"},
        {"version": "5"},
        ["not", "an", "object"],
    ],
)
def test_a_document_of_the_wrong_shape_is_a_bad_response(test_routes, body):
    SCRIPTED["body"] = body

    with client_for(test_routes + "/scripted/v1") as client, pytest.raises(ProviderBadResponse):
        client.fetch_receipt("0x" + "ab" * 32, deposit_address=DEPOSIT)


def test_the_breaker_opens_after_five_failures_for_every_client_of_the_chain(aptos):
    sent = pay(10**8)
    inject_failure(GET_BY_HASH, "http_502", times=10)

    with pytest.raises(ProviderUnavailable):
        aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)
    with pytest.raises(CircuitOpenError):
        aptos.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)
    with build_aptos_client() as another, pytest.raises(CircuitOpenError):
        another.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert remaining() == 5


def test_addresses_are_normalized_to_64_lower_case_hex_digits():
    assert normalize_aptos_address(" 0xA ") == "0x" + "0" * 63 + "a"
    assert normalize_aptos_address(DEPOSIT.upper()[2:]) == DEPOSIT
    for garbage in ("", "0x", "0xg1", "0x" + "1" * 65):
        with pytest.raises(ValueError):
            normalize_aptos_address(garbage)
