"""The fake Aptos fullnode REST API (external-apis.md §7) over the sandbox's ChainTransfer rows.

``GET /v1/transactions/by_hash/{txn_hash}`` answers as a fullnode does:

- unknown hash: 404 with an AptosError body, ``error_code`` ``transaction_not_found``;
- mempool row (no block yet): 200, ``"type": "pending_transaction"`` (no version, no events);
- included row: 200, ``"type": "user_transaction"`` with ``version`` (the row's block number:
  the fake's ledger versions are its blocks), ``success``, ``vm_status`` and ``timestamp`` (µs),
  every u64 as a string.

How value moves is rendered in the two forms a real receipt can take, and a client must read
both. The chain's coin (row.token == "") uses the legacy coin form: a ``0x1::aptos_account::
transfer`` payload, ``0x1::coin::WithdrawEvent`` / ``DepositEvent`` events whose guid points at
the ``CoinStore<0x1::aptos_coin::AptosCoin>`` resource in ``changes``. Tokens (row.token = a
fungible-asset metadata address, e.g. USDT) use the fungible-asset form: ``0x1::fungible_asset::
Withdraw`` / ``Deposit`` events naming a store object, whose ``ObjectCore`` (owner) and
``FungibleStore`` (metadata) resources are in ``changes``. A row whose token is ``0xa`` is APT as
a fungible asset, as migrated accounts on mainnet receive it. A failed row moves nothing: its
events are only the gas fee statement.

Every answer carries the ``X-Aptos-*`` ledger headers (ledger version = the fake's ChainHead).
One row is one transaction; ``make_transaction_by_hash_view`` takes another source of "legs" so
a test can render several transfers under one hash with this same code.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from apps.sandbox.chains.common import bad_gateway, simulate_latency
from apps.sandbox.chains.ledger import find_transfer, head_block
from apps.sandbox.failures import Kind, consume_failure
from apps.sandbox.guards import sandbox_only
from apps.sandbox.models import ChainTransfer

NETWORK = "aptos"
# inject_failure() method names, after the operation ids of the Aptos OpenAPI spec.
GET_TRANSACTION_BY_HASH = "aptos.get_transaction_by_hash"
GET_LEDGER_INFO = "aptos.get_ledger_info"
CHAIN_ID = 1  # mainnet: the sandbox uses mainnet token addresses
APT_COIN_TYPE = "0x1::aptos_coin::AptosCoin"
APT_METADATA = "0xa"
GAS_USED = 8
GAS_UNIT_PRICE = 100
MAX_GAS_AMOUNT = 200_000
# Balances after the transaction are shown; these openings keep them plausible and non-zero.
OPENING_OCTAS = 250_000_000
OPENING_TOKEN_UNITS = 7_250_000
# Event handles of a CoinStore as the framework creates them for a new account.
DEPOSIT_EVENTS_CREATION_NUM = 2
WITHDRAW_EVENTS_CREATION_NUM = 3
# Module events (fungible_asset::Deposit, FeeStatement) carry a zero guid.
MODULE_EVENT_GUID = {"creation_number": "0", "account_address": "0x0"}
FAILED_VM_STATUS = (
    "Move abort in 0x1::coin: EINSUFFICIENT_BALANCE(0x10006): "
    "Not enough coins to complete transaction"
)
_HASH = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

LegsOf = Callable[[str], Sequence[ChainTransfer]]


def stored_legs(txn_hash: str) -> list[ChainTransfer]:
    """The transfers of TXN_HASH (0x + 64 lower-case hex) on the fake chain."""
    transfer = find_transfer(NETWORK, txn_hash)
    return [transfer] if transfer is not None else []


# --- the endpoints ---------------------------------------------------------------------------


def make_transaction_by_hash_view(legs_of: LegsOf = stored_legs):
    """GET /v1/transactions/by_hash/<txn_hash>, reading transactions through LEGS_OF."""

    @sandbox_only
    @csrf_exempt
    @never_cache
    @require_GET
    def transaction_by_hash(request, txn_hash: str):
        simulate_latency()
        injected = _injected_response(GET_TRANSACTION_BY_HASH)
        if injected is not None:
            return injected
        match = _HASH.fullmatch(txn_hash)
        if match is None:
            message = (
                f'failed to parse path `txn_hash`: failed to parse "string(HashValue)": '
                f"unable to parse HashValue: {txn_hash}"
            )
            return _error(HTTPStatus.BAD_REQUEST, message, "web_framework_error")
        canonical = "0x" + match.group(1).lower()
        legs = legs_of(canonical)
        if not legs:
            message = f"Transaction not found by Transaction hash({canonical})"
            return _error(HTTPStatus.NOT_FOUND, message, "transaction_not_found")
        return _answer(render_transaction(legs))

    return transaction_by_hash


transaction_by_hash = make_transaction_by_hash_view()


@sandbox_only
@csrf_exempt
@never_cache
@require_GET
def ledger_info(request):
    """GET /v1: the node's view of the ledger (what the headers also say)."""
    simulate_latency()
    injected = _injected_response(GET_LEDGER_INFO)
    if injected is not None:
        return injected
    version = str(head_block(NETWORK))
    return _answer(
        {
            "chain_id": CHAIN_ID,
            "epoch": "1",
            "ledger_version": version,
            "oldest_ledger_version": "0",
            "ledger_timestamp": str(_microseconds(timezone.now())),
            "node_role": "full_node",
            "oldest_block_height": "0",
            "block_height": version,
            "git_hash": "sandbox",
        }
    )


