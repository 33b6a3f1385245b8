"""What boosts tell staff (the admin group) and the user when something needs attention."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from apps.bot.groups import notify_admin_groups
from apps.bot.outbox import queue_text
from apps.bot.texts import md


def order_admin_link(order) -> str:
    return f"{settings.ADMIN_BASE_URL}/admin/boosts/boostorder/{order.pk}/change/"


def alert_staff(*, text: str, dedupe_key: str) -> int:
    """TEXT (MarkdownV2, escaped) to the admin groups, once per DEDUPE_KEY."""
    return notify_admin_groups(text=text, dedupe_key=f"boosts:{dedupe_key}")


def provider_out_of_funds(provider_name: str, phase) -> None:
    """Once an hour per provider: a panel out of funds would otherwise alert for every phase."""
    alert_staff(
        text=(
            f"💸 *SMM provider {md(provider_name)} is out of funds*\n"
            f"Phases such as B\\-{phase.order_id} phase {phase.number} go to the next provider "
            "meanwhile\\. Top the panel up\\."
        ),
        dedupe_key=f"funds:{provider_name}:{_hour()}",
    )


def phase_needs_checking(phase, provider_name: str) -> None:
    """Once an hour per provider, naming the first phase; the admin lists them all."""
    alert_staff(
        text=(
            f"❓ *{md(provider_name)}: boost order outcome unknown*\n"
            f"B\\-{phase.order_id} phase {phase.number} got no answer and was not sent again\\. "
            "Check the panel, then resolve it in the admin \\(boost orders waiting for a "
            f"check\\): {md(order_admin_link(phase.order))}"
        ),
        dedupe_key=f"unknown:{provider_name}:{_hour()}",
    )


def _hour() -> str:
    return timezone.now().strftime("%Y%m%d%H")


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


def order_canceled(order, *, credit_returned: bool) -> None:
    """The user's DM when staff cancel their boost."""
    credit = " Your post credit is back\\." if credit_returned else ""
    queue_text(
        chat_id=order.user.telegram_id,
        text=f"🛑 Our team stopped the boost of {md(order.link)}\\.{credit}",
        dedupe_key=f"boost:{order.pk}:canceled:user",
    )


def order_completed(order, delivered: dict[str, int]) -> None:
    """The user's DM when the panels finished every phase of their boost."""
    queue_text(
        chat_id=order.user.telegram_id,
        text=(
            f"✅ Boost done for {md(order.link)}\n"
            f"👀 {delivered['views']:,} views and 👍 {delivered['likes']:,} likes delivered\\."
        ),
        dedupe_key=f"boost:{order.pk}:completed:user",
    )
