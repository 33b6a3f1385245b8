"""What boosts tell staff (the admin group) and the user when something needs attention."""

from __future__ import annotations

from django.conf import settings

from apps.bot.groups import notify_admin_groups
from apps.bot.outbox import queue_text
from apps.bot.texts import md


def order_admin_link(order) -> str:
    return f"{settings.ADMIN_BASE_URL}/admin/boosts/boostorder/{order.pk}/change/"


def alert_staff(*, text: str, dedupe_key: str) -> int:
    """TEXT (MarkdownV2, escaped) to the admin groups, once per DEDUPE_KEY."""
    return notify_admin_groups(text=text, dedupe_key=f"boosts:{dedupe_key}")


def provider_out_of_funds(provider_name: str, phase) -> None:
    alert_staff(
        text=(
            f"💸 *SMM provider {md(provider_name)} is out of funds*\n"
            f"B\\-{phase.order_id} phase {phase.number} moved on to the next provider\\. "
            "Top the panel up\\."
        ),
        dedupe_key=f"funds:{provider_name}:{phase.pk}",
    )


def phase_needs_checking(phase, provider_name: str) -> None:
    alert_staff(
        text=(
            f"❓ *Boost B\\-{phase.order_id} phase {phase.number}: outcome unknown*\n"
            f"{md(provider_name)} did not answer an order in time; it was not sent again\\. "
            f"Check the panel and resolve it: {md(order_admin_link(phase.order))}"
        ),
        dedupe_key=f"unknown:{phase.pk}",
    )


def order_failed(order) -> None:
    """The user's DM (credit back) and the staff alert, once each."""
    queue_text(
        chat_id=order.user.telegram_id,
        text=(
            f"⚠️ We could not boost {md(order.link)}\\. "
            "Your post credit is back, and you can submit the link again\\."
        ),
        dedupe_key=f"boost:{order.pk}:failed:user",
    )
    alert_staff(
        text=(
            f"🔴 *Boost B\\-{order.pk} failed on every provider*\n"
            f"{md(order.last_error or 'no provider took it')}\n"
            f"The credit was returned\\. {md(order_admin_link(order))}"
        ),
        dedupe_key=f"failed:{order.pk}",
    )
