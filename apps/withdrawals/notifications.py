"""What withdrawals tell people: the user (DMs, account masked) and the admin group (cards).

Messages go through the bot outbox inside the caller's transaction, each with a dedupe key
named after the withdrawal and its step, so a retried task never speaks twice.
"""

from __future__ import annotations

from django.conf import settings

from apps.bot.groups import notify_admin_groups
from apps.bot.outbox import queue_text
from apps.bot.texts import md, money

MENU = [[{"text": "↩️ Main menu", "callback_data": "menu:main"}]]


def _tell_user(withdrawal, key: str, text: str) -> None:
    queue_text(
        chat_id=withdrawal.user.telegram_id,
        text=text,
        buttons=MENU,
        dedupe_key=f"withdrawal:{withdrawal.pk}:{key}",
    )


def _what(withdrawal) -> str:
    return (
        f"{money(withdrawal.amount, withdrawal.currency)} "
        f"\\({money(withdrawal.amount_ngn, 'NGN')} to {md(withdrawal.bank_name)} "
        f"{md(withdrawal.masked_account)}\\)"
    )


def requested(withdrawal) -> None:
    _tell_user(
        withdrawal,
        "requested",
        f"✅ Withdrawal W\\-{withdrawal.pk} requested: {_what(withdrawal)}\\.\n"
        "The amount is held from your balance until finance reviews it\\. "
        "You can cancel it while it waits\\.",
    )
    _card_for_admins(withdrawal)


def _card_for_admins(withdrawal) -> None:
    link = f"{settings.ADMIN_BASE_URL}/admin/withdrawals/withdrawal/{withdrawal.pk}/change/"
    user = withdrawal.user
    text = (
        f"🔔 *New withdrawal W\\-{withdrawal.pk}*\n"
        f"User: {md(str(user))}\n"
        f"Amount: {_what(withdrawal)}\n"
        + ("Needs two approvals\\.\n" if withdrawal.needs_second_approval else "")
        + f"Review it in the admin: {md(link)}"
    )
    notify_admin_groups(text=text, dedupe_key=f"withdrawal:{withdrawal.pk}:card")


def cancelled(withdrawal) -> None:
    _tell_user(
        withdrawal,
        "cancelled",
        f"Withdrawal W\\-{withdrawal.pk} is cancelled and "
        f"{money(withdrawal.amount, withdrawal.currency)} is back in your balance\\.",
    )


def approved(withdrawal) -> None:
    _tell_user(
        withdrawal,
        "approved",
        f"👍 Withdrawal W\\-{withdrawal.pk} was approved: {_what(withdrawal)}\\. "
        "You will get a message when it is paid\\.",
    )


def rejected(withdrawal) -> None:
    _tell_user(
        withdrawal,
        "rejected",
        f"❌ Withdrawal W\\-{withdrawal.pk} was rejected: {md(withdrawal.reason)}\n"
        f"{money(withdrawal.amount, withdrawal.currency)} is back in your balance\\.",
    )


def paid(withdrawal) -> None:
    _tell_user(
        withdrawal,
        "paid",
        f"💸 Withdrawal W\\-{withdrawal.pk} is paid: {_what(withdrawal)}\\.",
    )


def refunded(withdrawal) -> None:
    _tell_user(
        withdrawal,
        "refunded",
        f"⚠️ The payout of withdrawal W\\-{withdrawal.pk} failed, so "
        f"{money(withdrawal.amount, withdrawal.currency)} is back in your balance\\. "
        "You can request a new withdrawal\\.",
    )


def payout_failed_for_finance(withdrawal) -> None:
    text = (
        f"🚨 *Payout failed* for W\\-{withdrawal.pk} \\({money(withdrawal.amount_ngn, 'NGN')}\\): "
        f"{md(withdrawal.reason)}\nRetry or refund it in the admin\\."
    )
    notify_admin_groups(
        text=text, dedupe_key=f"withdrawal:{withdrawal.pk}:failed:{withdrawal.attempt}"
    )
