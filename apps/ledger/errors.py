"""Every refusal of the ledger is a LedgerError; when one is raised, nothing was written.

The messages are for staff and engineers (admin messages, logs), so they name the account,
key or adjustment involved and the figures that did not fit.
"""


class LedgerError(Exception):
    """The ledger refused a request; the database is unchanged."""


class InvalidTransaction(LedgerError, ValueError):
    """The entries of a posting do not form a valid double-entry transaction."""


class InvalidAmount(LedgerError, ValueError):
    """An amount that is not a finite Decimal in the currency's smallest unit."""


class FloatAmountRefused(InvalidAmount, TypeError):
    """A float reached the ledger: binary floats cannot hold cents exactly."""


class NonPositiveAmount(InvalidAmount):
    """A zero or negative amount where the direction is given separately."""


class UnbalancedTransaction(InvalidTransaction):
    """The entries of one currency do not sum to zero."""


class UnknownAccount(InvalidTransaction):
    """An entry names an account that is not saved in the database."""


class InvalidActor(LedgerError, TypeError):
    """Every posting names who made it: a staff user, a bot user or a system actor."""


class InsufficientFunds(LedgerError):
    """A posting would take a user account below zero."""


class IdempotencyConflict(LedgerError):
    """An idempotency key was already used for a transaction with different content."""


class AlreadyReversed(LedgerError):
    """A transaction can be reversed once; it already was, or it is itself a reversal."""


class HoldError(LedgerError):
    """A hold that cannot be placed or resolved as asked."""


class HoldNotFound(HoldError):
    """No hold has this reference."""


class HoldAlreadyResolved(HoldError):
    """The hold was settled or released already, the other way."""


class AdjustmentError(LedgerError):
    """A balance adjustment that cannot be proposed or decided as asked."""


class AdjustmentPermissionDenied(AdjustmentError, PermissionError):
    """The actor lacks the capability, or is deciding their own proposal."""


class AdjustmentAlreadyDecided(AdjustmentError):
    """Someone approved or rejected the adjustment first."""
