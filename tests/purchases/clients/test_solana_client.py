"""The Solana chain client against the sandbox's fake RPC over loopback HTTP (live_server).

Several transfers in one transaction: the fake stores one transfer per transaction, so this
module routes a second instance of the same fake view (make_rpc_view) that reads its "legs"
from a dict here; the document is rendered by the fake's own code, with several transfers
under one signature. A second test-only view serves hand-edited answers for the cases the fake
never produces (a token account created in the transaction, a node that is behind, a broken
document).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from apps.common.http import (
    CircuitBreaker,
    CircuitOpenError,
    ProviderBadResponse,
    ProviderRejected,
    ProviderUnavailable,
)
from apps.purchases.assets import NATIVE, SOLANA_USDT_MINT
from apps.purchases.chains.base import TxStatus
from apps.purchases.clients.solana import SolanaClient, build_solana_client
from apps.sandbox.chains import solana as fake
from apps.sandbox.chains.ledger import advance_head, include_pending, record_transfer
from apps.sandbox.failures import inject_failure
from apps.sandbox.models import ChainTransfer, InjectedFailure
from viralcore.urls import urlpatterns as project_urlpatterns

DEPOSIT = "7vfCXTUXx5WJV5JADk17DUJ4ksgau7utNKj4b963voxs"
STRANGER = "3Q8GjTuZtaV2HcqZbsXFdXVbpeHxFQNUsJYvSBxRp7Sd"
WHEN = datetime(2025, 3, 1, 12, 30, 15, tzinfo=UTC)

# --- test-only routes ------------------------------------------------------------------------

EXTRA_LEGS: dict[str, list[ChainTransfer]] = {}
SCRIPTED: dict[str, object] = {}  # JSON-RPC method -> the whole answer body


def _legs_with_extras(signature: str) -> list[ChainTransfer]:
    return [*fake.stored_legs(signature), *EXTRA_LEGS.get(signature, [])]


@csrf_exempt
def _scripted_rpc(request):
    method = json.loads(request.body)["method"]
    return JsonResponse(SCRIPTED[method], safe=False)


urlpatterns = [
    *project_urlpatterns,
    path("test/solana/multi/", fake.make_rpc_view(_legs_with_extras)),
    path("test/solana/scripted/", _scripted_rpc),
]


@pytest.fixture
def test_routes(settings, live_server):
    settings.ROOT_URLCONF = __name__
    EXTRA_LEGS.clear()
    SCRIPTED.clear()
    yield live_server.url + "/test/solana"
    EXTRA_LEGS.clear()
    SCRIPTED.clear()


@pytest.fixture
def solana(live_server, settings):
    """The production client on the fake, with short backoffs so retries are quick."""
    settings.SOLANA_RPC_URL = live_server.url + "/sandbox/chains/solana/rpc"
    with build_solana_client(backoff_seconds=0.01) as client:
        yield client


def client_for(url: str) -> SolanaClient:
    return SolanaClient(url, backoff_seconds=0.01, breaker=CircuitBreaker("test-solana"))


def pay(amount_units, *, token="", recipient=DEPOSIT, **options) -> ChainTransfer:
    return record_transfer(
        "solana", recipient=recipient, amount_units=amount_units, token=token, **options
    )


def remaining(method: str) -> int:
    return sum(InjectedFailure.objects.filter(method=method).values_list("remaining", flat=True))


# --- what a transaction paid us --------------------------------------------------------------


def test_a_sol_payment_is_received_exactly_with_its_depth_and_time(solana):
    sent = pay(1_500_000_001, block_time=WHEN)

    receipt = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert receipt.status == TxStatus.SUCCESS
    assert receipt.received == {NATIVE: Decimal("1.500000001")}
    assert isinstance(receipt.received[NATIVE], Decimal)
    assert (receipt.confirmations, receipt.final) == (64, True)
    assert receipt.block_time == WHEN


def test_a_usdt_payment_is_read_from_the_token_account_the_wallet_owns(solana):
    sent = pay(12_345_678, token=SOLANA_USDT_MINT)

    receipt = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {SOLANA_USDT_MINT: Decimal("12.345678")}


def test_a_payment_to_someone_else_gives_us_nothing(solana):
    sol = pay(10**9, recipient=STRANGER)
    usdt = pay(10**6, token=SOLANA_USDT_MINT, recipient=STRANGER)

    receipts = [solana.fetch_receipt(t.tx_hash, deposit_address=DEPOSIT) for t in (sol, usdt)]

    assert [(r.status, r.received) for r in receipts] == [(TxStatus.SUCCESS, {})] * 2


def test_the_sender_sees_no_payment_in_its_own_transfer(solana):
    sent = pay(10**9, recipient=STRANGER)

    receipt = solana.fetch_receipt(sent.tx_hash, deposit_address=sent.sender)

    assert receipt.received == {}  # it lost lamports: nothing was received


def test_another_token_is_received_under_its_own_mint_only(solana):
    sent = pay(3_000_000, token=fake.USDC_MINT)

    receipt = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {fake.USDC_MINT: Decimal("3")}


def test_several_transfers_in_one_transaction_are_summed_per_asset(test_routes):
    first = pay(10_000_000, token=SOLANA_USDT_MINT, block_time=WHEN)
    EXTRA_LEGS[first.tx_hash] = [
        leg(first, DEPOSIT, 2_500_000, SOLANA_USDT_MINT),
        leg(first, DEPOSIT, 250_000_000, ""),
        leg(first, STRANGER, 7_000_000, SOLANA_USDT_MINT),
        leg(first, DEPOSIT, 1_000_000, fake.USDC_MINT),
    ]

    with client_for(test_routes + "/multi/") as client:
        receipt = client.fetch_receipt(first.tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {
        SOLANA_USDT_MINT: Decimal("12.5"),
        NATIVE: Decimal("0.25"),
        fake.USDC_MINT: Decimal("1"),
    }


def leg(first: ChainTransfer, recipient: str, units: int, token: str) -> ChainTransfer:
    """Another transfer of FIRST's transaction (same signature, slot and time; not stored)."""
    return ChainTransfer(
        network="solana",
        tx_hash=first.tx_hash,
        sender=first.sender,
        recipient=recipient,
        token=token,
        amount_units=Decimal(units),
        block_number=first.block_number,
        block_time=first.block_time,
    )


