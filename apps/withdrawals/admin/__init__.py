"""The withdrawals admin: finance's approval queue, the Flutterwave webhook log and payout
reconciliation (apps/withdrawals/admin_reconciliation.py, registered by importing it here).

Every page reads (apps/withdrawals/selectors.py) or calls a service (services/approvals.py);
nothing here writes a model.
"""

from apps.withdrawals import admin_reconciliation
from apps.withdrawals.admin import events, withdrawals

__all__ = ["admin_reconciliation", "events", "withdrawals"]
