"""Bank-transfer charges of the fake Flutterwave: every write, for its routes, tests and actions.

pay_charge plays the payer: it marks a pending bank-transfer charge paid (or failed), with the
amount that "arrived". charge_completed_webhook builds the v3 `charge.completed` body the sandbox
"pay" action posts to our webhook with webhook_headers().
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.sandbox.flutterwave import wire
from apps.sandbox.models import FlutterwaveCharge

Status = FlutterwaveCharge.Status

# A temporary (is_permanent false) account can be paid for this long.
ACCOUNT_LIFETIME = timedelta(hours=1)
SANDBOX_BANK = "Sandbox Bank"
WEBHOOK_HASH_HEADER = "verif-hash"


class DuplicateReference(ValueError):
    """A charge with this tx_ref exists already."""


def create_charge(
    *,
    tx_ref: str,
    amount: Decimal,
    email: str,
    fullname: str = "",
    phone_number: str = "",
) -> FlutterwaveCharge:
    """A pending bank-transfer charge with a fresh account to pay AMOUNT (NGN) into."""
    charge = FlutterwaveCharge(
        tx_ref=tx_ref,
        flw_ref=f"FLW-SANDBOX-{secrets.token_hex(8).upper()}",
        amount_expected=amount,
        email=email,
        fullname=fullname,
        phone_number=phone_number,
        # Nigerian NUBANs have 10 digits; "99" keeps sandbox ones recognisable.
        account_number=f"99{secrets.randbelow(10**8):08d}",
        bank_name=SANDBOX_BANK,
        expires_at=timezone.now() + ACCOUNT_LIFETIME,
    )
    try:
        with transaction.atomic():
            charge.save()
    except IntegrityError:
        if FlutterwaveCharge.objects.filter(tx_ref=tx_ref).exists():
            raise DuplicateReference(tx_ref) from None
        raise
    return charge


def pay_charge(
    tx_ref: str,
    *,
    amount_ngn: Decimal | None = None,
    currency: str = "NGN",
    status: str = Status.SUCCESSFUL,
) -> FlutterwaveCharge:
    """Settle the pending charge TX_REF as if the payer sent AMOUNT_NGN (default: the expected).

    Compare-and-swap on the pending status: a charge is paid once. Raises
    FlutterwaveCharge.DoesNotExist for an unknown tx_ref, ValueError when it is not pending.
    """
    if status not in (Status.SUCCESSFUL, Status.FAILED):
        raise ValueError(f"A paid charge ends successful or failed, not {status!r}.")
    charge = FlutterwaveCharge.objects.get(tx_ref=tx_ref)
    paid = charge.amount_expected if amount_ngn is None else Decimal(str(amount_ngn))
    settled = FlutterwaveCharge.objects.filter(pk=charge.pk, status=Status.PENDING).update(
        status=status, amount_paid=paid, currency=currency.upper(), paid_at=timezone.now()
    )
    if settled != 1:
        raise ValueError(f"Charge {tx_ref} is not pending any more.")
    charge.refresh_from_db()
    return charge


def charge_completed_webhook(tx_ref: str) -> dict:
    """The v3 `charge.completed` webhook body for the charge TX_REF as it stands now."""
    charge = FlutterwaveCharge.objects.get(tx_ref=tx_ref)
    return {
        "event": "charge.completed",
        "data": wire.charge_data(charge),
        "event.type": "BANK_TRANSFER_TRANSACTION",
    }


def webhook_headers() -> dict[str, str]:
    """Headers Flutterwave sends its webhooks with: the static secret hash (§1.9)."""
    return {WEBHOOK_HASH_HEADER: settings.FLUTTERWAVE_WEBHOOK_HASH}
