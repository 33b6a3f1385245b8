"""What the boost journey says, to the user and to the comment and likes groups.

MarkdownV2: every value goes through md() (apps/bot/texts.py), literal punctuation in the
templates is escaped by hand. Button labels are plain text (Telegram does not parse them).
"""

from __future__ import annotations

from datetime import UTC, datetime

from telegram.helpers import escape_markdown

from apps.boosts.links import TELEGRAM, X
from apps.bot.texts import md

MENU = [[{"text": "↩️ Main menu", "callback_data": "menu:main"}]]
BUY_BUTTON = [{"text": "🆕 Buy", "callback_data": "menu:services"}]
PLATFORM_NAMES = {X: "X", TELEGRAM: "Telegram"}

SUBMITLINK_USAGE = (
    "Send /submitlink followed by the post link, like "
    "/submitlink https://x\\.com/yourname/status/123"
)
NO_PENDING_LINK = "⚠️ No link is waiting for a plan\\. Paste the post link first\\."
EARLIER_LINK_BUTTON = (
    "⚠️ That button belongs to an earlier link\\. Use the buttons under your latest link\\."
)
PICK_A_PLAN = "👆 Pick a plan from the buttons above, or paste another link\\."


def code(value) -> str:
    """VALUE inside `...`: there only ` and \\ are escaped (md() would show its backslashes)."""
    return f"`{escape_markdown(str(value), version=2, entity_type='code')}`"


def refused(reason: str) -> str:
    return f"❌ {md(reason)}"


def no_credits(platform: str) -> str:
    name = PLATFORM_NAMES[platform]
    return f"❌ You have no {name} posts left to boost\\. Buy a plan to continue\\."


def choose_plan(url: str) -> str:
    return f"🔗 {md(url)}\n\nWhich plan should boost this post?"


def choice_label(choice) -> str:
    """`@acc (T2 - 90 posts left)` or `Custom: VIP - 5 posts left` (the old bot's buttons)."""
    if choice.is_custom:
        return f"Custom: {choice.custom_name} - {choice.credits_left} posts left"
    plan = f"{choice.plan_code.upper()} - {choice.credits_left} posts left"
    return f"@{choice.account} ({plan})" if choice.account else plan


def queued(order, *, posts_left: int) -> str:
    targets = order.targets
    if order.platform == TELEGRAM:
        line = f"👍 {targets['likes']} 💬 {targets['comments']}"
    else:
        line = (
            f"👍 {targets['likes']} 🔁 {targets['reposts']} "
            f"💬 {targets['comments']} 👀 {targets['views']}"
        )
    return (
        f"✅ Post queued under {md(_owner(order))}\\. Targets: {md(line)}\n"
        f"📦 {md(posts_left)} posts left on this plan\\."
    )


def _owner(order) -> str:
    if order.purchase.custom_plan_id or order.plan_code == "custom":
        custom = order.purchase.custom_plan
        return f"Custom: {custom.name if custom else 'custom plan'}"
    return f"@{order.account}" if order.account else order.plan_code.upper()


# Groups (spec §6.6, §6.7). The order id replaces the old bot's user id and uuid: staff find the
# order by it, and commenters never see who submitted the post.


def comment_group_post(order) -> str:
    targets = order.targets
    if order.platform == TELEGRAM:
        return (
            "🚨 *New Telegram Post* 🚨\n"
            f"🆔 Order: {code(_order_ref(order))}\n"
            f"🔗 {md(order.link)}\n"
            f"💬 Targets: {code(targets['comments'])} comments/reactions"
        )
    return (
        "🚨 *New Link Submission* 🚨\n"
        f"🆔 Order: {code(_order_ref(order))}\n"
        f"🔗 {md(order.link)}\n"
        f"*Targets:* Comments: {code(targets['comments'])} Reposts: {code(targets['reposts'])}\n"
        "_This post is now in the queue_"
    )


def likes_group_post(order, *, likes_needed: int, at: datetime) -> str:
    """Link, likes needed, order id and time; never comments or reposts (spec §6.7)."""
    return (
        "🎯 *New Post \\- Likes Needed* 🎯\n"
        f"🆔 ID: {code(order.post_id)}\n"
        f"🔗 {md(order.link)}\n"
        f"❤️ Likes Needed: {code(likes_needed)}\n"
        f"🔍 Order: {code(_order_ref(order))}\n"
        f"⏰ Timestamp: {code(at.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S UTC'))}"
    )


def _order_ref(order) -> str:
    return f"B-{order.pk}"