def _answer(body: dict, status: int = HTTPStatus.OK) -> JsonResponse:
    response = JsonResponse(body, status=status)
    for header, value in _ledger_headers().items():
        response[header] = value
    return response


def _error(status: int, message: str, error_code: str) -> JsonResponse:
    # AptosError: the body of every error the fullnode API answers with.
    return _answer({"message": message, "error_code": error_code, "vm_error_code": None}, status)


def _ledger_headers() -> dict[str, str]:
    version = str(head_block(NETWORK))
    return {
        "X-Aptos-Chain-Id": str(CHAIN_ID),
        "X-Aptos-Ledger-Version": version,
        "X-Aptos-Ledger-Oldest-Version": "0",
        "X-Aptos-Ledger-TimestampUsec": str(_microseconds(timezone.now())),
        "X-Aptos-Epoch": "1",
        "X-Aptos-Block-Height": version,  # one transaction per block in the fake
        "X-Aptos-Oldest-Block-Height": "0",
    }


def _injected_response(method: str) -> HttpResponse | None:
    """The answer an injected failure of METHOD asks for, or None to answer normally."""
    failure = consume_failure(method)
    if failure is None:
        return None
    if failure.kind == Kind.DELAY:
        time.sleep(failure.delay_seconds or 0)
        return None
    if failure.kind == Kind.HTTP_429:
        response = _error(HTTPStatus.TOO_MANY_REQUESTS, "Too many requests", "web_framework_error")
        response["Retry-After"] = str(failure.retry_after)
        return response
    if failure.kind == Kind.HTTP_500:
        return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error", "internal_error")
    if failure.kind == Kind.HTTP_502:
        return bad_gateway()
    if failure.kind == Kind.HTTP_403_BLOCKED:
        return _error(HTTPStatus.FORBIDDEN, "Forbidden", "web_framework_error")
    # malformed_json: a body cut off mid-way, as a broken proxy returns it.
    return HttpResponse(b'{"version":"', content_type="application/json")


# --- rendering -------------------------------------------------------------------------------


