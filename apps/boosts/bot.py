"""The boost journey: paste a post link (or /submitlink <link>) → pick a plan → queued.

Registered into apps/bot/journeys.py when the app is ready. The pending link lives in the
conversation step (a button press clears the step; Replies.previous_step still holds it), and
the purchase id in the button is untrusted: consume_credit checks it again under lock. Each
offer carries a short token, kept with the pending link, so a button under an earlier link can
never boost the link pasted after it.
"""

from __future__ import annotations

import secrets

from apps.boosts import messages
from apps.boosts.links import LinkRefused, PostLink, looks_like_link, parse_post_link
from apps.boosts.services.credits import CreditRefused, boostable_choices, pool_credits_left
from apps.boosts.services.submission import submit_boost
from apps.bot import journeys
from apps.bot.conversation import enter_step

PICK_STEP = "boost:pick"
MENU = messages.MENU


def link_pasted(user, replies, text: str) -> bool:
    """Free text in a private chat: a link attempt is ours (accepted or refused), chatter is not."""
    if not looks_like_link(text):
        return False
    offer_link(user, replies, text)
    return True


def submitlink_command(user, replies, argument: str) -> None:
    if not argument:
        replies.text(messages.SUBMITLINK_USAGE, MENU)
        return
    offer_link(user, replies, argument)


def offer_link(user, replies, text: str) -> None:
    """Refuse a bad link with its reason, or ask which plan should boost a good one."""
    try:
        link = parse_post_link(text)
    except LinkRefused as refusal:
        replies.text(messages.refused(refusal.message), MENU)
        return
    _offer_choices(user, replies, link)


def _offer_choices(user, replies, link: PostLink) -> None:
    choices = boostable_choices(user, link.platform)
    if not choices:
        replies.text(messages.no_credits(link.platform), [messages.BUY_BUTTON, *MENU])
        return
    token = secrets.token_hex(3)
    enter_step(user.telegram_id, PICK_STEP, {"link": link.url, "token": token})
    buttons = [[_pick_button(choice, token)] for choice in choices]
    replies.text(messages.choose_plan(link.url), [*buttons, *MENU])


def _pick_button(choice, token: str) -> dict:
    return {
        "text": messages.choice_label(choice),
        "callback_data": f"boost:pick:{choice.purchase_id}:{token}",
    }


def route(user, replies, args: list[str], *, bot_username: str) -> None:
    """boost:pick:<purchase id>:<token>, pressed under the plan question."""
    if len(args) != 3 or args[0] != "pick":
        journeys.not_understood(replies)
        return
    step = replies.previous_step
    link = _pending_link(step)
    if link is None:
        replies.text(messages.NO_PENDING_LINK, MENU)
        return
    if not secrets.compare_digest(str(step.data.get("token", "")), args[2]):
        # A button under an earlier link: the link now waiting is another one.
        enter_step(user.telegram_id, PICK_STEP, step.data)
        replies.text(messages.EARLIER_LINK_BUTTON, MENU)
        return
    try:
        order = submit_boost(user=user, link=link, purchase_id=args[1])
    except CreditRefused as refusal:
        # Nothing was taken; the link is still waiting, with the plans that can take it.
        replies.text(messages.refused(refusal.message))
        _offer_choices(user, replies, link)
        return
    posts_left = pool_credits_left(order.purchase)
    replies.text(messages.queued(order, posts_left=posts_left), MENU)


def _pending_link(step) -> PostLink | None:
    """The link the user pasted before pressing, if that is the step they were in."""
    if step is None or step.name != PICK_STEP:
        return None
    try:
        return parse_post_link(step.data.get("link", ""))
    except LinkRefused:
        return None


def text_while_picking(user, replies, text: str, step) -> None:
    """Another link replaces the pending one; anything else is a nudge to press a button."""
    if looks_like_link(text):
        offer_link(user, replies, text)
        return
    replies.text(messages.PICK_A_PLAN, MENU)


def register() -> None:
    journeys.CALLBACK_ROUTES["boost"] = route
    journeys.STEP_HANDLERS[PICK_STEP] = text_while_picking
    journeys.COMMANDS["submitlink"] = submitlink_command
    if link_pasted not in journeys.TEXT_HANDLERS:
        journeys.TEXT_HANDLERS.append(link_pasted)
