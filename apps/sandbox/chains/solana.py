"""The fake Solana JSON-RPC endpoint (external-apis.md §6) over the sandbox's ChainTransfer rows.

Two methods, as a payment verifier uses them:

- ``getSignatureStatuses``: ``null`` for an unknown signature; a mempool row (no block yet) is
  ``processed`` (executed by the node, not yet voted on by the cluster); an included row is
  ``confirmed`` with ``confirmations`` = blocks on top of its own, or ``finalized`` with
  ``confirmations: null`` once it is FINALIZED_DEPTH deep, as a rooted slot is reported.
- ``getTransaction`` (``jsonParsed`` only): ``null`` for unknown, mempool, or not yet at the
  requested commitment (``finalized`` by default, ``confirmed`` on request); a version-0
  transaction, so a caller that omits ``maxSupportedTransactionVersion`` gets the real -32015.

Amounts are carried where real clients must read them: lamport balance deltas for SOL and
token-balance deltas for SPL tokens. The tokens land in the recipient's token account, a key of
its own whose ``owner`` is the recipient wallet; the wallet itself is not an account key of a
token transfer, exactly as on mainnet. Opening balances are non-zero, so only a delta gives the
amount. A failed row moves nothing but the fee, and carries the error in ``meta.err``.

One row is one transaction; ``make_rpc_view`` takes another source of "legs" so a test can
render several transfers under one signature with this same code.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.purchases.assets import SOLANA_USDT_MINT
from apps.sandbox.chains.common import bad_gateway, simulate_latency
from apps.sandbox.chains.ledger import find_transfer, head_block
from apps.sandbox.failures import Kind, consume_failure
from apps.sandbox.guards import sandbox_only
from apps.sandbox.models import ChainTransfer

NETWORK = "solana"
FAILURE_PREFIX = "solana."  # inject_failure("solana.getTransaction", ...)
API_VERSION = "2.0.15"
# A rooted slot has at least 31 confirmed blocks on top of it (the max vote lockout).
FINALIZED_DEPTH = 32
FEE_LAMPORTS = 5000
SYSTEM_PROGRAM = "11111111111111111111111111111111"
SPL_PROGRAM_ID = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
# Decimals the fake gives a mint; any other mint gets DEFAULT_TOKEN_DECIMALS.
MINT_DECIMALS = {SOLANA_USDT_MINT: 6, USDC_MINT: 6}
DEFAULT_TOKEN_DECIMALS = 6
# Balances before the transaction: arbitrary, non-zero, so reading a post balance alone is wrong.
OPENING_LAMPORTS = 2_500_000_000
OPENING_TOKEN_UNITS = 7_250_000
PROGRAM_LAMPORTS = 1
# Rent-exempt minimums of a token account and of a mint account.
TOKEN_ACCOUNT_LAMPORTS = 2_039_280
MINT_LAMPORTS = 1_461_600
# "insufficient funds" of the System and SPL Token programs.
FAILED_TRANSFER_ERROR = {"InstructionError": [0, {"Custom": 1}]}
MAX_SIGNATURES_PER_STATUS_CALL = 256
_SIGNATURE = re.compile(r"[1-9A-HJ-NP-Za-km-z]{64,90}")
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_UNSUPPORTED_VERSION = (
    "Transaction version (0) is not supported by the requesting client. Please try the request "
    'again with the following configuration parameter: "maxSupportedTransactionVersion": 0'
)

LegsOf = Callable[[str], Sequence[ChainTransfer]]


class RpcError(Exception):
    """A JSON-RPC error object the fake answers with (HTTP 200, as the real node does)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def stored_legs(signature: str) -> list[ChainTransfer]:
    """The transfers of SIGNATURE on the fake chain: one row is one transaction."""
    transfer = find_transfer(NETWORK, signature)
    return [transfer] if transfer is not None else []


# --- the endpoint ----------------------------------------------------------------------------


def make_rpc_view(legs_of: LegsOf = stored_legs):
    """The JSON-RPC view, reading transactions through LEGS_OF (signature -> its transfers)."""

    @sandbox_only
    @csrf_exempt
    @never_cache
    @require_POST
    def rpc(request):
        simulate_latency()
        try:
            call = json.loads(request.body)
        except ValueError:
            return _error_response(None, RpcError(-32700, "Parse error"))
        if not _is_call(call):
            return _error_response(None, RpcError(-32600, "Invalid request"))
        failure = consume_failure(FAILURE_PREFIX + call["method"])
        if failure is not None and failure.kind != Kind.DELAY:
            return _injected_response(failure, call.get("id"))
        if failure is not None:
            time.sleep(failure.delay_seconds or 0)
        try:
            result = _dispatch(call["method"], call.get("params") or [], legs_of)
        except RpcError as error:
            return _error_response(call.get("id"), error)
        return JsonResponse({"jsonrpc": "2.0", "result": result, "id": call.get("id")})

    return rpc


