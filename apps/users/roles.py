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
]

# Money actions a finance clerk takes alone, within the dual-approval limit.
_FINANCE_ACTIONS = [
    "users.approve_withdrawal",
    "users.retry_payout",
    "users.propose_adjustment",
]

# Second approvals, adjustments and provider settings: never the same person who proposed.
_SENIOR_ACTIONS = [
    "users.second_approve_withdrawal",
    "users.approve_adjustment",
    "users.manage_providers",
    "users.ban_bot_user",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SUPPORT: _READ,
    FINANCE: _READ + _FINANCE_ACTIONS,
    SENIOR_FINANCE: _READ + _FINANCE_ACTIONS + _SENIOR_ACTIONS,
}

# Permissions that move money; Support must hold none of them.
MONEY_PERMISSIONS = frozenset(_FINANCE_ACTIONS + _SENIOR_ACTIONS) - {"users.ban_bot_user"}
