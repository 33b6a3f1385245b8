"""What the bot does with a message or a button press. Sync, called from PTB handlers.

Everything here runs inside the transaction that processes one update: messages go to the
outbox keyed by the update, so a retried update never speaks twice.
"""

from __future__ import annotations

import logging

from apps.bot import abuse, texts
from apps.bot.conversation import clear_step, current_step
from apps.bot.incoming import Incoming
from apps.bot.outbox import queue_callback_answer, queue_photo, queue_text
from apps.bot.selectors import affiliate_summary, balance_summary
from apps.bot.user_cache import cached_bot_user
from apps.common.typed import whole_number
from apps.users.services import register_bot_user, touch_last_seen

logger = logging.getLogger(__name__)

MENU_BUTTONS = [
    [{"text": "🆕 Services", "callback_data": "menu:services"}],
    [
        {"text": "🤝 Affiliate", "callback_data": "menu:affiliate"},
        {"text": "💰 My balance", "callback_data": "menu:balance"},
    ],
    [
        {"text": "💵 Withdraw", "callback_data": "menu:withdraw"},
        {"text": "🛠️ Support", "callback_data": "menu:support"},
    ],
]
BACK_BUTTON = [[{"text": "↩️ Main menu", "callback_data": "menu:main"}]]


class Replies:
    """Queues this update's replies with keys derived from the update (dedupe on retry)."""

    def __init__(self, incoming: Incoming, previous_step=None):
        self.incoming = incoming
        self.count = 0
        # The step the user was in before this update (buttons clear it first).
        self.previous_step = previous_step

    def _key(self) -> str:
        self.count += 1
        return f"update:{self.incoming.update_id}:{self.count}"

    def next_key(self) -> str:
        """A dedupe key for a reply another module queues itself."""
        return self._key()

    def text(self, text: str, buttons=None) -> None:
        queue_text(
            chat_id=self.incoming.chat_id, text=text, buttons=buttons, dedupe_key=self._key()
        )

    def menu(self, caption: str = texts.MAIN_MENU, photo: bool = False) -> None:
        if photo:
            queue_photo(
                chat_id=self.incoming.chat_id,
                asset="menu",
                caption=caption,
                buttons=MENU_BUTTONS,
                dedupe_key=self._key(),
            )
        else:
            self.text(caption, MENU_BUTTONS)


def handle_message(incoming: Incoming, *, bot_username: str) -> None:
    replies = Replies(incoming)
    command = incoming.command
    if not incoming.is_private:
        if command:
            replies.text(texts.PRIVATE_CHAT_ONLY)
        return
    if incoming.sender is None:
        return
    user = _user_for(incoming, referral=command[1] if command and command[0] == "start" else "")
    if not _may_proceed(user, replies):
        return
    if command:
        clear_step(user.telegram_id)  # a command abandons any half-finished journey
        _run_command(user, replies, command)
    elif (step := current_step(user.telegram_id)).name in STEP_HANDLERS:
        STEP_HANDLERS[step.name](user, replies, incoming.text, step)
    elif not any(handler(user, replies, incoming.text) for handler in TEXT_HANDLERS):
        not_understood(replies)


def _run_command(user, replies: Replies, command: tuple[str, str]) -> None:
    name, argument = command
    if name == "start":
        replies.menu(texts.WELCOME, photo=True)
    elif name == "help":
        replies.text(texts.HELP, BACK_BUTTON)
    elif name in COMMANDS:
        COMMANDS[name](user, replies, argument)
    else:
        not_understood(replies)


def not_understood(replies: Replies) -> None:
    replies.text(texts.NOT_UNDERSTOOD)
    replies.menu()


def handle_callback(incoming: Incoming, *, bot_username: str) -> None:
    replies = Replies(incoming)
    queue_callback_answer(callback_query_id=incoming.callback_query_id, chat_id=incoming.chat_id)
    if not incoming.is_private or incoming.sender is None:
        return
    user = _user_for(incoming, referral="")
    if not _may_proceed(user, replies):
        return
    replies.previous_step = current_step(user.telegram_id)
    clear_step(user.telegram_id)  # any button leaves the step the user was in
    screen = SCREENS.get(incoming.callback_data) or _routed(incoming.callback_data)
    if screen is None:
        # Callback data comes from the client and may be made up; never trust it.
        logger.info("unknown callback data from %s", incoming.sender.telegram_id)
        replies.text(texts.NOT_UNDERSTOOD)
        replies.menu()
        return
    screen(user, replies, bot_username=bot_username)


