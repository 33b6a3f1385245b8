"""Staff roles: each group and exactly the permissions it holds.

`manage.py setup_roles` makes the database match this table (adding and removing), so the
table is the single answer to "who may do what". Apps add their models' permissions here as
they arrive.
"""

SUPPORT = "Support"
FINANCE = "Finance"
SENIOR_FINANCE = "Senior finance"

# Reading what happened: every role.
_READ = [
    "users.view_botuser",
    "audit.view_auditevent",
    "users.export_audit",
    "ledger.view_account",
    "ledger.view_transaction",
    "ledger.view_entry",
    "ledger.view_hold",
    "ledger.view_adjustment",
    # Purchases: the catalogue and its price history, invoices, claims, purchases with their
    # credit changes, custom plans and fulfilment tasks (support answers "where are my posts").
    "purchases.view_plan",
    "purchases.view_planrevision",
    "purchases.view_invoice",
    "purchases.view_paymentclaim",
    "purchases.view_purchase",
    "purchases.view_creditchange",
    "purchases.view_customplan",
    "purchases.view_fulfilmenttask",
    # Withdrawals: the queue, approvals, payout attempts and Flutterwave's webhook log.
    "withdrawals.view_withdrawal",
    "withdrawals.view_approval",
    "withdrawals.view_payoutattempt",
    "withdrawals.view_flutterwaveevent",
    "withdrawals.view_reconciliationrun",
    "withdrawals.view_reconciliationitem",
    # Boosts: support answers "where is my boost" (orders with their phases and provider orders).
    "boosts.view_boostorder",
    # The legacy import: runs with their reports, and the old bot's history (support answers
    # "what happened to my money in the old bot" from it).
    "legacy.view_importrun",
    "legacy.view_legacyrecord",
    "legacy.view_usedhash",
    "legacy.view_balanceoperation",
    "legacy.view_withdrawalevent",
    "legacy.view_boostsubmission",
]

# What finance reads on top: the SMM panels (balances, breaker state, service ids).
_FINANCE_READ = [
    "boosts.view_provider",
]

# Day-to-day work that moves no money: every role.
_OPERATIONS = [
    "purchases.change_fulfilmenttask",  # mark a manual-fulfilment task done
]

# Money actions a finance clerk takes alone, within the dual-approval limit.
_FINANCE_ACTIONS = [
    "users.approve_withdrawal",
    "users.retry_payout",
    "users.propose_adjustment",
    # Purchases (the admin allows no direct add/change: each permission is one action).
    "purchases.change_paymentclaim",  # re-verify a rejected or failed payment
    "purchases.add_purchase",  # credit a purchase paid outside the bot (no commission)
    "purchases.add_creditchange",  # add or remove post credits
    "purchases.add_customplan",  # grant a custom plan (free posts)
    "purchases.change_invoice",  # cancel an unpaid invoice
    # Boosts (the admin allows no direct change of orders): retry a phase, cancel an order
    # (optionally returning its credit), refill, resolve an order of unknown outcome.
    "boosts.change_boostorder",
]

# Second approvals, adjustments and provider settings (plans and prices): never the same person
# who proposed.
_SENIOR_ACTIONS = [
    "users.second_approve_withdrawal",
    "users.approve_adjustment",
    "users.manage_providers",
    "users.ban_bot_user",
    # SMM providers: add a panel, change its settings and service ids, refresh its balance.
    "boosts.add_provider",
    "boosts.change_provider",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SUPPORT: _READ + _OPERATIONS,
    FINANCE: _READ + _FINANCE_READ + _OPERATIONS + _FINANCE_ACTIONS,
    SENIOR_FINANCE: _READ + _FINANCE_READ + _OPERATIONS + _FINANCE_ACTIONS + _SENIOR_ACTIONS,
}

# Permissions that move money; Support must hold none of them.
MONEY_PERMISSIONS = frozenset(_FINANCE_ACTIONS + _SENIOR_ACTIONS) - {"users.ban_bot_user"}
