"""Which links can be boosted: an X post or a Telegram post, reduced to one normal form.

The old bot matched `status/\\d+` anywhere in the text and accepted any `tg:` URI, so tracking
parameters, look-alike hosts and non-web schemes reached the groups and the SMM panels. Here a
message must be exactly one http(s) link to a known host with a post id; anything else is
refused with a reason the user can act on. The normal form drops the query and fragment, so
the panels and the groups always see the same clean link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_LENGTH = 512
X = "x"
TELEGRAM = "telegram"

X_HOSTS = frozenset(
    f"{prefix}{domain}" for prefix in ("", "www.", "mobile.") for domain in ("x.com", "twitter.com")
)
TELEGRAM_HOSTS = frozenset(
    f"{prefix}{domain}"
    for prefix in ("", "www.")
    for domain in ("t.me", "telegram.me", "telegram.dog")
)

# /<user>/status/<id>, also /statuses/ and a trailing /photo/1 or /video/1 as the apps share them.
X_POST_PATH = re.compile(
    r"/(?P<user>[A-Za-z0-9_]{1,15})/status(?:es)?/(?P<id>[1-9][0-9]{0,19})"
    r"(?:/(?:photo|video)/[1-9])?/?"
)
# Public channel post /<channel>/<id> (usernames are 5-32 characters) or private /c/<internal>/<id>.
TELEGRAM_POST_PATH = re.compile(
    r"/(?:(?P<channel>[A-Za-z][A-Za-z0-9_]{3,31})|c/(?P<internal>[1-9][0-9]{0,15}))"
    r"/(?P<id>[1-9][0-9]{0,9})/?"
)
# t.me paths that look like /<name>/<n> but are not channels.
TELEGRAM_RESERVED = frozenset(
    {"joinchat", "addstickers", "addemoji", "addtheme", "addlist", "share", "proxy", "socks",
     "login", "setlanguage", "invoice", "boost", "contact", "giftcode"}
)  # fmt: skip

# What makes a free-text message an attempt at a link (the handler answers it), rather than
# chatter that should get the usual "didn't understand".
LINKISH = re.compile(
    r"://|^(?:javascript|data|tg|ftp|file|mailto|vbscript|https?):"
    r"|(?:^|[\s/.])(?:x\.com|twitter\.com|t\.me|telegram\.me|telegram\.dog)(?:[/\s]|$)",
    re.IGNORECASE,
)

EMPTY = "Send the link of an X post or a Telegram post."
TOO_LONG = f"That link is too long (more than {MAX_LENGTH} characters)."
NOT_ALONE = "Send the link on its own, with nothing else in the message."
BAD_SCHEME = "Send the full web link of the post, starting with https://"
USER_INFO = "Links with a user name or password before the address are not accepted."
OTHER_HOST = "Only links to X (x.com, twitter.com) or Telegram (t.me) posts can be boosted."
X_NOT_A_POST = (
    "That X link is not a post. Open the post and copy its link "
    "(it looks like https://x.com/name/status/123)."
)
TELEGRAM_NOT_A_POST = (
    "That Telegram link is not a post. Copy the post's link "
    "(it looks like https://t.me/channel/123)."
)


class LinkRefused(ValueError):
    """A link we will not boost; MESSAGE tells the user why (plain text, not escaped)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PostLink:
    platform: str  # "x" or "telegram"
    url: str  # the normal form
    post_id: str  # X: the status id; Telegram: "<channel>/<id>" or "c/<internal>/<id>"


def looks_like_link(text: str) -> bool:
    """True when TEXT is someone trying to send a link (good or bad), not ordinary chatter."""
    return bool(LINKISH.search((text or "").strip()))


def parse_post_link(text: str) -> PostLink:
    """The post TEXT links to, normalised; LinkRefused says why it cannot be boosted."""
    host, path = _host_and_path(text)
    if host in X_HOSTS:
        return _x_post(path)
    if host in TELEGRAM_HOSTS:
        return _telegram_post(path)
    raise LinkRefused(OTHER_HOST)


def _host_and_path(text: str) -> tuple[str, str]:
    candidate = (text or "").strip()
    if not candidate:
        raise LinkRefused(EMPTY)
    if len(candidate) > MAX_LENGTH:
        raise LinkRefused(TOO_LONG)
    if any(character.isspace() for character in candidate):
        raise LinkRefused(NOT_ALONE)
    if not candidate.lower().startswith(("https://", "http://")):
        raise LinkRefused(BAD_SCHEME)
    netloc = urlsplit(candidate).netloc
    if "@" in netloc:
        raise LinkRefused(USER_INFO)
    # An exact host (no port, no trailing dot, no look-alike): anything else is another site.
    return netloc.lower(), urlsplit(candidate).path


def _x_post(path: str) -> PostLink:
    match = X_POST_PATH.fullmatch(path)
    if match is None:
        raise LinkRefused(X_NOT_A_POST)
    user, status_id = match["user"], match["id"]
    return PostLink(X, f"https://x.com/{user}/status/{status_id}", status_id)


def _telegram_post(path: str) -> PostLink:
    match = TELEGRAM_POST_PATH.fullmatch(path)
    if match is None or (match["channel"] or "").lower() in TELEGRAM_RESERVED:
        raise LinkRefused(TELEGRAM_NOT_A_POST)
    channel = match["channel"] or f"c/{match['internal']}"
    post_id = f"{channel}/{match['id']}"
    return PostLink(TELEGRAM, f"https://t.me/{post_id}", post_id)
