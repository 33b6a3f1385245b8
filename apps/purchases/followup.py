"""Read what a buyer sends after paying (an account, a poll, a profile, a channel). Pure."""

from __future__ import annotations

import re

from apps.purchases.models import FollowUp

X_USERNAME = re.compile(r"@?([A-Za-z0-9_]{1,15})")
TG_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{4,31})")
X_PROFILE = re.compile(r"https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/([A-Za-z0-9_]{1,15})/?")
X_STATUS = re.compile(
    r"https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/[A-Za-z0-9_]{1,15}/status/\d{1,25}\S*"
)
TG_LINK = re.compile(r"https?://(?:t|telegram)\.me/([A-Za-z][A-Za-z0-9_]{4,31})/?")


class InvalidFollowUp(ValueError):
    """The reply is not what was asked for; the message says what is expected."""


def parse_follow_up(kind: str, text: str) -> dict:
    """The details in TEXT for a follow-up of KIND, or InvalidFollowUp."""
    text = (text or "").strip()
    parser = _PARSERS[kind]
    return parser(text)


def _x_account(text: str) -> dict:
    match = X_USERNAME.fullmatch(text) or X_PROFILE.fullmatch(text)
    if not match:
        raise InvalidFollowUp("That is not an X username. Send it like @yourname.")
    return {"account": match.group(1).lower()}


def _tg_account(text: str) -> dict:
    match = TG_USERNAME.fullmatch(text) or TG_LINK.fullmatch(text)
    if not match:
        raise InvalidFollowUp("That is not a Telegram username. Send it like @yourname.")
    return {"account": match.group(1).lower()}


def _poll(text: str) -> dict:
    link, _, option = text.rpartition(",")
    link, option = link.strip(), option.strip()
    if not X_STATUS.fullmatch(link) or option not in ("1", "2", "3", "4"):
        raise InvalidFollowUp(
            "Send the poll link and the option number (1 to 4), like "
            "https://x.com/you/status/123, 2"
        )
    return {"poll_link": link, "option": int(option)}


def _profile(text: str) -> dict:
    match = X_PROFILE.fullmatch(text)
    if not match:
        raise InvalidFollowUp("Send the profile link, like https://x.com/yourname")
    return {"profile": f"https://x.com/{match.group(1)}", "account": match.group(1).lower()}


def _channel(text: str) -> dict:
    match = TG_USERNAME.fullmatch(text) or TG_LINK.fullmatch(text)
    if not match:
        raise InvalidFollowUp("Send the channel, like @yourchannel or https://t.me/yourchannel")
    return {"channel": f"@{match.group(1)}", "account": match.group(1).lower()}


_PARSERS = {
    FollowUp.X_ACCOUNT: _x_account,
    FollowUp.TG_ACCOUNT: _tg_account,
    FollowUp.POLL: _poll,
    FollowUp.PROFILE_LINK: _profile,
    FollowUp.CHANNEL: _channel,
}