def test_a_token_account_created_in_the_transaction_counts_from_zero(test_routes):
    sent = pay(4_000_000, token=SOLANA_USDT_MINT)
    document = fake.render_transaction([sent])
    ours = fake.token_account_of(DEPOSIT, SOLANA_USDT_MINT)
    keys = [key["pubkey"] for key in document["transaction"]["message"]["accountKeys"]]
    meta = document["meta"]
    meta["preTokenBalances"] = [
        b for b in meta["preTokenBalances"] if keys[b["accountIndex"]] != ours
    ]
    script(sent, document)

    with client_for(test_routes + "/scripted/") as client:
        receipt = client.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    # Its whole post balance is new: the 7.25 USDT the fake opens accounts with, plus 4.
    assert receipt.received == {SOLANA_USDT_MINT: Decimal("11.25")}


def script(sent: ChainTransfer, transaction: object) -> None:
    head = sent.block_number + 63
    SCRIPTED["getSignatureStatuses"] = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "context": {"slot": head},
            "value": [fake.render_signature_status([sent], head=head)],
        },
    }
    SCRIPTED["getTransaction"] = {"jsonrpc": "2.0", "id": 2, "result": transaction}


def test_a_confirmed_signature_the_node_cannot_serve_yet_is_pending(test_routes):
    sent = pay(10**9, confirmations=5)
    script(sent, None)
    SCRIPTED["getSignatureStatuses"]["result"]["context"]["slot"] = sent.block_number + 4
    SCRIPTED["getSignatureStatuses"]["result"]["value"] = [
        fake.render_signature_status([sent], head=sent.block_number + 4)
    ]

    with client_for(test_routes + "/scripted/") as client:
        receipt = client.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (receipt.status, receipt.confirmations, receipt.received) == (TxStatus.PENDING, 5, {})


# --- status and depth ------------------------------------------------------------------------


def test_a_failed_transaction_is_failed(solana):
    sent = pay(10**9, succeeded=False)

    receipt = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (receipt.status, receipt.received) == (TxStatus.FAILED, {})


def test_a_mempool_transaction_is_pending_until_included(solana):
    sent = pay(10**9, confirmations=None)

    pending = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)
    include_pending(sent)
    included = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (pending.status, pending.confirmations, pending.final) == (TxStatus.PENDING, 0, False)
    assert pending.received == {}
    assert (included.status, included.confirmations, included.final) == (
        TxStatus.SUCCESS,
        1,
        False,
    )
    assert included.received == {NATIVE: Decimal("1")}


