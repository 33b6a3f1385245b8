"""The sandbox action "pay this invoice": put a payment for an invoice on the fake chain.

Options make the payment wrong on purpose, so staff and tests can watch each refusal: the
hash to paste into the bot chat comes back. Bank invoices are paid in the fake Flutterwave.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_UP, Decimal

from apps.purchases.assets import ASSETS, NATIVE
from apps.purchases.verification import tolerance_usd
from apps.sandbox.chains.ledger import record_transfer

OPTIONS = {
    "exact": "Pay exactly the invoice",
    "underpay": "Pay too little (just outside the tolerance)",
    "overpay": "Pay too much (just outside the tolerance)",
    "wrong_token": "Send another coin or token",
    "wrong_recipient": "Pay another address",
    "failed": "A transaction that fails on chain",
    "few_confirmations": "Only one confirmation so far",
    "too_old": "A transaction made an hour before the invoice",
}
OTHER_TOKENS = {
    "bsc": "0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d",
    "tron": "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8",
    "solana": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    "aptos": "0x000000000000000000000000000000000000000000000000000000000000000b",
}
STRANGER = {
    "bsc": "0x000000000000000000000000000000000000dead",
    "tron": "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
    "solana": "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM",
    "aptos": "0x000000000000000000000000000000000000000000000000000000000000dead",
}


def pay_invoice(invoice, option: str = "exact"):
    """Record a transfer paying INVOICE (as OPTION says) and return it (its tx_hash to paste)."""
    if option not in OPTIONS:
        raise ValueError(f"Unknown option {option!r}.")
    if invoice.amount_due is None or invoice.is_bank_transfer:
        raise ValueError("Only a quoted crypto invoice can be paid on a chain.")
    paid = ASSETS[invoice.method]
    token = "" if paid.token == NATIVE else paid.token
    recipient = invoice.deposit_address
    amount = _amount(invoice, option)
    if option == "wrong_token":
        token = OTHER_TOKENS[paid.network] if paid.token == NATIVE else ""
    if option == "wrong_recipient":
        recipient = STRANGER[paid.network]
    return record_transfer(
        paid.network,
        recipient=recipient,
        token=token,
        amount_units=to_units(amount, paid.decimals),
        succeeded=option != "failed",
        confirmations=1 if option == "few_confirmations" else 64,
        block_time=invoice.created_at - timedelta(hours=1) if option == "too_old" else None,
    )


def _amount(invoice, option: str) -> Decimal:
    if option not in ("underpay", "overpay"):
        return invoice.amount_due
    off_usd = tolerance_usd(invoice.amount_usd) + Decimal("0.01")
    price = invoice.coin_price_usd or Decimal(1)
    off_coins = off_usd / price
    return (
        invoice.amount_due - off_coins if option == "underpay" else invoice.amount_due + off_coins
    )


def to_units(amount: Decimal, decimals: int) -> int:
    return int((amount * (Decimal(10) ** decimals)).to_integral_value(rounding=ROUND_UP))
