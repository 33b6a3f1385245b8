"""A posting's round trips are its cost under a hot-account lock: pin them."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.ledger.models import AccountKind, TransactionKind
from apps.ledger.services import system_account, transfer
from tests.ledger.factories import TEST_ACTOR, funded_account

pytestmark = pytest.mark.django_db


def test_a_posting_takes_a_fixed_small_number_of_queries():
    account = funded_account("100.00")
    revenue = system_account(kind=AccountKind.REVENUE, currency="USD")
    with CaptureQueriesContext(connection) as queries:
        transfer(
            source=account,
            destination=revenue,
            amount=Decimal("1.00"),
            idempotency_key="budget:1",
            kind=TransactionKind.PURCHASE,
            actor=TEST_ACTOR,
        )
    # Savepoint + insert + release (idempotency), entries, lock, balances, the audit event
    # (savepoint, head lock, insert, head update, search terms, release), plus the savepoint
    # pair of the outer atomic (a savepoint here, because the test runs inside a transaction).
    assert len(queries) <= 14
