"""Payouts of the fake Flutterwave: every write, for its routes, tests and sandbox actions.

A transfer is stored NEW and moves NEW -> PENDING -> SUCCESSFUL or FAILED on a schedule fixed
when it is created. Nothing runs in the background: reads of the fake move due transfers
(advance_transfer), and the worker, beat or a test may call advance_transfers() at any time.

When it ends (external-apis.md §1.7 test fixtures, with the sandbox's shorter delays):
- any reference: PENDING after PENDING_AFTER (1 s), SUCCESSFUL after SETTLE_AFTER (5 s);
- reference ending "_PMCK": SUCCESSFUL, "_PMCK_ST_F": FAILED (MOCK_FAILURE), both after
  SETTLE_AFTER, or after <n> minutes with "DU_<n>" appended ("x_PMCKDU_1", "x_PMCK_ST_FDU_1").
  Real Flutterwave waits 10 minutes for the suffixes and leaves other test transfers PENDING.

Refused at create (400 error envelope, nothing stored): a reference used before ("Duplicate
transfer reference"), Access "044"/"0690000036" (blacklisted), an account that does not resolve
(ending "0000", see banks.py), and -- once set_balance() gave the wallet a balance -- an amount
plus fee above it ("DISBURSE FAILED: Insufficient funds in customer wallet"). Without a balance
the wallet is unlimited. A transfer that fails gives its amount and fee back to the wallet.

settle_transfer ends a transfer now; deliver_transfer_webhook posts `transfer.completed` to our
webhook with the verif-hash header, as Flutterwave does (§1.9).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from apps.sandbox.flutterwave import banks, wire
from apps.sandbox.models import FlutterwaveTransfer, FlutterwaveWallet
from apps.sandbox.provider_fakes import json_text

Status = FlutterwaveTransfer.Status
OPEN = (Status.NEW, Status.PENDING)
FINAL = (Status.SUCCESSFUL, Status.FAILED)

PENDING_AFTER = timedelta(seconds=1)
SETTLE_AFTER = timedelta(seconds=5)
MOCK_SUFFIX = re.compile(r"_PMCK(?P<fails>_ST_F)?(?:DU_(?P<minutes>\d{1,4}))?$")
SUCCESS_MESSAGE = "Successful"
MOCK_FAILURE = "DISBURSE FAILED: Transfer failed at the beneficiary bank"
INSUFFICIENT_FUNDS = "DISBURSE FAILED: Insufficient funds in customer wallet"
DUPLICATE = "Duplicate transfer reference"
WALLET = "NGN"
WEBHOOK_HASH_HEADER = "verif-hash"
FORGED_HASH = "not-the-verif-hash"
WEBHOOK_TIMEOUT_SECONDS = 10.0


class TransferRefused(ValueError):
    """Flutterwave would answer 400 with this message; nothing was stored."""


class DuplicateReference(TransferRefused):
    def __init__(self) -> None:
        super().__init__(DUPLICATE)


def fee_for(amount: Decimal) -> Decimal:
    """Flutterwave's NGN transfer fee tiers, VAT included."""
    if amount <= 5000:
        return Decimal("10.75")
    if amount <= 50000:
        return Decimal("26.875")
    return Decimal("53.75")


def _schedule(reference: str, now: datetime) -> dict:
    mock = MOCK_SUFFIX.search(reference)
    settle_after = SETTLE_AFTER
    if mock and mock["minutes"] is not None:
        settle_after = timedelta(minutes=int(mock["minutes"]))
    fails = bool(mock and mock["fails"])
    settles_at = now + settle_after
    return {
        "pending_at": min(now + PENDING_AFTER, settles_at),
        "settles_at": settles_at,
        "final_status": Status.FAILED if fails else Status.SUCCESSFUL,
        "final_message": MOCK_FAILURE if fails else SUCCESS_MESSAGE,
    }


