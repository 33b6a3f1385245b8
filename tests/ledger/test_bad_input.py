"""Every malformed request is refused with a clear LedgerError, and nothing is written."""

from decimal import Decimal

import pytest

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
from apps.ledger.models import Account, AccountKind, TransactionKind
from apps.ledger.services import post_transaction, system_account, transfer, user_account
from tests.factories import BotUserFactory
from tests.ledger.factories import TEST_ACTOR, UserAccountFactory, funded_account
from tests.ledger.helpers import nothing_written

pytestmark = pytest.mark.django_db


@pytest.fixture
def usd_pair():
    """A funded user account and the revenue account, created before any snapshot."""
    return funded_account("100.00"), system_account(kind=AccountKind.REVENUE, currency="USD")


def post(entries, **overrides):
    arguments = {
        "idempotency_key": "bad:1",
        "kind": TransactionKind.PURCHASE,
        "entries": entries,
        "actor": TEST_ACTOR,
    }
    arguments.update(overrides)
    return post_transaction(**arguments)


def test_unbalanced_entries_are_refused_with_the_sums(usd_pair):
    account, revenue = usd_pair
    with nothing_written(), pytest.raises(UnbalancedTransaction, match=r"USD sums to -1\.00"):
        post([(account, Decimal("-10.00")), (revenue, Decimal("9.00"))])


def test_a_single_entry_is_refused(usd_pair):
    account, _ = usd_pair
    with nothing_written(), pytest.raises(InvalidTransaction, match="at least two entries"):
        post([(account, Decimal("-10.00"))])


def test_entries_on_one_account_only_are_refused(usd_pair):
    account, _ = usd_pair
    with nothing_written(), pytest.raises(InvalidTransaction, match="at least two accounts"):
        post([(account, Decimal("-10.00")), (account, Decimal("10.00"))])


def test_negative_transfer_amount_is_refused_instead_of_reversing_direction(usd_pair):
    account, revenue = usd_pair
    with nothing_written(), pytest.raises(NonPositiveAmount, match="more than zero"):
        transfer(
            source=revenue,
            destination=account,
            amount=Decimal("-5.00"),
            idempotency_key="bad:2",
            kind=TransactionKind.PURCHASE,
            actor=TEST_ACTOR,
        )


def test_currency_mismatch_is_refused_and_points_at_fx(usd_pair):
    account, _ = usd_pair
    naira = system_account(kind=AccountKind.REVENUE, currency="NGN")
    with nothing_written(), pytest.raises(UnbalancedTransaction, match="fx accounts") as refused:
        post([(account, Decimal("-10.00")), (naira, Decimal("10.00"))])
    assert "NGN sums to 10.00" in str(refused.value)
    assert "USD sums to -10.00" in str(refused.value)


def test_unsaved_account_is_refused(usd_pair):
    _, revenue = usd_pair
    unsaved = Account(owner=BotUserFactory(), kind=AccountKind.AFFILIATE, currency="USD")
    with nothing_written(), pytest.raises(UnknownAccount, match="unsaved account"):
        post([(unsaved, Decimal("-1.00")), (revenue, Decimal("1.00"))])


def test_account_id_that_does_not_exist_is_refused(usd_pair):
    _, revenue = usd_pair
    ghost = Account(pk=987654, kind=AccountKind.AFFILIATE, currency="USD")
    with nothing_written(), pytest.raises(UnknownAccount, match="987654"):
        post([(ghost, Decimal("-1.00")), (revenue, Decimal("1.00"))])


def test_something_that_is_not_an_account_is_refused(usd_pair):
    _, revenue = usd_pair
    with nothing_written(), pytest.raises(UnknownAccount, match="not a ledger Account"):
        post([("alice", Decimal("-1.00")), (revenue, Decimal("1.00"))])


def test_a_float_amount_is_refused_and_says_so(usd_pair):
    account, revenue = usd_pair
    with nothing_written(), pytest.raises(FloatAmountRefused, match="floats are refused"):
        post([(account, -1.5), (revenue, Decimal("1.50"))])
    assert issubclass(FloatAmountRefused, TypeError)


def test_an_int_amount_is_refused(usd_pair):
    account, revenue = usd_pair
    with nothing_written(), pytest.raises(InvalidAmount, match="must be a Decimal"):
        post([(account, -1), (revenue, Decimal("1.00"))])


def test_more_decimal_places_than_the_currency_are_refused_not_rounded(usd_pair):
    account, revenue = usd_pair
    with nothing_written(), pytest.raises(InvalidAmount, match="more than 2 decimal places"):
        post([(account, Decimal("-1.005")), (revenue, Decimal("1.005"))])


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("NaN"), Decimal("Infinity")])
def test_zero_and_non_numbers_are_refused(usd_pair, amount):
    account, revenue = usd_pair
    with nothing_written(), pytest.raises(InvalidAmount):
        post([(account, amount), (revenue, -amount)])


def test_an_absurdly_large_amount_is_refused(usd_pair):
    account, revenue = usd_pair
    with nothing_written(), pytest.raises(InvalidAmount, match="larger than the ledger accepts"):
        post([(revenue, Decimal("-1000000000000.00")), (account, Decimal("1000000000000.00"))])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"idempotency_key": ""}, "idempotency key is required"),
        ({"idempotency_key": " padded "}, "spaces"),
        ({"idempotency_key": "k" * 300}, "at most 255"),
        ({"kind": "gift"}, "Unknown transaction kind"),
        ({"memo": None}, "memo must be text"),
    ],
)
def test_malformed_key_kind_or_memo_is_refused(usd_pair, overrides, message):
    account, revenue = usd_pair
    with nothing_written(), pytest.raises(InvalidTransaction, match=message):
        post([(account, Decimal("-1.00")), (revenue, Decimal("1.00"))], **overrides)


def test_a_posting_without_an_actor_is_refused(usd_pair):
    account, revenue = usd_pair
    with nothing_written(), pytest.raises(InvalidActor, match="names its actor"):
        post([(account, Decimal("-1.00")), (revenue, Decimal("1.00"))], actor=None)


def test_every_refusal_is_a_ledger_error():
    for error in (
        FloatAmountRefused,
        InvalidActor,
        InvalidAmount,
        NonPositiveAmount,
        UnbalancedTransaction,
        UnknownAccount,
    ):
        assert issubclass(error, LedgerError)


def test_user_account_refuses_a_system_kind_and_system_account_a_user_kind():
    owner = BotUserFactory()
    with pytest.raises(InvalidTransaction, match="not a user account kind"):
        user_account(owner=owner, kind=AccountKind.REVENUE)
    with pytest.raises(InvalidTransaction, match="not a system account kind"):
        system_account(kind=AccountKind.AFFILIATE, currency="USD")
    with pytest.raises(InvalidTransaction, match="not a ledger currency"):
        system_account(kind=AccountKind.REVENUE, currency="EUR")
    assert not Account.objects.filter(owner=owner).exists()


@pytest.mark.usefixtures("usd_pair")
def test_entry_currency_is_checked_against_the_stored_account():
    stale = UserAccountFactory()
    stale.currency = "NGN"  # what the caller believes; the row says USD
    naira = system_account(kind=AccountKind.REVENUE, currency="NGN")
    with nothing_written(), pytest.raises(InvalidTransaction, match="is in USD"):
        post([(stale, Decimal("1.00")), (naira, Decimal("-1.00"))])
