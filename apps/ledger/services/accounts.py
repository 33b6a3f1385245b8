"""Finding (and on first use creating) the accounts that postings name."""

from __future__ import annotations

from django.db import IntegrityError

from apps.ledger.errors import InvalidTransaction
from apps.ledger.models import SYSTEM_KINDS, USER_ACCOUNT_CURRENCY, Account, Currency


def user_account(*, owner, kind: str) -> Account:
    """OWNER's account of KIND ("affiliate" in USD, "earnings" in NGN), created when missing."""
    if owner is None or owner.pk is None:
        raise InvalidTransaction("A user account needs a saved bot user as its owner.")
    if kind not in USER_ACCOUNT_CURRENCY:
        kinds = ", ".join(sorted(USER_ACCOUNT_CURRENCY))
        raise InvalidTransaction(f"{kind!r} is not a user account kind; use one of {kinds}.")
    return _get_or_create(owner=owner, kind=kind, currency=USER_ACCOUNT_CURRENCY[kind])


def system_account(*, kind: str, currency: str) -> Account:
    """The one system account of KIND in CURRENCY, created when missing."""
    if kind not in SYSTEM_KINDS:
        raise InvalidTransaction(
            f"{kind!r} is not a system account kind; use one of {', '.join(SYSTEM_KINDS)}."
        )
    if currency not in Currency.values:
        raise InvalidTransaction(f"{currency!r} is not a ledger currency.")
    return _get_or_create(owner=None, kind=kind, currency=currency)


def _get_or_create(**identity) -> Account:
    # Two first postings for one user race to create the account. get_or_create inserts inside
    # a savepoint, so losing the race on the unique constraint leaves our transaction usable,
    # and it re-reads the winner's row; the retry here is the belt to those braces.
    try:
        account, _ = Account.objects.get_or_create(**identity)
    except IntegrityError:
        account = Account.objects.get(**identity)
    return account


def user_accounts(*, owners, kind: str) -> dict[int, Account]:
    """OWNERS' accounts of KIND by owner id, the missing ones created in one statement.

    For bulk work (the legacy import opens thousands of balances): get-or-create one by one
    would cost a round trip per user. Conflicting inserts by a racing process are ignored and
    the winners' rows read back.
    """
    if kind not in USER_ACCOUNT_CURRENCY:
        raise InvalidTransaction(f"{kind!r} is not a user account kind.")
    currency = USER_ACCOUNT_CURRENCY[kind]
    owner_ids = sorted({owner.pk for owner in owners})
    existing = _by_owner(owner_ids, kind)
    missing = [pk for pk in owner_ids if pk not in existing]
    if missing:
        Account.objects.bulk_create(
            [Account(owner_id=pk, kind=kind, currency=currency) for pk in missing],
            ignore_conflicts=True,
        )
        existing = _by_owner(owner_ids, kind)
    return existing


def _by_owner(owner_ids: list[int], kind: str) -> dict[int, Account]:
    accounts = Account.objects.filter(owner_id__in=owner_ids, kind=kind)
    return {account.owner_id: account for account in accounts}