rpc = make_rpc_view()


def _is_call(call: Any) -> bool:
    # Batches (a JSON array) are valid JSON-RPC but our clients never send them: not faked.
    return (
        isinstance(call, dict)
        and call.get("jsonrpc") == "2.0"
        and isinstance(call.get("method"), str)
    )


def _dispatch(method: str, params: Any, legs_of: LegsOf) -> Any:
    if not isinstance(params, list):
        raise RpcError(-32602, "Invalid params: expected an array")
    if method == "getTransaction":
        return _get_transaction(params, legs_of)
    if method == "getSignatureStatuses":
        return _get_signature_statuses(params, legs_of)
    raise RpcError(-32601, "Method not found")


def _error_response(call_id: Any, error: RpcError) -> JsonResponse:
    body = {"jsonrpc": "2.0", "error": {"code": error.code, "message": error.message}}
    return JsonResponse({**body, "id": call_id})


def _injected_response(failure, call_id: Any) -> HttpResponse:
    if failure.kind == Kind.HTTP_429:
        # What public RPC providers answer when the per-method rate limit is hit.
        message = "Too many requests for a specific RPC call, contact your app developer."
        response = JsonResponse(
            {"jsonrpc": "2.0", "error": {"code": 429, "message": message}, "id": call_id},
            status=HTTPStatus.TOO_MANY_REQUESTS,
        )
        response["Retry-After"] = str(failure.retry_after)
        return response
    if failure.kind == Kind.HTTP_500:
        error = {"code": -32603, "message": "Internal error"}
        body = {"jsonrpc": "2.0", "error": error, "id": call_id}
        return JsonResponse(body, status=HTTPStatus.INTERNAL_SERVER_ERROR)
    if failure.kind == Kind.HTTP_502:
        return bad_gateway()
    if failure.kind == Kind.HTTP_403_BLOCKED:
        return HttpResponse("Forbidden", status=HTTPStatus.FORBIDDEN, content_type="text/plain")
    # malformed_json: a body cut off mid-way, as a broken proxy returns it.
    return HttpResponse(
        b'{"jsonrpc":"2.0","result":{"context":{"slot":', content_type="application/json"
    )


# --- methods ---------------------------------------------------------------------------------


def _get_signature_statuses(params: list, legs_of: LegsOf) -> dict:
    if not params or not isinstance(params[0], list):
        raise RpcError(-32602, "Invalid params: expected an array of signatures")
    signatures = params[0]
    if len(signatures) > MAX_SIGNATURES_PER_STATUS_CALL:
        raise RpcError(-32602, f"Too many inputs provided; max {MAX_SIGNATURES_PER_STATUS_CALL}")
    head = head_block(NETWORK)
    statuses = [render_signature_status(legs_of(_signature(raw)), head=head) for raw in signatures]
    return {"context": {"apiVersion": API_VERSION, "slot": head}, "value": statuses}


def _get_transaction(params: list, legs_of: LegsOf) -> dict | None:
    if not params:
        raise RpcError(-32602, "Invalid params: missing the signature")
    signature = _signature(params[0])
    config = _transaction_config(params[1] if len(params) > 1 else None)
    legs = legs_of(signature)
    if not legs or not _visible_at(legs[0], config["commitment"]):
        return None
    if config["maxSupportedTransactionVersion"] is None:
        raise RpcError(-32015, _UNSUPPORTED_VERSION)
    return render_transaction(legs)


def _signature(raw: Any) -> str:
    if not isinstance(raw, str) or not _SIGNATURE.fullmatch(raw):
        raise RpcError(-32602, "Invalid param: Invalid")
    return raw


def _transaction_config(raw: Any) -> dict:
    config = {"encoding": raw} if isinstance(raw, str) else dict(raw or {})
    encoding = config.get("encoding", "json")
    commitment = config.get("commitment", "finalized")
    if encoding != "jsonParsed":
        raise RpcError(-32602, "Invalid params: the sandbox renders encoding jsonParsed only")
    if commitment not in ("confirmed", "finalized"):
        raise RpcError(-32602, "Method does not support commitment below `confirmed`")
    return {
        "commitment": commitment,
        "maxSupportedTransactionVersion": config.get("maxSupportedTransactionVersion"),
    }