def _routed(data: str):
    """A screen taking arguments: "buy:qty:t2:25" goes to CALLBACK_ROUTES["buy"] with the rest."""
    prefix, _, rest = (data or "").partition(":")
    route = CALLBACK_ROUTES.get(prefix)
    if route is None or not rest:
        return None

    def screen(user, replies: Replies, *, bot_username: str) -> None:
        route(user, replies, rest.split(":"), bot_username=bot_username)

    return screen


def _user_for(incoming: Incoming, *, referral: str):
    sender = incoming.sender
    user = cached_bot_user(sender.telegram_id)
    if user is None:
        user, _ = register_bot_user(
            telegram_id=sender.telegram_id,
            username=sender.username,
            first_name=sender.first_name,
            last_name=sender.last_name,
            language_code=sender.language_code,
            referrer_telegram_id=_referrer_id(referral),
        )
    touch_last_seen(bot_user=user)
    return user


def _referrer_id(argument: str) -> int | None:
    """42 for "ref_42"; None for anything else (a made-up link is simply no referral)."""
    if not argument.startswith("ref_"):
        return None
    return whole_number(argument[4:], max_digits=15)


def _may_proceed(user, replies: Replies) -> bool:
    if user.is_banned:
        if abuse.first_suspension_notice_today(user.telegram_id):
            replies.text(texts.SUSPENDED)
        return False
    if abuse.over_rate_limit(user.telegram_id):
        if abuse.first_slow_down_in_window(user.telegram_id):
            replies.text(texts.SLOW_DOWN)
        return False
    return True


def _main_menu(user, replies: Replies, *, bot_username: str) -> None:
    replies.menu()


def _affiliate(user, replies: Replies, *, bot_username: str) -> None:
    link = f"https://t.me/{bot_username}?start=ref_{user.telegram_id}"
    replies.text(_affiliate_text(affiliate_summary(user), link), BACK_BUTTON)


def _affiliate_text(summary, link: str) -> str:
    return texts.AFFILIATE.format(
        link=texts.md(link),
        referrals=texts.md(summary.referrals),
        earned=texts.money(summary.commission_earned, "USD"),
        balance=texts.money(summary.balance, "USD"),
    )


def _balance(user, replies: Replies, *, bot_username: str) -> None:
    summary = balance_summary(user)
    credits = ", ".join(f"{texts.md(name)}: {count}" for name, count in summary.credits)
    replies.text(
        texts.BALANCE.format(
            credits=credits or texts.md(texts.NO_CREDITS),
            affiliate=texts.money(summary.affiliate_usd, "USD"),
            earnings=texts.money(summary.earnings_ngn, "NGN"),
        ),
        BACK_BUTTON,
    )


def _static(text: str):
    def screen(user, replies: Replies, *, bot_username: str) -> None:
        replies.text(text, BACK_BUTTON)

    return screen


# Buttons by their exact callback data. Other apps add theirs when they are ready (the
# purchases app adds "menu:services").
SCREENS = {
    "menu:main": _main_menu,
    "menu:affiliate": _affiliate,
    "menu:balance": _balance,
    "menu:support": _static(texts.SUPPORT),
}


# Buttons whose callback data carries arguments, by prefix: handler(user, replies, args,
# bot_username=...). Handlers must treat ARGS as untrusted (they come from the client).
CALLBACK_ROUTES: dict = {}

# Steps that take typed input, by name: the purchase, withdrawal and boost journeys register
# theirs here (handler(user, replies, text, step)). Text in an unknown or stale step gets the
# "didn't understand" reply and the menu.
STEP_HANDLERS: dict = {}

# Commands other apps add, by name without the slash: handler(user, replies, argument), e.g.
# "submitlink" from the boosts app. /start and /help stay here.
COMMANDS: dict = {}

# Private-chat text that is no command and in no step is offered to these in turn:
# handler(user, replies, text) -> bool, True when it answered (the boosts app takes pasted
# links). Nobody answered → "didn't understand".
TEXT_HANDLERS: list = []
