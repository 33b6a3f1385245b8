"""The Tron chain client against the sandbox node over loopback HTTP (live_server)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.common.http.errors import (
    CircuitOpenError,
    ProviderBadResponse,
    ProviderRejected,
    ProviderUnavailable,
)
from apps.purchases.assets import NATIVE, TRON_USDT_CONTRACT
from apps.purchases.chains.base import ChainReceipt, TxStatus
from apps.purchases.clients.tron import API_KEY_HEADER, TronClient, build_tron_client
from apps.purchases.clients.tron_address import to_hex
from apps.sandbox.chains.ledger import (
    SETTLED_DEPTH,
    advance_head,
    include_pending,
    record_transfer,
)
from apps.sandbox.failures import inject_failure
from tests.common.http_fakes import FakeProvider, Scripted, fake_provider

__all__ = ["fake_provider"]  # the fixture, imported for pytest to find

pytestmark = pytest.mark.django_db(transaction=True)

# Valid base58check addresses: hex 415afe...0b5c, 41000...0f00d5, 41000...beef.
DEPOSIT = "TJGL6Z2zEfHQ4bPKnPnAfMCswU7XtJ7oSB"
SENDER = "T9yD14Nj9j7xAB4dbGeiX9h8vMiwPCAeua"
SOMEONE_ELSE = "T9yD14Nj9j7xAB4dbGeiX9h8upPPuQyPkv"
# A token we do not accept (USDC): scaled with UNKNOWN_TOKEN_DECIMALS (18).
OTHER_TOKEN = "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8"
TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
API_KEY = "5c1e5f0e-sandbox-trongrid-key"


@pytest.fixture
def tron(live_server, settings):
    """A client on the sandbox node; short backoff so retry tests stay quick."""
    settings.TRONGRID_URL = f"{live_server.url}/sandbox/chains/tron"
    with TronClient(settings.TRONGRID_URL, backoff_seconds=0.01) as client:
        yield client


def fetch(client, row_or_hash, deposit=DEPOSIT) -> ChainReceipt | None:
    tx_hash = getattr(row_or_hash, "tx_hash", row_or_hash)
    return client.fetch_receipt(tx_hash, deposit_address=deposit)


def pay(amount_units, *, token="", recipient=DEPOSIT, **kwargs):
    return record_transfer(
        "tron",
        recipient=recipient,
        amount_units=amount_units,
        token=token,
        sender=SENDER,
        **kwargs,
    )


# --- what arrived ---


def test_a_trx_payment_is_received_to_the_last_sun(tron):
    moment = datetime(2026, 3, 1, 12, 30, 45, 123_999, tzinfo=UTC)
    row = pay(150_000_001, block_time=moment)

    receipt = fetch(tron, row)

    assert receipt == ChainReceipt(
        status=TxStatus.SUCCESS,
        received={NATIVE: Decimal("150.000001")},
        confirmations=SETTLED_DEPTH,
        final=True,
        block_time=datetime(2026, 3, 1, 12, 30, 45, 123_000, tzinfo=UTC),
    )


def test_a_usdt_payment_is_received_in_whole_tokens_of_6_decimals(tron):
    row = pay(12_500_001, token=TRON_USDT_CONTRACT)

    receipt = fetch(tron, row)

    assert receipt.status == TxStatus.SUCCESS
    assert receipt.received == {TRON_USDT_CONTRACT: Decimal("12.500001")}


def test_the_deposit_address_may_be_given_in_hex(tron):
    row = pay(10**6, token=TRON_USDT_CONTRACT)

    receipt = fetch(tron, row, deposit=to_hex(DEPOSIT))

    assert receipt.received == {TRON_USDT_CONTRACT: Decimal(1)}


@pytest.mark.parametrize("token", ["", TRON_USDT_CONTRACT])
def test_a_payment_to_someone_else_gives_us_nothing(tron, token):
    row = pay(10**6, token=token, recipient=SOMEONE_ELSE)

    receipt = fetch(tron, row)

    assert receipt.status == TxStatus.SUCCESS
    assert receipt.received == {}


def test_another_token_is_received_under_its_own_contract_only(tron):
    row = pay(7 * 10**18, token=OTHER_TOKEN)

    receipt = fetch(tron, row)

    assert receipt.received == {OTHER_TOKEN: Decimal(7)}


@pytest.mark.parametrize("token", ["", TRON_USDT_CONTRACT])
def test_a_failed_transaction_is_failed_and_credits_nothing(tron, token):
    row = pay(10**6, token=token, succeeded=False)

    receipt = fetch(tron, row)

    assert receipt.status == TxStatus.FAILED
    assert receipt.received == {}


def test_a_mempool_transaction_is_pending_then_counted_once_mined(tron):
    row = pay(10**6, token=TRON_USDT_CONTRACT, confirmations=None)

    assert fetch(tron, row) == ChainReceipt(status=TxStatus.PENDING)

    include_pending(row)
    mined = fetch(tron, row)

    assert (mined.status, mined.confirmations, mined.final) == (TxStatus.SUCCESS, 1, False)
    assert mined.received == {TRON_USDT_CONTRACT: Decimal(1)}


def test_an_unknown_txid_is_none(tron):
    assert fetch(tron, "12" * 32) is None


def test_confirmations_count_from_the_head_and_final_once_solidified(tron):
    row = pay(10**6, token=TRON_USDT_CONTRACT, confirmations=18)

    young = fetch(tron, row)
    advance_head("tron")
    solid = fetch(tron, row)

    assert (young.confirmations, young.final) == (18, False)
    assert (solid.confirmations, solid.final) == (19, True)


def test_several_transfers_in_one_transaction_are_summed_per_asset(fake_provider: FakeProvider):
    """A batch payout contract: two USDT logs and one USDC log to us, USDT to someone else.

    The sandbox ledger holds one transfer per transaction, so this wire answer is scripted.
    """
    txid = "ab" * 32
    info = {
        "id": txid,
        "blockNumber": 100,
        "blockTimeStamp": 1_700_000_000_500,
        "receipt": {"result": "SUCCESS"},
        "log": [
            transfer_log(TRON_USDT_CONTRACT, DEPOSIT, 3_000_000),
            transfer_log(TRON_USDT_CONTRACT, SOMEONE_ELSE, 50_000_000),
            transfer_log(TRON_USDT_CONTRACT, DEPOSIT, 2_500_000),
            transfer_log(OTHER_TOKEN, DEPOSIT, 10**18),
        ],
    }
    transaction = {
        "txID": txid,
        "ret": [{"contractRet": "SUCCESS"}],
        "raw_data": {"contract": [{"type": "TriggerSmartContract", "parameter": {"value": {}}}]},
    }
    fake_provider.script(
        Scripted(body=info),
        Scripted(body=transaction),
        Scripted(body={"block_header": {"raw_data": {"number": 119}}}),
        Scripted(body={}),
    )

    with TronClient(fake_provider.url) as client:
        receipt = client.fetch_receipt(txid, deposit_address=DEPOSIT)

    assert receipt.received == {TRON_USDT_CONTRACT: Decimal("5.5"), OTHER_TOKEN: Decimal(1)}
    assert (receipt.confirmations, receipt.final) == (20, False)
    assert receipt.block_time == datetime(2023, 11, 14, 22, 13, 20, 500_000, tzinfo=UTC)


# --- API key ---


def test_the_api_key_is_sent_in_its_header_when_configured(fake_provider, settings):
    settings.TRONGRID_URL = fake_provider.url
    settings.TRONGRID_API_KEY = API_KEY

    with build_tron_client() as client:
        assert fetch(client, "12" * 32) is None  # {} from info and from the pending pool

    assert [request.headers.get(API_KEY_HEADER) for request in fake_provider.requests] == [
        API_KEY,
        API_KEY,
    ]


def test_no_api_key_header_without_a_key(fake_provider, settings):
    settings.TRONGRID_URL = fake_provider.url
    settings.TRONGRID_API_KEY = None

    with build_tron_client() as client:
        fetch(client, "12" * 32)

    assert all(API_KEY_HEADER not in request.headers for request in fake_provider.requests)


def test_the_configured_key_is_accepted_by_the_sandbox(tron, settings):
    settings.TRONGRID_API_KEY = API_KEY
    row = pay(10**6)

    with build_tron_client() as client:
        assert fetch(client, row).received == {NATIVE: Decimal(1)}


def test_a_refused_key_never_appears_in_the_error_or_the_logs(tron, settings, caplog):
    settings.TRONGRID_API_KEY = "the-key-trongrid-knows"
    row = pay(10**6)
    caplog.set_level(logging.DEBUG)

    with (
        TronClient(settings.TRONGRID_URL, api_key=API_KEY) as client,
        pytest.raises(ProviderRejected) as raised,
    ):
        fetch(client, row)

    assert raised.value.status_code == 401
    assert API_KEY not in str(raised.value)
    assert API_KEY not in json.dumps(raised.value.body)
    assert API_KEY not in caplog.text


# --- trouble ---


def test_a_500_is_retried_and_the_answer_still_arrives(tron):
    row = pay(10**6, token=TRON_USDT_CONTRACT)
    inject_failure("tron.gettransactioninfobyid", "http_500")
    inject_failure("tron.walletsolidity.gettransactioninfobyid", "http_502")

    receipt = fetch(tron, row)

    assert receipt.received == {TRON_USDT_CONTRACT: Decimal(1)}
    assert receipt.final is True


def test_a_node_that_keeps_failing_raises_provider_unavailable(tron):
    row = pay(10**6)
    inject_failure("tron.getnowblock", "http_500", times=3)

    with pytest.raises(ProviderUnavailable) as raised:
        fetch(tron, row)

    assert raised.value.status_code == 500
    assert raised.value.provider == "chain-tron"


def test_a_429_waits_out_a_short_retry_after(tron):
    row = pay(10**6)
    inject_failure("tron.gettransactionbyid", "http_429", retry_after=1)

    assert fetch(tron, row).status == TxStatus.SUCCESS


def test_a_429_with_a_long_retry_after_is_left_to_the_caller(tron):
    row = pay(10**6)
    inject_failure("tron.gettransactioninfobyid", "http_429", retry_after=120)

    with pytest.raises(ProviderRejected) as raised:
        fetch(tron, row)

    assert (raised.value.status_code, raised.value.retry_after) == (429, 120)


def test_a_cut_off_body_is_a_bad_response_and_the_next_call_works(tron):
    row = pay(10**6)
    inject_failure("tron.gettransactioninfobyid", "malformed_json")

    with pytest.raises(ProviderBadResponse, match="malformed JSON"):
        fetch(tron, row)

    assert fetch(tron, row).status == TxStatus.SUCCESS


def test_the_nodes_error_object_is_a_clear_rejection(tron):
    with pytest.raises(ProviderRejected, match="gettransactioninfobyid refused"):
        fetch(tron, "not-a-txid")


def test_an_answer_of_the_wrong_shape_is_a_bad_response(fake_provider: FakeProvider):
    fake_provider.script(
        Scripted(body={"id": "ab" * 32, "blockNumber": "a hundred", "blockTimeStamp": 1}),
        Scripted(body={"ret": [{"contractRet": "SUCCESS"}], "raw_data": {"contract": []}}),
        Scripted(body={"block_header": {"raw_data": {"number": 119}}}),
        Scripted(body={}),
    )

    with (
        TronClient(fake_provider.url) as client,
        pytest.raises(ProviderBadResponse, match="unexpected"),
    ):
        client.fetch_receipt("ab" * 32, deposit_address=DEPOSIT)


def test_five_failures_open_the_shared_breaker(tron):
    row = pay(10**6)
    inject_failure("tron.gettransactioninfobyid", "http_500", times=5)

    with pytest.raises(ProviderUnavailable):
        fetch(tron, row)
    with pytest.raises(CircuitOpenError):
        fetch(tron, row)

    with build_tron_client() as client, pytest.raises(CircuitOpenError):
        fetch(client, row)
    assert client.breaker.name == "chain-tron"
    assert (client.breaker.failure_threshold, client.breaker.reset_timeout) == (5, 60)


def test_a_mistyped_deposit_address_is_a_configuration_error(tron):
    mistyped = DEPOSIT[:-1] + ("C" if DEPOSIT[-1] != "C" else "D")

    with pytest.raises(ValueError, match="checksum"):
        fetch(tron, "12" * 32, deposit=mistyped)


# --- scripted wire answers ---


def transfer_log(token: str, recipient: str, amount: int) -> dict:
    return {
        "address": to_hex(token)[2:],
        "topics": [
            TRANSFER_TOPIC,
            to_hex(SENDER)[2:].rjust(64, "0"),
            to_hex(recipient)[2:].rjust(64, "0"),
        ],
        "data": format(amount, "064x"),
    }