def _visible_at(transfer: ChainTransfer, commitment: str) -> bool:
    if transfer.block_number is None:
        return False
    if commitment == "finalized":
        return _depth(transfer, head_block(NETWORK)) >= FINALIZED_DEPTH
    return True


def _depth(transfer: ChainTransfer, head: int) -> int:
    """Blocks from the transfer's to the head, counting its own (ledger.confirmations_of)."""
    return max(0, head - transfer.block_number + 1)


# --- rendering -------------------------------------------------------------------------------


def render_signature_status(legs: Sequence[ChainTransfer], *, head: int) -> dict | None:
    if not legs:
        return None
    first = legs[0]
    failed = not all(leg.succeeded for leg in legs)
    status = {
        "err": FAILED_TRANSFER_ERROR if failed else None,
        "status": {"Err": FAILED_TRANSFER_ERROR} if failed else {"Ok": None},
    }
    if first.block_number is None:
        return {**status, "slot": head, "confirmations": 0, "confirmationStatus": "processed"}
    depth = _depth(first, head)
    if depth >= FINALIZED_DEPTH:
        return {
            **status,
            "slot": first.block_number,
            "confirmations": None,
            "confirmationStatus": "finalized",
        }
    return {
        **status,
        "slot": first.block_number,
        "confirmations": max(0, depth - 1),  # blocks on top of its own
        "confirmationStatus": "confirmed",
    }


def render_transaction(legs: Sequence[ChainTransfer]) -> dict:
    """getTransaction's result (jsonParsed, version 0) for the transfers LEGS of one signature.

    Transaction-wide facts (signature, slot, time, fee payer, success) come from the first leg;
    the transaction failed if any leg did, and then no leg moves anything.
    """
    first = legs[0]
    succeeded = all(leg.succeeded for leg in legs)
    book = _AccountBook(fee_payer=first.sender)
    instructions = [book.transfer(leg, apply=succeeded) for leg in legs]
    err = None if succeeded else FAILED_TRANSFER_ERROR
    keys = book.ordered_keys()
    pre_tokens, post_tokens = book.token_balances(keys)
    return {
        "blockTime": int(first.block_time.timestamp()),
        "meta": {
            "computeUnitsConsumed": 150 * len(legs),
            "err": err,
            "fee": FEE_LAMPORTS,
            "innerInstructions": [],
            "loadedAddresses": {"readonly": [], "writable": []},
            "logMessages": _log_messages(legs, succeeded),
            "postBalances": [book.lamports[key][1] for key in keys],
            "postTokenBalances": post_tokens,
            "preBalances": [book.lamports[key][0] for key in keys],
            "preTokenBalances": pre_tokens,
            "rewards": [],
            "status": {"Ok": None} if succeeded else {"Err": err},
        },
        "slot": first.block_number,
        "transaction": {
            "message": {
                "accountKeys": [book.key_json(key) for key in keys],
                "addressTableLookups": [],
                "instructions": instructions,
                "recentBlockhash": _fake_address(f"blockhash:{first.block_number}"),
            },
            "signatures": [first.tx_hash],
        },
        "version": 0,
    }


