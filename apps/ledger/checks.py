"""The ledger's invariants, proved from the database (manage.py ledger_check, nightly task).

Each check is one query whose WHERE/HAVING returns only offending rows, so the work stays in
the database however many accounts there are. On SQLite, sums of decimals are computed in
floating point, so the database may flag a row whose difference is a rounding artefact;
every flagged row is therefore re-compared in Python as Decimal before it is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from apps.ledger.models import (
    MONEY_FIELD,
    ZERO,
    Account,
    AccountKind,
    Entry,
    Hold,
    HoldStatus,
    Transaction,
)


@dataclass(frozen=True)
class Violation:
    object_type: str  # "account" or "transaction"
    object_id: int
    problem: str

    def __str__(self) -> str:
        return f"{self.object_type} #{self.object_id}: {self.problem}"


@dataclass
class LedgerReport:
    accounts: int = 0
    transactions: int = 0
    entries: int = 0
    violations: list[Violation] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.accounts} accounts, {self.transactions} transactions, {self.entries} entries"


def run_ledger_check() -> LedgerReport:
    """Check every invariant of the ledger and report what is wrong, if anything."""
    report = LedgerReport(
        accounts=Account.objects.count(),
        transactions=Transaction.objects.count(),
        entries=Entry.objects.count(),
    )
    for check in (
        cached_balance_mismatches,
        negative_user_balances,
        unbalanced_transactions,
        transactions_without_two_entries,
        entries_in_wrong_currency,
        held_total_mismatches,
    ):
        report.violations.extend(check())
    return report


def cached_balance_mismatches() -> list[Violation]:
    """Accounts whose cached balance differs from the sum of their entries (one GROUP BY)."""
    money = DecimalField(**MONEY_FIELD)
    rows = (
        Account.objects.annotate(
            entries_total=Coalesce(Sum("entries__amount"), Value(ZERO), output_field=money)
        )
        .filter(~Q(balance=F("entries_total")))
        .values_list("pk", "balance", "entries_total")
        .order_by("pk")
    )
    exact = ((pk, _decimal(balance), _decimal(total)) for pk, balance, total in rows)
    return [
        Violation("account", pk, f"cached balance {balance} but its entries sum to {total}")
        for pk, balance, total in exact
        if balance != total
    ]


def negative_user_balances() -> list[Violation]:
    rows = Account.objects.filter(owner__isnull=False, balance__lt=0).values_list("pk", "balance")
    return [
        Violation("account", pk, f"user balance is negative ({balance})")
        for pk, balance in rows.order_by("pk")
    ]


def unbalanced_transactions() -> list[Violation]:
    """Transactions whose entries of one currency do not sum to zero."""
    rows = (
        Entry.objects.values("transaction_id", "currency")
        .annotate(total=Sum("amount"))
        .filter(~Q(total=0))
        .values_list("transaction_id", "currency", "total")
        .order_by("transaction_id", "currency")
    )
    exact = (
        (transaction_id, currency, _decimal(total)) for transaction_id, currency, total in rows
    )
    return [
        Violation("transaction", transaction_id, f"{currency} entries sum to {total}, not 0")
        for transaction_id, currency, total in exact
        if total != 0
    ]


def transactions_without_two_entries() -> list[Violation]:
    rows = (
        Transaction.objects.alias(entry_count=Count("entries"))
        .filter(entry_count__lt=2)
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    return [Violation("transaction", pk, "has fewer than two entries") for pk in rows]


def entries_in_wrong_currency() -> list[Violation]:
    rows = (
        Entry.objects.exclude(currency=F("account__currency"))
        .values_list("transaction_id", "pk", "currency", "account_id")
        .order_by("pk")
    )
    return [
        Violation("transaction", tx_id, f"entry #{pk} is in {currency}, account #{acc} is not")
        for tx_id, pk, currency, acc in rows
    ]


def held_total_mismatches() -> list[Violation]:
    """Each "withdrawals held" account must hold exactly the open holds of its currency."""
    open_holds = dict(
        Hold.objects.filter(status=HoldStatus.HELD)
        .values("currency")
        .annotate(total=Sum("amount"))
        .values_list("currency", "total")
    )
    held_accounts = Account.objects.filter(
        owner__isnull=True, kind=AccountKind.WITHDRAWALS_HELD
    ).values_list("pk", "currency", "balance")
    violations = []
    for pk, currency, balance in held_accounts:
        expected = _decimal(open_holds.get(currency) or ZERO)
        if _decimal(balance) != expected:
            problem = f"holds {balance} {currency} but the open holds total {expected}"
            violations.append(Violation("account", pk, problem))
    return violations


def _decimal(value) -> Decimal:
    # Django already converts aggregates to Decimal; on SQLite they were summed as binary
    # floating point, so round to the cent to get back the exact figure before comparing.
    return Decimal(str(value)).quantize(Decimal("0.01"))