def render_transaction(legs: Sequence[ChainTransfer]) -> dict:
    """The by_hash body for the transfers LEGS of one transaction (facts from the first leg)."""
    first = legs[0]
    common = {
        "hash": first.tx_hash,
        "sender": wire_address(first.sender),
        "sequence_number": str(first.pk or 0),
        "max_gas_amount": str(MAX_GAS_AMOUNT),
        "gas_unit_price": str(GAS_UNIT_PRICE),
        "expiration_timestamp_secs": str(_microseconds(first.block_time) // 1_000_000 + 600),
        "payload": _payload(first),
        "signature": {
            "public_key": _fake_hash(f"public-key:{first.sender}"),
            "signature": _fake_hash(f"signature:{first.tx_hash}") + "0" * 64,
            "type": "ed25519_signature",
        },
    }
    if first.block_number is None:
        return {**common, "type": "pending_transaction"}
    return {**common, **_committed(legs), "type": "user_transaction"}


def _committed(legs: Sequence[ChainTransfer]) -> dict:
    first = legs[0]
    succeeded = all(leg.succeeded for leg in legs)
    state = _StateChanges()
    events = []
    if succeeded:
        for leg in legs:
            events += state.move(leg)
    state.coin_store(first.sender, APT_COIN_TYPE)  # the gas is paid in APT either way
    events.append(_fee_statement())
    return {
        "version": str(first.block_number),
        "state_change_hash": _fake_hash(f"state-change:{first.tx_hash}"),
        "event_root_hash": _fake_hash(f"event-root:{first.tx_hash}"),
        "state_checkpoint_hash": None,
        "gas_used": str(GAS_USED),
        "success": succeeded,
        "vm_status": "Executed successfully" if succeeded else FAILED_VM_STATUS,
        "accumulator_root_hash": _fake_hash(f"accumulator:{first.tx_hash}"),
        "changes": state.render(),
        "events": events,
        "timestamp": str(_microseconds(first.block_time)),
    }


def _payload(leg: ChainTransfer) -> dict:
    recipient, units = wire_address(leg.recipient), str(int(leg.amount_units))
    if not leg.token or canonical_address(leg.token) == canonical_address(APT_METADATA):
        function, type_arguments, arguments = "0x1::aptos_account::transfer", [], [recipient, units]
    else:
        function = "0x1::primary_fungible_store::transfer"
        type_arguments = ["0x1::fungible_asset::Metadata"]
        arguments = [{"inner": wire_address(leg.token)}, recipient, units]
    return {
        "function": function,
        "type_arguments": type_arguments,
        "arguments": arguments,
        "type": "entry_function_payload",
    }


def _fee_statement() -> dict:
    return {
        "guid": MODULE_EVENT_GUID,
        "sequence_number": "0",
        "type": "0x1::transaction_fee::FeeStatement",
        "data": {
            "execution_gas_units": str(GAS_USED // 2),
            "io_gas_units": str(GAS_USED - GAS_USED // 2),
            "storage_fee_octas": "0",
            "storage_fee_refund_octas": "0",
            "total_charge_gas_units": str(GAS_USED),
        },
    }


@dataclass
class _CoinStore:
    owner: str
    coin_type: str
    value: int = OPENING_OCTAS
    deposits: int = 0
    withdrawals: int = 0

    def resource(self) -> tuple[str, str, dict]:
        return (
            self.owner,
            f"0x1::coin::CoinStore<{self.coin_type}>",
            {
                "coin": {"value": str(self.value)},
                "deposit_events": _handle(self.deposits, self.owner, DEPOSIT_EVENTS_CREATION_NUM),
                "frozen": False,
                "withdraw_events": _handle(
                    self.withdrawals, self.owner, WITHDRAW_EVENTS_CREATION_NUM
                ),
            },
        )


@dataclass
class _FungibleStore:
    owner: str
    metadata: str
    balance: int = OPENING_TOKEN_UNITS
    address: str = field(init=False)

    def __post_init__(self) -> None:
        self.address = primary_store_address(self.owner, self.metadata)

    def resources(self) -> list[tuple[str, str, dict]]:
        store = {
            "balance": str(self.balance),
            "frozen": False,
            "metadata": {"inner": self.metadata},
        }
        # Object guids start at 2^50 (object::INIT_GUID_CREATION_NUM).
        core = {
            "allow_ungated_transfer": False,
            "guid_creation_num": "1125899906842625",
            "owner": self.owner,
            "transfer_events": _handle(0, self.address, 1125899906842624),
        }
        return [
            (self.address, "0x1::fungible_asset::FungibleStore", store),
            (self.address, "0x1::object::ObjectCore", core),
        ]


class _StateChanges:
    """The resources one transaction writes, and the events its transfers emit."""

    def __init__(self) -> None:
        self.coin_stores: dict[str, _CoinStore] = {}
        self.fungible_stores: dict[str, _FungibleStore] = {}

    def coin_store(self, owner: str, coin_type: str) -> _CoinStore:
        owner = wire_address(owner)
        return self.coin_stores.setdefault(owner, _CoinStore(owner, coin_type))

    def fungible_store(self, owner: str, metadata: str) -> _FungibleStore:
        store = _FungibleStore(wire_address(owner), wire_address(metadata))
        return self.fungible_stores.setdefault(store.address, store)

    def move(self, leg: ChainTransfer) -> list[dict]:
        """Write LEG's balances and return its withdraw and deposit events."""
        units = int(leg.amount_units)
        if not leg.token:
            return self._move_coin(leg.sender, leg.recipient, units)
        return self._move_fungible_asset(leg.sender, leg.recipient, leg.token, units)

    def _move_coin(self, sender: str, recipient: str, units: int) -> list[dict]:
        source = self.coin_store(sender, APT_COIN_TYPE)
        destination = self.coin_store(recipient, APT_COIN_TYPE)
        destination.value += units
        withdraw = _coin_event("WithdrawEvent", source, WITHDRAW_EVENTS_CREATION_NUM, units)
        source.withdrawals += 1
        deposit = _coin_event("DepositEvent", destination, DEPOSIT_EVENTS_CREATION_NUM, units)
        destination.deposits += 1
        return [withdraw, deposit]

    def _move_fungible_asset(
        self, sender: str, recipient: str, metadata: str, units: int
    ) -> list[dict]:
        source = self.fungible_store(sender, metadata)
        destination = self.fungible_store(recipient, metadata)
        destination.balance += units
        return [
            _store_event("Withdraw", source, units),
            _store_event("Deposit", destination, units),
        ]

    def render(self) -> list[dict]:
        resources = [store.resource() for store in self.coin_stores.values()]
        for store in self.fungible_stores.values():
            resources += store.resources()
        return [
            {
                "address": address,
                "state_key_hash": _fake_hash(f"state-key:{address}:{resource_type}"),
                "data": {"type": resource_type, "data": data},
                "type": "write_resource",
            }
            for address, resource_type, data in resources
        ]


def _handle(counter: int, address: str, creation_num: int) -> dict:
    return {
        "counter": str(counter),
        "guid": {"id": {"addr": address, "creation_num": str(creation_num)}},
    }


def _coin_event(kind: str, store: _CoinStore, creation_num: int, units: int) -> dict:
    sequence = store.deposits if kind == "DepositEvent" else store.withdrawals
    return {
        "guid": {"creation_number": str(creation_num), "account_address": store.owner},
        "sequence_number": str(sequence),
        "type": f"0x1::coin::{kind}",
        "data": {"amount": str(units)},
    }


def _store_event(kind: str, store: _FungibleStore, units: int) -> dict:
    return {
        "guid": MODULE_EVENT_GUID,
        "sequence_number": "0",
        "type": f"0x1::fungible_asset::{kind}",
        "data": {"amount": str(units), "store": store.address},
    }


# --- addresses -------------------------------------------------------------------------------


def canonical_address(address: str) -> str:
    """ADDRESS as 0x + 64 lower-case hex digits (the long form)."""
    digits = address.strip().lower().removeprefix("0x")
    int(digits, 16)  # ValueError when not hex
    if len(digits) > 64:
        raise ValueError(f"An Aptos address has at most 64 hex digits: {address!r}")
    return "0x" + digits.zfill(64)


def wire_address(address: str) -> str:
    """ADDRESS as the API writes it (AIP-40): 0x0-0xf short, every other address long."""
    canonical = canonical_address(address)
    value = int(canonical, 16)
    return f"0x{value:x}" if value < 16 else canonical


def primary_store_address(owner: str, metadata: str) -> str:
    """OWNER's primary fungible store for METADATA: an object derived from both (scheme 0xFC)."""
    seed = bytes.fromhex(canonical_address(owner)[2:]) + bytes.fromhex(
        canonical_address(metadata)[2:]
    )
    return "0x" + hashlib.sha3_256(seed + b"\xfc").hexdigest()


def _fake_hash(seed: str) -> str:
    return "0x" + hashlib.sha256(seed.encode()).hexdigest()


def _microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)
