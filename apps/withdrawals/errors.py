"""Refusals the withdrawal services raise; every message is fit to show its reader."""


class WithdrawalRefused(ValueError):
    """The request or action is not allowed; nothing was changed."""


class NotWaiting(WithdrawalRefused):
    """Someone else acted first, or the withdrawal is past the step asked for."""
