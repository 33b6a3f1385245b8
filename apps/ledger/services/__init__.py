"""Every write to the ledger. Views, admin actions, tasks and other apps call these."""

from apps.ledger.services.accounts import system_account, user_account
from apps.ledger.services.adjustments import (
    approve_adjustment,
    propose_adjustment,
    reject_adjustment,
)
from apps.ledger.services.holds import hold_funds, release_hold, settle_hold
from apps.ledger.services.posting import post_transaction, transfer
from apps.ledger.services.reversals import reverse_transaction

__all__ = [
    "approve_adjustment",
    "hold_funds",
    "post_transaction",
    "propose_adjustment",
    "reject_adjustment",
    "release_hold",
    "reverse_transaction",
    "settle_hold",
    "system_account",
    "transfer",
    "user_account",
]
