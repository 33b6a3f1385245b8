"""Posting: the one place where balances change.

One posting is one database transaction:

1. insert the Transaction row inside a savepoint: its unique idempotency key decides, even
   between racing processes, whether this is new work or a replay (a replay returns the
   stored transaction and writes nothing);
2. insert the entries;
3. lock the touched accounts (FOR NO KEY UPDATE, in id order, so opposite transfers cannot
   deadlock), refuse if a user account would go below zero, update the cached balances;
4. record the audit event (it locks the audit chain head, always after the accounts).

Steps 1 and 2 run before the account locks so the locks are held for as little as possible.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from apps.audit.services import PendingEvent, append_event, prepare_event
from apps.common.correlation import get_correlation_id
from apps.ledger.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidTransaction,
    UnknownAccount,
)
from apps.ledger.models import Account, Transaction
from apps.ledger.services import statements
from apps.ledger.services.validation import (
    EXACT,
    PreparedPosting,
    check_positive,
    prepare_posting,
)
from apps.users.models import BotUser

POSTED_ACTION = "ledger.transaction_posted"
OBJECT_TYPE = "ledger_transaction"


@dataclass(frozen=True)
class Posted:
    transaction: Transaction
    created: bool  # False: the key was posted before with the same content (a replay)


def post_transaction(
    *,
    idempotency_key: str,
    kind: str,
    entries: list[tuple[Account, Decimal]],
    actor,
    memo: str = "",
    reverses: Transaction | None = None,
) -> Transaction:
    """Post ENTRIES (account, signed amount) as one transaction, exactly once per key.

    Posting the same key with the same content again returns the first transaction and changes
    nothing; the same key with different content raises IdempotencyConflict. Any refusal is a
    LedgerError and leaves the database as it was.
    """
    return post(
        idempotency_key=idempotency_key,
        kind=kind,
        entries=entries,
        actor=actor,
        memo=memo,
        reverses=reverses,
    ).transaction


def post(
    *,
    idempotency_key: str,
    kind: str,
    entries: list[tuple[Account, Decimal]],
    actor,
    memo: str = "",
    reverses: Transaction | None = None,
) -> Posted:
    """post_transaction, also telling whether this call wrote it (for the services above it)."""
    posting = prepare_posting(
        idempotency_key=idempotency_key,
        kind=kind,
        entries=entries,
        actor=actor,
        memo=memo,
        reverses=reverses,
    )
    with transaction.atomic():
        stored, created = _insert_or_replay(posting)
        if not created:
            return Posted(stored, created=False)
        statements.insert_entries(transaction_id=stored.pk, legs=posting.legs)
        # Serialised before the locks: the locked window holds only SQL and the chain append.
        event = _posted_event(stored, posting)
        accounts = _lock_accounts(posting)
        _update_balances(posting, accounts)
        append_event(event)
    return Posted(stored, created=True)


def transfer(
    *,
    source: Account,
    destination: Account,
    amount: Decimal,
    idempotency_key: str,
    kind: str,
    actor,
    memo: str = "",
) -> Transaction:
    """Move AMOUNT (more than zero) from SOURCE to DESTINATION."""
    if not isinstance(source, Account):
        raise UnknownAccount("The source of a transfer must be a ledger Account.")
    check_positive(amount, currency=source.currency, what="transfer amount")
    return post_transaction(
        idempotency_key=idempotency_key,
        kind=kind,
        entries=[(source, -amount), (destination, amount)],
        actor=actor,
        memo=memo,
    )


def _insert_or_replay(posting: PreparedPosting) -> tuple[Transaction, bool]:
    row = Transaction(
        idempotency_key=posting.idempotency_key,
        kind=posting.kind,
        memo=posting.memo,
        actor_type=posting.actor.type,
        actor_id=posting.actor.id,
        actor_label=posting.actor.label,
        correlation_id=get_correlation_id() or "",
        fingerprint=posting.fingerprint,
        reverses=posting.reverses,
    )
    # A racing poster of the same key waits on the unique index until we commit, then inserts
    # nothing and reads our row: one of them posts, never both.
    if statements.insert_transaction(row):
        return row, True
    existing = Transaction.objects.filter(idempotency_key=posting.idempotency_key).first()
    if existing is not None:
        return _replay(posting, existing), False
    if posting.reverses is None:  # pragma: no cover - only two unique columns can conflict
        raise InvalidTransaction("The transaction could not be stored; nothing was posted.")
    # The other unique column: `reverses`, taken by a reversal under another key.
    raise AlreadyReversed(
        f"Transaction #{posting.reverses.pk} was already reversed by another transaction."
    )


def _replay(posting: PreparedPosting, existing: Transaction) -> Transaction:
    if existing.fingerprint != posting.fingerprint:
        raise IdempotencyConflict(
            f"Key {posting.idempotency_key!r} was already used for a different transaction "
            f"(#{existing.pk}); use a new key for new work."
        )
    return existing


def _lock_accounts(posting: PreparedPosting) -> dict[int, Account]:
    """The touched accounts, locked in id order; refuses ids or currencies that do not exist."""
    wanted = sorted(posting.deltas)
    accounts = statements.lock_accounts(wanted)
    missing = [account_id for account_id in wanted if account_id not in accounts]
    if missing:
        raise UnknownAccount(f"No ledger account with id {', '.join(map(str, missing))}.")
    for given, _ in posting.legs:
        if given.currency != accounts[given.pk].currency:
            raise InvalidTransaction(
                f"Account #{given.pk} is in {accounts[given.pk].currency}, "
                f"not {given.currency} as the entry says."
            )
    return accounts


def _update_balances(posting: PreparedPosting, accounts: dict[int, Account]) -> None:
    deltas = posting.deltas
    with decimal.localcontext(EXACT):
        for account_id, delta in deltas.items():
            account = accounts[account_id]
            new_balance = account.balance + delta
            if account.is_user_account and new_balance < 0:
                raise InsufficientFunds(
                    f"Insufficient funds in {account}: balance {account.balance}, needs {-delta}."
                )
            account.balance = new_balance
    statements.add_to_balances(deltas)


def _posted_event(stored: Transaction, posting: PreparedPosting) -> PendingEvent:
    telegram_ids = _owner_telegram_ids(posting)
    entries = [
        _entry_document(account, amount, telegram_ids.get(account.owner_id))
        for account, amount in posting.legs
    ]
    return prepare_event(
        actor=posting.actor,
        action=POSTED_ACTION,
        object_type=OBJECT_TYPE,
        object_id=stored.pk,
        after={
            "idempotency_key": stored.idempotency_key,
            "kind": stored.kind,
            "memo": stored.memo,
            "reverses": stored.reverses_id,
            "entries": entries,
        },
        search_terms=[stored.idempotency_key, *sorted(set(telegram_ids.values()))],
    )


# A bot user's Telegram id never changes, so each process asks the database once per owner.
# Bounded: emptied when full (a worker meets far fewer owners between restarts).
_TELEGRAM_IDS: dict[int, int] = {}
_TELEGRAM_IDS_MAX = 50_000


def _owner_telegram_ids(posting: PreparedPosting) -> dict[int, int]:
    owner_ids = {account.owner_id for account, _ in posting.legs if account.owner_id}
    missing = [owner_id for owner_id in owner_ids if owner_id not in _TELEGRAM_IDS]
    if missing:
        if len(_TELEGRAM_IDS) + len(missing) > _TELEGRAM_IDS_MAX:
            _TELEGRAM_IDS.clear()
        # One query for all of them: an opening-balance posting names hundreds of owners.
        found = BotUser.objects.filter(pk__in=missing).values_list("pk", "telegram_id")
        _TELEGRAM_IDS.update(found)
    return {owner_id: _TELEGRAM_IDS[owner_id] for owner_id in owner_ids}


def forget_telegram_ids() -> None:
    """Tests: rolled-back databases hand out the same bot user ids again."""
    _TELEGRAM_IDS.clear()


def _entry_document(account: Account, amount: Decimal, owner_telegram_id: int | None) -> dict:
    return {
        "account": account.pk,
        "owner_telegram_id": owner_telegram_id,
        "kind": account.kind,
        "currency": account.currency,
        "amount": str(amount),
    }