class _AccountBook:
    """The accounts one transaction touches, with [pre, post] balances.

    Moving an amount out raises the sender's pre balance and moving it in raises the
    recipient's post balance, so every account opens with a fixed, non-zero balance and the
    deltas are exactly the transfers (and the fee).
    """

    def __init__(self, *, fee_payer: str):
        self.order: list[str] = []
        self.signers: set[str] = set()
        self.readonly: set[str] = set()
        self.lamports: dict[str, list[int]] = {}
        self.tokens: dict[str, dict] = {}  # token account -> mint, owner, [pre, post]
        self.add(fee_payer, signer=True)
        self.lamports[fee_payer][0] += FEE_LAMPORTS

    def add(
        self,
        pubkey: str,
        *,
        signer: bool = False,
        readonly: bool = False,
        lamports: int = OPENING_LAMPORTS,
    ) -> None:
        if pubkey not in self.lamports:
            self.order.append(pubkey)
            self.lamports[pubkey] = [lamports, lamports]
        if signer:
            self.signers.add(pubkey)
        if readonly:
            self.readonly.add(pubkey)

    def transfer(self, leg: ChainTransfer, *, apply: bool) -> dict:
        """Book LEG (when APPLY) and return its parsed instruction."""
        units = int(leg.amount_units)
        if not leg.token:
            return self._native_transfer(leg.sender, leg.recipient, units, apply)
        return self._token_transfer(leg.sender, leg.recipient, leg.token, units, apply)

    def _native_transfer(self, sender: str, recipient: str, lamports: int, apply: bool) -> dict:
        self.add(sender, signer=True)
        self.add(recipient)
        self.add(SYSTEM_PROGRAM, readonly=True, lamports=PROGRAM_LAMPORTS)
        if apply:
            self.lamports[sender][0] += lamports
            self.lamports[recipient][1] += lamports
        info = {"destination": recipient, "lamports": lamports, "source": sender}
        return _instruction("system", SYSTEM_PROGRAM, "transfer", info)

    def _token_transfer(
        self, sender: str, recipient: str, mint: str, units: int, apply: bool
    ) -> dict:
        source = token_account_of(sender, mint)
        destination = token_account_of(recipient, mint)
        self.add(sender, signer=True)
        self.add(source, lamports=TOKEN_ACCOUNT_LAMPORTS)
        self.add(destination, lamports=TOKEN_ACCOUNT_LAMPORTS)
        self.add(mint, readonly=True, lamports=MINT_LAMPORTS)
        self.add(SPL_PROGRAM_ID, readonly=True, lamports=PROGRAM_LAMPORTS)
        for account, owner in ((source, sender), (destination, recipient)):
            self.tokens.setdefault(
                account, {"mint": mint, "owner": owner, "units": [OPENING_TOKEN_UNITS] * 2}
            )
        if apply:
            self.tokens[source]["units"][0] += units
            self.tokens[destination]["units"][1] += units
        info = {
            "authority": sender,
            "destination": destination,
            "mint": mint,
            "source": source,
            "tokenAmount": _token_amount(units, mint_decimals(mint)),
        }
        return _instruction("spl-token", SPL_PROGRAM_ID, "transferChecked", info)

    def ordered_keys(self) -> list[str]:
        # The message's order: writable signers, readonly signers, writable, then readonly.
        return sorted(self.order, key=lambda key: (key not in self.signers, key in self.readonly))

    def key_json(self, key: str) -> dict:
        return {
            "pubkey": key,
            "signer": key in self.signers,
            "source": "transaction",
            "writable": key not in self.readonly,
        }

    def token_balances(self, keys: list[str]) -> tuple[list[dict], list[dict]]:
        pre, post = [], []
        for account, token in self.tokens.items():
            for side, units in ((pre, token["units"][0]), (post, token["units"][1])):
                side.append(
                    {
                        "accountIndex": keys.index(account),
                        "mint": token["mint"],
                        "owner": token["owner"],
                        "programId": SPL_PROGRAM_ID,
                        "uiTokenAmount": _token_amount(units, mint_decimals(token["mint"])),
                    }
                )
        return pre, post


def _instruction(program: str, program_id: str, kind: str, info: dict) -> dict:
    return {
        "parsed": {"info": info, "type": kind},
        "program": program,
        "programId": program_id,
        "stackHeight": None,
    }


def _token_amount(units: int, decimals: int) -> dict:
    whole = Decimal(units).scaleb(-decimals)
    return {
        "amount": str(units),
        "decimals": decimals,
        # A float on the real wire (lossy by design there); clients must read "amount".
        "uiAmount": float(whole),
        "uiAmountString": _plain(whole),
    }


def _plain(amount: Decimal) -> str:
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _log_messages(legs: Sequence[ChainTransfer], succeeded: bool) -> list[str]:
    lines = []
    for leg in legs:
        program = SPL_PROGRAM_ID if leg.token else SYSTEM_PROGRAM
        lines.append(f"Program {program} invoke [1]")
        if leg.token:
            lines.append("Program log: Instruction: TransferChecked")
        if not succeeded:
            lines.append("Program log: Error: insufficient funds")
            lines.append(f"Program {program} failed: custom program error: 0x1")
            return lines
        lines.append(f"Program {program} success")
    return lines


def mint_decimals(mint: str) -> int:
    return MINT_DECIMALS.get(mint, DEFAULT_TOKEN_DECIMALS)


def token_account_of(owner: str, mint: str) -> str:
    """The (fake, deterministic) token account holding OWNER's MINT tokens."""
    return _fake_address(f"token-account:{owner}:{mint}")


def _fake_address(seed: str) -> str:
    return _base58(hashlib.sha256(seed.encode()).digest())


def _base58(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, remainder = divmod(number, 58)
        digits = _BASE58_ALPHABET[remainder] + digits
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + digits
