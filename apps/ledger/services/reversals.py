"""Reversals: entries are never edited, so a mistake is undone by posting its mirror image."""

from __future__ import annotations

# Aliased: the brief's keyword argument `transaction` would shadow the module.
from django.db import transaction as db_transaction

from apps.audit.services import record_event
from apps.ledger.errors import AlreadyReversed, IdempotencyConflict, InvalidTransaction
from apps.ledger.models import Transaction, TransactionKind
from apps.ledger.services.posting import OBJECT_TYPE, post
from apps.ledger.services.validation import required_text

REVERSED_ACTION = "ledger.transaction_reversed"


def reverse_transaction(*, transaction: Transaction, actor, reason: str) -> Transaction:
    """Post the negation of TRANSACTION under key reversal:<its key>; returns the reversal.

    A transaction is reversed at most once: asking again with the same reason returns the
    first reversal, with another reason it is refused. A reversal that would take a user
    account below zero (the money was spent meanwhile) is refused with InsufficientFunds.
    """
    original = _check_reversible(transaction)
    reason = required_text(reason, what="reason for the reversal")
    legs = [(entry.account, -entry.amount) for entry in original.entries.select_related("account")]
    with db_transaction.atomic():
        try:
            posted = post(
                idempotency_key=f"reversal:{original.idempotency_key}",
                kind=TransactionKind.REVERSAL,
                entries=legs,
                actor=actor,
                memo=reason,
                reverses=original,
            )
        except IdempotencyConflict:
            raise AlreadyReversed(
                f"Transaction #{original.pk} was already reversed, for another reason."
            ) from None
        if posted.created:
            record_event(
                actor=actor,
                action=REVERSED_ACTION,
                object_type=OBJECT_TYPE,
                object_id=original.pk,
                after={
                    "reversal": posted.transaction.pk,
                    "idempotency_key": original.idempotency_key,
                },
                reason=reason,
                search_terms=[original.idempotency_key],
            )
    return posted.transaction


def _check_reversible(original) -> Transaction:
    if not isinstance(original, Transaction) or original.pk is None:
        raise InvalidTransaction("Only a saved ledger Transaction can be reversed.")
    if original.reverses_id is not None:
        raise AlreadyReversed(
            f"Transaction #{original.pk} is itself a reversal; post a new transaction instead "
            "of reversing the reversal."
        )
    return original
