"""Sending a new post to the comment groups (round-robin) and the likes group (every post).

Comments are written by people in the comment groups, BOOST_COMMENTERS_PER_GROUP per group, so a
post needs ceil(comments / that) groups. Groups are taken in turn from a pointer row locked for
the move, so concurrent submissions never pick the same slots and every group gets its share;
the old bot kept the pointer in a JSON file that two processes could both read. Group i of a
post is messaged i x BOOST_GROUP_STAGGER_MINUTES after the first, so the commenters' activity
on a post does not arrive all at once; the outbox holds each message until its time, which
also survives a restart (the old bot's in-memory timers did not).

The likes group is independent: it gets every post at once and never moves the pointer, and
nothing that goes wrong with it may cost the comment groups their messages.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from apps.boosts import messages
from apps.boosts.links import TELEGRAM
from apps.boosts.models import BoostOrder, GroupPointer
from apps.bot.models import GroupRole, TelegramGroup
from apps.bot.outbox import queue_text

logger = logging.getLogger(__name__)
POINTER_NAME = "comments"


@dataclass(frozen=True)
class Distribution:
    """Where a post went: comment groups in batch order, and the likes group if it got it."""

    comment_chats: list[int] = field(default_factory=list)
    likes_chat: int | None = None


def distribute(order: BoostOrder, *, now: datetime) -> Distribution:
    """Queue ORDER's group messages; call inside the submission's transaction.

    The likes group comes first because it gets every post at once; whatever happens to its
    message (rolled back to a savepoint here, refused by Telegram in its own outbox row later)
    leaves the comment groups' messages alone.
    """
    likes_chat = _send_to_likes_group(order, now=now)
    comment_chats = _send_to_comment_groups(order, now=now)
    return Distribution(comment_chats=comment_chats, likes_chat=likes_chat)


def comment_group_count(comments: int, available: int) -> int:
    """ceil(COMMENTS / commenters per group), at most the cap and the groups there are."""
    if comments <= 0:
        return 0
    needed = math.ceil(comments / settings.BOOST_COMMENTERS_PER_GROUP)
    return min(needed, settings.BOOST_MAX_COMMENT_GROUPS, available)


def _send_to_comment_groups(order: BoostOrder, *, now: datetime) -> list[int]:
    if int(order.targets.get("comments") or 0) <= 0:
        return []  # nothing for commenters: the pointer stays where it is
    chats = _take_comment_groups(int(order.targets["comments"]))
    text = messages.comment_group_post(order)
    stagger = timedelta(seconds=float(settings.BOOST_GROUP_STAGGER_MINUTES * 60))
    for index, chat_id in enumerate(chats):
        queue_text(
            chat_id=chat_id,
            text=text,
            dedupe_key=group_dedupe_key(order, chat_id),
            send_at=now + stagger * index,
        )
    return chats


def _take_comment_groups(comments: int) -> list[int]:
    """The next groups in turn, advancing the locked pointer by as many as were taken."""
    pointer = _locked_pointer()
    groups = list(
        TelegramGroup.objects.filter(role=GroupRole.COMMENTS, is_active=True)
        .order_by("position", "chat_id")
        .values_list("chat_id", flat=True)
    )
    count = comment_group_count(comments, len(groups))
    if count == 0:
        return []
    start = pointer.position % len(groups)
    chosen = [groups[(start + offset) % len(groups)] for offset in range(count)]
    GroupPointer.objects.filter(pk=pointer.pk).update(position=pointer.position + count)
    return chosen


def _locked_pointer() -> GroupPointer:
    pointer, _ = GroupPointer.objects.select_for_update().get_or_create(name=POINTER_NAME)
    return pointer


def _send_to_likes_group(order: BoostOrder, *, now: datetime) -> int | None:
    group = (
        TelegramGroup.objects.filter(role=GroupRole.LIKES, is_active=True)
        .order_by("position", "chat_id")
        .first()
    )
    if group is None:
        return None
    try:
        # A savepoint: a failure here rolls back only the likes group's message.
        with transaction.atomic():
            queue_text(
                chat_id=group.chat_id,
                text=messages.likes_group_post(order, likes_needed=likes_needed(order), at=now),
                dedupe_key=group_dedupe_key(order, group.chat_id),
            )
    except Exception:
        logger.exception("likes group %s: could not queue B-%s", group.chat_id, order.pk)
        return None
    return group.chat_id


def likes_needed(order: BoostOrder) -> int:
    """X: the likes beyond those the commenters give (likes - comments, never below 0);
    Telegram: the comment target, reactions included (spec §6.7)."""
    comments = int(order.targets.get("comments") or 0)
    if order.platform == TELEGRAM:
        return comments
    return max(0, int(order.targets.get("likes") or 0) - comments)


def group_dedupe_key(order: BoostOrder, chat_id: int) -> str:
    """One message per (order, group), however often the submission is retried."""
    return f"boost:{order.pk}:group:{chat_id}"
