"""The BSC chain client against the sandbox node over loopback HTTP (live_server)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.common.http.errors import (
    CircuitOpenError,
    ProviderBadResponse,
    ProviderRejected,
    ProviderUnavailable,
)
from apps.purchases.assets import BSC_USDT_CONTRACT, NATIVE
from apps.purchases.chains.base import ChainReceipt, TxStatus
from apps.purchases.clients.bsc import BscClient, build_bsc_client
from apps.sandbox.chains.ledger import (
    SETTLED_DEPTH,
    advance_head,
    include_pending,
    record_transfer,
)
from apps.sandbox.failures import inject_failure
from apps.sandbox.models import InjectedFailure
from tests.common.http_fakes import FakeProvider, Scripted, fake_provider

__all__ = ["fake_provider"]  # the fixture, imported for pytest to find

pytestmark = pytest.mark.django_db(transaction=True)

DEPOSIT = "0x5afe000000000000000000000000000000000b5c"
SOMEONE_ELSE = "0x000000000000000000000000000000000000beef"
OTHER_TOKEN = "0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d"  # USDC on BSC
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


@pytest.fixture
def bsc(live_server, settings):
    """A client on the sandbox node; short backoff so retry tests stay quick."""
    settings.BSC_RPC_URL = f"{live_server.url}/sandbox/chains/bsc/rpc"
    with BscClient(settings.BSC_RPC_URL, backoff_seconds=0.01) as client:
        yield client


def fetch(client, row_or_hash, deposit=DEPOSIT) -> ChainReceipt | None:
    tx_hash = getattr(row_or_hash, "tx_hash", row_or_hash)
    return client.fetch_receipt(tx_hash, deposit_address=deposit)


def pay(amount_units, *, token="", recipient=DEPOSIT, **kwargs):
    return record_transfer(
        "bsc", recipient=recipient, amount_units=amount_units, token=token, **kwargs
    )


# --- what arrived ---


def test_a_bnb_payment_is_received_exactly(bsc):
    # 15 significant digits: what the sandbox ledger keeps on SQLite (exact on PostgreSQL).
    moment = datetime(2026, 3, 1, 12, 30, 45, 999_999, tzinfo=UTC)
    row = pay(1_234_567_890_123_450_000, block_time=moment)

    receipt = fetch(bsc, row)

    assert receipt == ChainReceipt(
        status=TxStatus.SUCCESS,
        received={NATIVE: Decimal("1.23456789012345")},
        confirmations=SETTLED_DEPTH,
        final=True,
        block_time=datetime(2026, 3, 1, 12, 30, 45, tzinfo=UTC),
    )


def test_a_usdt_payment_is_received_in_whole_tokens_of_18_decimals(bsc):
    row = pay(12_345_678_901_234_500_000, token=BSC_USDT_CONTRACT)

    receipt = fetch(bsc, row)

    assert receipt.status == TxStatus.SUCCESS
    assert receipt.received == {BSC_USDT_CONTRACT: Decimal("12.3456789012345")}


def test_the_deposit_address_matches_in_any_letter_case(bsc):
    row = pay(10**18, token=BSC_USDT_CONTRACT)

    receipt = fetch(bsc, row, deposit="0x5AFE000000000000000000000000000000000B5C")

    assert receipt.received == {BSC_USDT_CONTRACT: Decimal(1)}


@pytest.mark.parametrize("token", ["", BSC_USDT_CONTRACT])
def test_a_payment_to_someone_else_gives_us_nothing(bsc, token):
    row = pay(10**18, token=token, recipient=SOMEONE_ELSE)

    receipt = fetch(bsc, row)

    assert receipt.status == TxStatus.SUCCESS
    assert receipt.received == {}


def test_another_token_is_received_under_its_own_contract_only(bsc):
    row = pay(7 * 10**18, token=OTHER_TOKEN)

    receipt = fetch(bsc, row)

    assert receipt.received == {OTHER_TOKEN: Decimal(7)}
    assert BSC_USDT_CONTRACT not in receipt.received


@pytest.mark.parametrize("token", ["", BSC_USDT_CONTRACT])
def test_a_failed_transaction_is_failed_and_credits_nothing(bsc, token):
    row = pay(10**18, token=token, succeeded=False)

    receipt = fetch(bsc, row)

    assert receipt.status == TxStatus.FAILED
    assert receipt.received == {}
    assert receipt.confirmations == SETTLED_DEPTH


def test_a_mempool_transaction_is_pending_then_counted_once_mined(bsc):
    row = pay(10**18, confirmations=None)

    assert fetch(bsc, row) == ChainReceipt(status=TxStatus.PENDING)

    include_pending(row)
    mined = fetch(bsc, row)

    assert (mined.status, mined.confirmations, mined.final) == (TxStatus.SUCCESS, 1, False)
    assert mined.received == {NATIVE: Decimal(1)}


def test_an_unknown_hash_is_none(bsc):
    assert fetch(bsc, "0x" + "12" * 32) is None


def test_confirmations_count_from_the_head_and_finality_after_two_more_blocks(bsc):
    row = pay(10**18, token=BSC_USDT_CONTRACT, confirmations=2)

    young = fetch(bsc, row)
    advance_head("bsc", 5)
    older = fetch(bsc, row)

    assert (young.confirmations, young.final) == (2, False)
    assert (older.confirmations, older.final) == (7, True)


def test_several_transfers_in_one_transaction_are_summed_per_asset(fake_provider: FakeProvider):
    """A batch payout: two USDT logs and one USDC log to us, USDT to someone else, an NFT.

    The sandbox ledger holds one transfer per transaction, so this wire answer is scripted.
    """
    tx_hash = "0x" + "ab" * 32
    nft_transfer = {
        "address": "0x" + "77" * 20,
        "topics": [TRANSFER_TOPIC, word(SOMEONE_ELSE), word(DEPOSIT), word("05")],
        "data": "0x",
    }
    logs = [
        transfer_log(BSC_USDT_CONTRACT, DEPOSIT, 3 * 10**18 + 1),  # to the last unit
        transfer_log(BSC_USDT_CONTRACT, SOMEONE_ELSE, 50 * 10**18),
        transfer_log(BSC_USDT_CONTRACT.upper().replace("0X", "0x"), DEPOSIT, 25 * 10**17),
        transfer_log(OTHER_TOKEN, DEPOSIT, 10**18),
        nft_transfer,
    ]
    fake_provider.script(
        Scripted(
            body=[
                rpc_result(1, {"hash": tx_hash, "to": "0x" + "99" * 20, "value": "0x0"}),
                rpc_result(2, {"blockNumber": "0x10", "status": "0x1", "logs": logs}),
                rpc_result(3, "0x20"),
            ]
        ),
        Scripted(body=[rpc_result(2, None), rpc_result(1, {"timestamp": "0x0"})]),
    )

    with BscClient(fake_provider.url) as client:
        receipt = client.fetch_receipt(tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {
        BSC_USDT_CONTRACT: Decimal("5.500000000000000001"),
        OTHER_TOKEN: Decimal(1),
    }
    assert (receipt.confirmations, receipt.final) == (17, False)
    assert receipt.block_time == datetime(1970, 1, 1, tzinfo=UTC)


# --- trouble ---


def test_a_500_is_retried_and_the_answer_still_arrives(bsc):
    row = pay(10**18)
    inject_failure("bsc.eth_getTransactionReceipt", "http_500")

    receipt = fetch(bsc, row)

    assert receipt.received == {NATIVE: Decimal(1)}
    assert not InjectedFailure.objects.filter(remaining__gt=0).exists()


def test_a_node_that_keeps_failing_raises_provider_unavailable(bsc):
    row = pay(10**18)
    inject_failure("bsc.eth_blockNumber", "http_502", times=3)

    with pytest.raises(ProviderUnavailable) as raised:
        fetch(bsc, row)

    assert raised.value.status_code == 502
    assert raised.value.provider == "chain-bsc"


def test_a_429_waits_out_a_short_retry_after(bsc):
    row = pay(10**18)
    inject_failure("bsc.eth_getBlockByNumber", "http_429", retry_after=1)

    receipt = fetch(bsc, row)

    assert receipt.status == TxStatus.SUCCESS


def test_a_429_with_a_long_retry_after_is_left_to_the_caller(bsc):
    row = pay(10**18)
    inject_failure("bsc.eth_getTransactionByHash", "http_429", retry_after=120)

    with pytest.raises(ProviderRejected) as raised:
        fetch(bsc, row)

    assert (raised.value.status_code, raised.value.retry_after) == (429, 120)
    assert raised.value.retryable is False


def test_a_cut_off_body_is_a_bad_response_and_the_next_call_works(bsc):
    row = pay(10**18)
    inject_failure("bsc.eth_getTransactionReceipt", "malformed_json")

    with pytest.raises(ProviderBadResponse, match="malformed JSON"):
        fetch(bsc, row)

    assert fetch(bsc, row).status == TxStatus.SUCCESS


def test_a_json_rpc_error_object_is_a_clear_rejection(bsc):
    with pytest.raises(ProviderRejected, match="JSON-RPC error -32602") as raised:
        fetch(bsc, "0x1234")

    assert raised.value.retryable is False


def test_an_answer_of_the_wrong_shape_is_a_bad_response(fake_provider: FakeProvider):
    fake_provider.script(
        Scripted(
            body=[
                rpc_result(1, {"to": DEPOSIT, "value": "0x1"}),
                rpc_result(2, {"blockNumber": "sixteen", "status": "0x1", "logs": []}),
                rpc_result(3, "0x20"),
            ]
        )
    )

    with (
        BscClient(fake_provider.url) as client,
        pytest.raises(ProviderBadResponse, match="eth_getTransactionReceipt"),
    ):
        client.fetch_receipt("0x" + "ab" * 32, deposit_address=DEPOSIT)


def test_five_failures_open_the_shared_breaker(bsc):
    row = pay(10**18)
    inject_failure("bsc.eth_blockNumber", "http_500", times=5)

    with pytest.raises(ProviderUnavailable):
        fetch(bsc, row)  # three attempts
    with pytest.raises(CircuitOpenError):
        fetch(bsc, row)  # two more attempts open it; the third is refused

    with pytest.raises(CircuitOpenError):
        build_bsc_client().fetch_receipt(row.tx_hash, deposit_address=DEPOSIT)


def test_build_reads_the_url_from_settings_and_names_the_breaker(bsc, settings):
    row = pay(10**18)

    with build_bsc_client() as client:
        receipt = client.fetch_receipt(row.tx_hash, deposit_address=DEPOSIT)

    assert receipt.received == {NATIVE: Decimal(1)}
    assert client.network == "bsc"
    assert (client.breaker.name, client.breaker.failure_threshold) == ("chain-bsc", 5)
    assert client.breaker.reset_timeout == 60


def test_a_malformed_deposit_address_is_a_configuration_error(bsc):
    with pytest.raises(ValueError, match="not a BSC address"):
        fetch(bsc, "0x" + "12" * 32, deposit="0x5afe")


# --- scripted wire answers ---


def word(hex_value: str) -> str:
    return "0x" + hex_value.lower().removeprefix("0x").rjust(64, "0")


def transfer_log(token: str, recipient: str, amount: int) -> dict:
    return {
        "address": token,
        "topics": [TRANSFER_TOPIC, word(SOMEONE_ELSE), word(recipient)],
        "data": word(format(amount, "x")),
        "removed": False,
    }


def rpc_result(call_id: int, value) -> dict:
    return {"jsonrpc": "2.0", "id": call_id, "result": value}
