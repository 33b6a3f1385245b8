"""The payment rules, once for every chain: given an invoice and what the chain says, decide.

Pure: no I/O, no writes. The order matters: a payment that can never count (failed, wrong
recipient, wrong token, wrong amount, older than the invoice) is rejected at once, even if it is
not yet deep enough; only a payment that is right in every way waits for confirmations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings

from apps.purchases.assets import asset
from apps.purchases.chains.base import ChainReceipt, TxStatus

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Accept:
    received_amount: Decimal
    received_usd: Decimal
    confirmations: int


@dataclass(frozen=True)
class Reject:
    code: str
    message: str  # what the user is told


@dataclass(frozen=True)
class Wait:
    code: str
    message: str  # for staff; the user keeps seeing "verifying"


Decision = Accept | Reject | Wait


def decide(invoice, receipt: ChainReceipt | None, *, now: datetime) -> Decision:
    if receipt is None:
        return Wait("not_found", "The chain does not know this transaction yet.")
    if receipt.status == TxStatus.PENDING:
        return Wait("pending", "The transaction is not included in a block yet.")
    if receipt.status == TxStatus.FAILED:
        return Reject("failed", "This transaction failed on the blockchain.")
    paid = asset(invoice.method)
    if not receipt.received:
        return Reject("wrong_recipient", "This transaction did not pay our deposit address.")
    if paid.token not in receipt.received:
        return Reject("wrong_token", f"This transaction did not send {paid.label}.")
    received = receipt.received[paid.token]
    received_usd = _usd_value(invoice, received)
    if abs(received_usd - invoice.amount_usd) > tolerance_usd(invoice.amount_usd):
        return Reject(
            "wrong_amount",
            f"The amount received ({_plain(received)} {paid.symbol}) does not match the "
            f"invoice ({_plain(invoice.amount_due)} {paid.symbol}).",
        )
    if _older_than_invoice(invoice, receipt.block_time):
        return Reject("too_old", "This transaction was made before your invoice was issued.")
    if not _deep_enough(invoice.network, receipt):
        return Wait("confirmations", f"{receipt.confirmations} confirmations so far.")
    return Accept(
        received_amount=received,
        received_usd=received_usd.quantize(CENT, rounding=ROUND_HALF_EVEN),
        confirmations=receipt.confirmations,
    )


def tolerance_usd(amount_usd: Decimal) -> Decimal:
    """The accepted difference for an invoice of AMOUNT_USD (absolute, or a percentage of it)."""
    percent = settings.PAYMENT_TOLERANCE_PERCENT
    if percent is not None:
        return amount_usd * percent / 100
    return settings.PAYMENT_TOLERANCE_USD


def _usd_value(invoice, received: Decimal) -> Decimal:
    """What RECEIVED is worth at the invoice's locked price (stablecoins: 1 coin = 1 USD)."""
    if invoice.coin_price_usd is None:
        return received
    return received * invoice.coin_price_usd


def _older_than_invoice(invoice, block_time: datetime | None) -> bool:
    if block_time is None:  # Solana may not know a block's time; depth still protects us
        return False
    skew = timedelta(seconds=settings.PAYMENT_CLOCK_SKEW_SECONDS)
    return block_time < invoice.created_at - skew


def _deep_enough(network: str, receipt: ChainReceipt) -> bool:
    return receipt.final or receipt.confirmations >= settings.PAYMENT_MIN_CONFIRMATIONS[network]


def _plain(amount: Decimal) -> str:
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def decide_bank(invoice, charge) -> Decision:
    """A bank-transfer invoice, from Flutterwave's answer for our tx_ref (None: not yet seen).

    Flutterwave's "pending" means pending (the old bot read it as failed). Paid means status
    successful, currency NGN and at least the amount asked; more is accepted, less is refused.
    """
    if charge is None:
        return Wait("not_found", "Flutterwave has no payment for this reference yet.")
    if charge.status in ("pending", "new", "pending_verification"):
        return Wait("pending", "Flutterwave reports the payment as pending.")
    if charge.status not in ("successful", "success", "completed"):
        return Reject("failed", "The bank transfer failed. No money was taken for this order.")
    if charge.currency != "NGN" or charge.amount < invoice.amount_due:
        return Reject(
            "underpaid",
            f"We received {charge.currency} {charge.amount:,.2f} but the invoice asked for "
            f"NGN {invoice.amount_due:,.2f}. Please contact @ViralCore_Support.",
        )
    return Accept(received_amount=charge.amount, received_usd=invoice.amount_usd, confirmations=1)