def test_an_unknown_signature_is_none(solana):
    assert solana.fetch_receipt("5" * 88, deposit_address=DEPOSIT) is None


def test_confirmations_are_counted_from_the_head_and_finality_comes_at_32(solana):
    sent = pay(1, confirmations=3)

    young = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)
    advance_head("solana", 10)
    older = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)
    advance_head("solana", 20)
    rooted = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (young.confirmations, young.final) == (3, False)
    assert (older.confirmations, older.final) == (13, False)
    assert (rooted.confirmations, rooted.final) == (33, True)


# --- transport trouble -----------------------------------------------------------------------


def test_a_5xx_is_retried_and_the_answer_still_comes(solana):
    sent = pay(10**9)
    inject_failure("solana.getSignatureStatuses", "http_500")
    inject_failure("solana.getTransaction", "http_502")

    receipt = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {NATIVE: Decimal("1")}
    assert remaining("solana.getSignatureStatuses") == remaining("solana.getTransaction") == 0


def test_a_node_that_keeps_failing_gives_up_after_three_attempts(solana):
    sent = pay(10**9)
    inject_failure("solana.getTransaction", "http_500", times=5)

    with pytest.raises(ProviderUnavailable) as raised:
        solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert raised.value.status_code == 500
    assert raised.value.provider == "chain-solana"
    assert remaining("solana.getTransaction") == 2  # 1 call + 2 retries


def test_a_short_rate_limit_is_waited_out(solana):
    sent = pay(10**9)
    inject_failure("solana.getSignatureStatuses", "http_429", retry_after=1)

    receipt = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert receipt.status == TxStatus.SUCCESS


def test_a_long_rate_limit_is_handed_to_the_caller_without_retrying(solana):
    sent = pay(10**9)
    inject_failure("solana.getSignatureStatuses", "http_429", retry_after=60, times=2)

    with pytest.raises(ProviderRejected) as raised:
        solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert (raised.value.status_code, raised.value.retry_after) == (429, 60)
    assert remaining("solana.getSignatureStatuses") == 1


def test_a_malformed_answer_is_a_bad_response_and_the_next_call_works(solana):
    sent = pay(10**9)
    inject_failure("solana.getTransaction", "malformed_json")

    with pytest.raises(ProviderBadResponse):
        solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)
    receipt = solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {NATIVE: Decimal("1")}


def test_a_json_rpc_error_for_our_request_is_a_rejection(solana):
    with pytest.raises(ProviderRejected) as raised:
        solana.fetch_receipt("0OIl" * 22, deposit_address=DEPOSIT)  # not base58

    assert raised.value.retryable is False
    assert "getSignatureStatuses answered JSON-RPC error -32602" in str(raised.value)


def test_a_node_side_json_rpc_error_is_unavailable_and_retryable(test_routes):
    SCRIPTED["getSignatureStatuses"] = {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32005, "message": "Node is behind by 42 slots"},
    }

    with (
        client_for(test_routes + "/scripted/") as client,
        pytest.raises(ProviderUnavailable) as raised,
    ):
        client.fetch_receipt("5" * 88, deposit_address=DEPOSIT)

    assert raised.value.retryable is True
    assert "-32005" in str(raised.value)


@pytest.mark.parametrize(
    "transaction",
    [
        {"slot": 1},  # no meta
        {"meta": {"err": None, "preBalances": [1], "postBalances": [2.5]}, "transaction": {}},
        "not an object",
    ],
)
def test_a_transaction_document_of_the_wrong_shape_is_a_bad_response(test_routes, transaction):
    sent = pay(10**9)
    script(sent, transaction)

    with client_for(test_routes + "/scripted/") as client, pytest.raises(ProviderBadResponse):
        client.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)


def test_the_breaker_opens_after_five_failures_for_every_client_of_the_chain(solana):
    sent = pay(10**9)
    inject_failure("solana.getSignatureStatuses", "http_500", times=10)

    with pytest.raises(ProviderUnavailable):
        solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)  # 3 failures
    with pytest.raises(CircuitOpenError):
        solana.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)  # 2 more, then refused
    with build_solana_client() as another, pytest.raises(CircuitOpenError):
        another.fetch_receipt(sent.tx_hash, deposit_address=DEPOSIT)

    assert remaining("solana.getSignatureStatuses") == 5  # the refused calls were never sent