def create_transfer(
    *,
    reference: str,
    bank_code: str,
    account_number: str,
    amount: Decimal,
    narration: str = "",
    now: datetime | None = None,
) -> FlutterwaveTransfer:
    """Store a NEW transfer, or raise TransferRefused with Flutterwave's 400 message."""
    now = now or timezone.now()
    reference = reference or f"SANDBOX-{secrets.token_hex(8)}"
    if FlutterwaveTransfer.objects.filter(reference=reference).exists():
        raise DuplicateReference
    bank = banks.bank(bank_code)
    if bank is None:
        raise TransferRefused("Invalid bank code")
    if not banks.is_nuban(account_number):
        raise TransferRefused("Invalid account number")
    if banks.is_blacklisted(bank_code, account_number):
        raise TransferRefused(banks.BLACKLISTED_MESSAGE)
    full_name = banks.account_name(bank_code, account_number)
    if full_name is None:
        raise TransferRefused(banks.UNRESOLVABLE)
    fee = fee_for(amount)
    transfer = FlutterwaveTransfer(
        reference=reference,
        bank_code=bank_code,
        bank_name=bank.name.upper(),
        account_number=account_number,
        full_name=full_name,
        amount=amount,
        fee=fee,
        narration=narration[:100],
        created_at=now,
        **_schedule(reference, now),
    )
    try:
        with transaction.atomic():
            transfer.debited = _debit(amount + fee)
            transfer.save()
    except IntegrityError:
        if FlutterwaveTransfer.objects.filter(reference=reference).exists():
            raise DuplicateReference from None
        raise
    return transfer


def _debit(cost: Decimal) -> Decimal | None:
    """Take COST from the wallet (None while it is unlimited); refuse when it is short."""
    if not FlutterwaveWallet.objects.filter(pk=WALLET).exists():
        return None
    taken = FlutterwaveWallet.objects.filter(pk=WALLET, balance__gte=cost).update(
        balance=F("balance") - cost
    )
    if taken != 1:
        raise TransferRefused(INSUFFICIENT_FUNDS)
    return cost


# --- balance ---------------------------------------------------------------------------------


def set_balance(amount_ngn: Decimal | None) -> None:
    """Give the fake wallet AMOUNT_NGN (transfers above it are refused); None: unlimited."""
    if amount_ngn is None:
        FlutterwaveWallet.objects.filter(pk=WALLET).delete()
        return
    amount = Decimal(str(amount_ngn))
    if not amount.is_finite() or amount < 0:
        raise ValueError("The balance must be a number of naira, 0 or more.")
    FlutterwaveWallet.objects.update_or_create(pk=WALLET, defaults={"balance": amount})


def balance() -> Decimal | None:
    """The wallet's balance, None while it is unlimited."""
    wallet = FlutterwaveWallet.objects.filter(pk=WALLET).first()
    return wallet.balance if wallet else None


# --- status ----------------------------------------------------------------------------------


def _finish(transfer: FlutterwaveTransfer, status: str, message: str, now: datetime) -> bool:
    """Compare-and-swap TRANSFER from NEW/PENDING to STATUS; a failure refunds the wallet."""
    with transaction.atomic():
        finished = FlutterwaveTransfer.objects.filter(pk=transfer.pk, status__in=OPEN).update(
            status=status, complete_message=message[:255], completed_at=now
        )
        if finished and status == Status.FAILED and transfer.debited:
            FlutterwaveWallet.objects.filter(pk=WALLET).update(
                balance=F("balance") + transfer.debited
            )
    return finished == 1


def advance_transfer(
    transfer: FlutterwaveTransfer, now: datetime | None = None
) -> FlutterwaveTransfer:
    """TRANSFER moved to where its schedule says it is at NOW (default: now), re-read."""
    now = now or timezone.now()
    if transfer.status in OPEN:
        if now >= transfer.settles_at:
            _finish(transfer, transfer.final_status, transfer.final_message, now)
        elif now >= transfer.pending_at:
            FlutterwaveTransfer.objects.filter(pk=transfer.pk, status=Status.NEW).update(
                status=Status.PENDING
            )
        transfer.refresh_from_db()
    return transfer


def advance_transfers(
    now: datetime | None = None, *, send_webhooks: bool = False
) -> list[FlutterwaveTransfer]:
    """Move every due transfer; the ones that ended in this call (and were webhooked if asked)."""
    now = now or timezone.now()
    FlutterwaveTransfer.objects.filter(
        status=Status.NEW, pending_at__lte=now, settles_at__gt=now
    ).update(status=Status.PENDING)
    due = FlutterwaveTransfer.objects.filter(status__in=OPEN, settles_at__lte=now).order_by("id")
    ended = [
        transfer
        for transfer in due
        if _finish(transfer, transfer.final_status, transfer.final_message, now)
    ]
    for transfer in ended:
        transfer.refresh_from_db()
        if send_webhooks:
            deliver_transfer_webhook(transfer.reference)
    return ended


