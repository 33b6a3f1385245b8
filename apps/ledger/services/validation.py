"""Checks that run before anything is written: amounts, entries, keys, actors.

Everything here is pure Python on the values passed in; the posting service repeats the checks
that depend on the database (the account exists, its currency) against the locked rows.
"""

from __future__ import annotations

import decimal
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from apps.audit.actors import Actor, as_actor
from apps.common.money import MAX_AMOUNT, currency_places
from apps.ledger.errors import (
    FloatAmountRefused,
    InvalidActor,
    InvalidAmount,
    InvalidTransaction,
    LedgerError,
    NonPositiveAmount,
    UnbalancedTransaction,
    UnknownAccount,
)
from apps.ledger.models import Account, Currency, Transaction, TransactionKind

MAX_KEY_LENGTH = Transaction._meta.get_field("idempotency_key").max_length

# Sums of amounts with two places never need rounding at 40 digits; trapping Inexact proves it,
# and a local context keeps a library that changes the global one from touching our figures.
EXACT = decimal.Context(
    prec=40,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero],
)


@dataclass(frozen=True)
class PreparedPosting:
    """A posting that passed every check that needs no database."""

    idempotency_key: str
    kind: str
    memo: str
    actor: Actor
    legs: tuple[tuple[Account, Decimal], ...]
    reverses: Transaction | None
    fingerprint: str

    @cached_property
    def deltas(self) -> dict[int, Decimal]:
        """Net change per account id (an account may appear in several entries)."""
        totals: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
        with decimal.localcontext(EXACT):
            for account, amount in self.legs:
                totals[account.pk] += amount
        return dict(totals)


def check_amount(amount, *, currency: str, what: str = "amount") -> Decimal:
    """AMOUNT if it is a non-zero Decimal exact to CURRENCY's places; a LedgerError if not."""
    if isinstance(amount, float):
        raise FloatAmountRefused(
            f"{what} {amount!r} is a float; floats are refused for money because they cannot "
            "hold cents exactly. Pass a Decimal made from text, e.g. Decimal('10.50')."
        )
    if not isinstance(amount, Decimal):
        raise InvalidAmount(f"{what} must be a Decimal, not {type(amount).__name__}: {amount!r}.")
    if not amount.is_finite():
        raise InvalidAmount(f"{what} {amount} is not an amount of money.")
    if amount == 0:
        raise InvalidAmount(f"{what} is zero; an entry must move money.")
    if abs(amount) > MAX_AMOUNT:
        raise InvalidAmount(f"{what} {amount} is larger than the ledger accepts ({MAX_AMOUNT}).")
    places = currency_places(currency)
    try:
        with decimal.localcontext(EXACT):
            # Same value with exactly the currency's places, so "10.5" and "10.50" are one
            # amount; Inexact is trapped, so this never rounds.
            return amount.quantize(Decimal(1).scaleb(-places))
    except decimal.Inexact:
        raise InvalidAmount(
            f"{what} {amount} has more than {places} decimal places for {currency}; round it "
            "explicitly (apps.common.money.quantize_money) before posting."
        ) from None


def check_positive(amount, *, currency: str, what: str = "amount") -> Decimal:
    """AMOUNT if it is a valid amount above zero: the direction is given by other arguments."""
    if isinstance(amount, Decimal) and amount.is_finite() and amount <= 0:
        raise NonPositiveAmount(
            f"{what} must be more than zero, got {amount}; the direction is given separately "
            "(swap source and destination, or choose credit or debit)."
        )
    return check_amount(amount, currency=currency, what=what)


def required_text(value, *, what: str, error: type[LedgerError] = InvalidTransaction) -> str:
    """VALUE without surrounding spaces; ERROR when it is missing or blank."""
    if not isinstance(value, str) or not value.strip():
        raise error(f"A {what} is required and cannot be blank.")
    return value.strip()


def prepare_posting(
    *,
    idempotency_key,
    kind,
    entries,
    actor,
    memo="",
    reverses=None,
) -> PreparedPosting:
    """Check every argument of a posting; raise a LedgerError on the first that is wrong."""
    key = _check_key(idempotency_key)
    if kind not in TransactionKind.values:
        raise InvalidTransaction(
            f"Unknown transaction kind {kind!r}; use one of {', '.join(TransactionKind.values)}."
        )
    if not isinstance(memo, str):
        raise InvalidTransaction("The memo must be text.")
    legs = _check_entries(entries)
    _check_balanced(legs)
    if reverses is not None and (not isinstance(reverses, Transaction) or reverses.pk is None):
        raise InvalidTransaction("reverses must be a saved ledger Transaction.")
    checked_actor = _check_actor(actor)
    return PreparedPosting(
        idempotency_key=key,
        kind=kind,
        memo=memo,
        actor=checked_actor,
        legs=legs,
        reverses=reverses,
        fingerprint=fingerprint_of(kind=kind, legs=legs, memo=memo, reverses=reverses),
    )


def fingerprint_of(*, kind: str, legs: Iterable, memo: str, reverses) -> str:
    """SHA-256 of what a transaction does, to tell an honest retry from a reused key."""
    entries = sorted((account.pk, amount) for account, amount in legs)
    content = {
        "kind": kind,
        "entries": [[account_id, str(amount)] for account_id, amount in entries],
        "memo": memo,
        "reverses": reverses.pk if reverses is not None else None,
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def _check_key(key) -> str:
    if not isinstance(key, str) or not key.strip():
        raise InvalidTransaction("An idempotency key is required: it names the business event.")
    if key != key.strip():
        raise InvalidTransaction(f"Idempotency key {key!r} has leading or trailing spaces.")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidTransaction(f"Idempotency keys are at most {MAX_KEY_LENGTH} characters.")
    return key


def _check_entries(entries) -> tuple[tuple[Account, Decimal], ...]:
    if not isinstance(entries, list | tuple) or len(entries) < 2:
        raise InvalidTransaction("A transaction needs at least two entries (account, amount).")
    legs = []
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            raise InvalidTransaction(f"Entry {position} must be an (account, amount) pair.")
        account, amount = entry
        _check_account(account, position=position)
        amount = check_amount(amount, currency=account.currency, what=f"entry {position} amount")
        legs.append((account, amount))
    if len({account.pk for account, _ in legs}) < 2:
        raise InvalidTransaction("A transaction must move money between at least two accounts.")
    return tuple(legs)


def _check_account(account, *, position: int) -> None:
    if not isinstance(account, Account):
        raise UnknownAccount(
            f"Entry {position} names {type(account).__name__}, not a ledger Account."
        )
    if account.pk is None:
        raise UnknownAccount(
            f"Entry {position} names an unsaved account; get it with user_account() or "
            "system_account()."
        )
    if account.currency not in Currency.values:
        raise UnknownAccount(f"Account #{account.pk} has unknown currency {account.currency!r}.")


def _check_balanced(legs) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with decimal.localcontext(EXACT):
        for account, amount in legs:
            totals[account.currency] += amount
    unbalanced = {currency: total for currency, total in totals.items() if total != 0}
    if not unbalanced:
        return
    sums = ", ".join(f"{currency} sums to {total}" for currency, total in sorted(totals.items()))
    hint = (
        " Each currency must balance on its own: convert through the fx accounts."
        if len(totals) > 1
        else ""
    )
    raise UnbalancedTransaction(f"Entries do not balance: {sums}.{hint}")


def _check_actor(actor) -> Actor:
    try:
        return as_actor(actor)
    except TypeError as error:
        raise InvalidActor(str(error)) from None