def settle_transfer(
    reference: str, status: str = Status.SUCCESSFUL, message: str | None = None
) -> FlutterwaveTransfer:
    """End the open transfer REFERENCE now as SUCCESSFUL or FAILED (with MESSAGE).

    Raises FlutterwaveTransfer.DoesNotExist for an unknown reference and ValueError when the
    transfer has ended already.
    """
    status = str(status).upper()
    if status not in FINAL:
        raise ValueError(f"A transfer ends SUCCESSFUL or FAILED, not {status!r}.")
    if message is None:
        message = SUCCESS_MESSAGE if status == Status.SUCCESSFUL else MOCK_FAILURE
    transfer = FlutterwaveTransfer.objects.get(reference=reference)
    if not _finish(transfer, status, message, timezone.now()):
        transfer.refresh_from_db()
        raise ValueError(f"Transfer {reference} has ended already ({transfer.status}).")
    transfer.refresh_from_db()
    return transfer


# --- on the wire -----------------------------------------------------------------------------


def transfer_data(transfer: FlutterwaveTransfer, *, webhook: bool = False) -> dict:
    """The transfer object of the v3 API; a webhook calls full_name "fullname" (§1.1)."""
    data = {
        "id": transfer.flw_id,
        "account_number": transfer.account_number,
        "bank_code": transfer.bank_code,
        "full_name": transfer.full_name,
        "created_at": wire.timestamp(transfer.created_at),
        "currency": transfer.currency,
        "debit_currency": transfer.currency,
        "amount": transfer.amount,
        "fee": transfer.fee,
        "status": transfer.status,
        "reference": transfer.reference,
        "meta": None,
        "narration": transfer.narration,
        "complete_message": transfer.complete_message,
        "requires_approval": 0,
        "is_approved": 1,
        "bank_name": transfer.bank_name,
    }
    if webhook:
        data["fullname"] = data.pop("full_name")
        data["approver"] = None
    return data


def transfer_completed_webhook(
    reference: str, *, status: str | None = None, legacy: bool = False
) -> dict:
    """The `transfer.completed` body for REFERENCE as it stands now (v3, or the v2 shape).

    STATUS overrides the status in the body only: a stale or lying webhook, which must make
    our side re-fetch the transfer rather than believe it.
    """
    transfer = advance_transfer(FlutterwaveTransfer.objects.get(reference=reference))
    data = transfer_data(transfer, webhook=True)
    if status is not None:
        data["status"] = status
    if legacy:
        return {"event.type": "Transfer", "transfer": data}
    return {"event": "transfer.completed", "event.type": "Transfer", "data": data}


def default_webhook_url() -> str:
    """Our own POST /flutterwave/webhook/ on the origin of SANDBOX_BASE_URL."""
    origin = urlsplit(settings.SANDBOX_BASE_URL)
    return urlunsplit((origin.scheme, origin.netloc, reverse("flutterwave-webhook"), "", ""))


def deliver_transfer_webhook(
    reference: str,
    url: str | None = None,
    *,
    times: int = 1,
    forged: bool = False,
    status: str | None = None,
    legacy: bool = False,
) -> list[int | None]:
    """POST `transfer.completed` for REFERENCE to URL TIMES times, as Flutterwave does.

    Returns each delivery's HTTP status (None: no answer). FORGED sends a wrong verif-hash;
    STATUS and LEGACY as in transfer_completed_webhook.
    """
    if times < 1:
        raise ValueError("times must be at least 1.")
    body = json_text(transfer_completed_webhook(reference, status=status, legacy=legacy))
    headers = {
        WEBHOOK_HASH_HEADER: FORGED_HASH if forged else settings.FLUTTERWAVE_WEBHOOK_HASH,
        "Content-Type": "application/json;charset=utf-8",
    }
    statuses: list[int | None] = []
    for _delivery in range(times):
        try:
            response = httpx.post(
                url or default_webhook_url(),
                content=body.encode(),
                headers=headers,
                timeout=WEBHOOK_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError:
            statuses.append(None)
            continue
        statuses.append(response.status_code)
    return statuses
