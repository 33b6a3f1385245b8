"""Comment groups by round-robin with a stagger, and the likes group with every post."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from apps.boosts.distribution import comment_group_count, distribute
from apps.boosts.links import parse_post_link
from apps.boosts.models import GroupPointer
from apps.boosts.services.submission import submit_boost
from apps.bot.models import GroupRole, OutboundMessage
from tests.boosts.conftest import TG_LINK, X_LINK, add_group, grant

pytestmark = pytest.mark.django_db
LIKES_CHAT = -2001


def submit(user, plan_code="t2", link=X_LINK, **credit):
    purchase = grant(user, plan_code=plan_code, credits=10, **credit)
    return submit_boost(user=user, link=parse_post_link(link), purchase_id=purchase.pk)


def messages_of(order) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(dedupe_key__startswith=f"boost:{order.pk}:group:").order_by(
            "id"
        )
    )


def comment_chats_of(order) -> list[int]:
    return [m.chat_id for m in messages_of(order) if m.chat_id != LIKES_CHAT]


def pointer() -> int:
    return GroupPointer.objects.get(name="comments").position


def test_groups_are_taken_in_turn_across_submissions_and_wrap_around(submitter, comment_chats):
    first = submit(submitter, "t2")  # 20 comments: 4 groups
    second = submit(submitter, "t2")
    third = submit(submitter, "t1")  # 10 comments: 2 groups
    assert comment_chats_of(first) == [-1001, -1002, -1003, -1004]
    assert comment_chats_of(second) == [-1005, -1001, -1002, -1003]
    assert comment_chats_of(third) == [-1004, -1005]
    assert pointer() == 10


def test_groups_follow_position_then_chat_id_and_skip_inactive_or_other_roles(submitter):
    add_group(-3003, GroupRole.COMMENTS, position=1)
    add_group(-3001, GroupRole.COMMENTS, position=2)
    add_group(-3002, GroupRole.COMMENTS, position=1)
    add_group(-3004, GroupRole.COMMENTS, position=0, active=False)
    add_group(-3005, GroupRole.ADMIN, position=0)
    order = submit(submitter, "t5")  # 60 comments: wants 10, there are 3
    assert comment_chats_of(order) == [-3003, -3002, -3001]
    assert pointer() == 3


@pytest.mark.parametrize(
    ("comments", "groups", "expected"),
    [(0, 5, 0), (1, 5, 1), (5, 5, 1), (6, 5, 2), (20, 5, 4), (60, 5, 5), (60, 12, 10), (9, 0, 0)],
)
def test_group_count_is_ceil_comments_over_five_capped_by_ten_and_the_groups(
    comments, groups, expected
):
    assert comment_group_count(comments, groups) == expected


def test_the_cap_and_commenters_per_group_come_from_the_settings(submitter, settings):
    settings.BOOST_COMMENTERS_PER_GROUP = 2
    settings.BOOST_MAX_COMMENT_GROUPS = 3
    for number in range(1, 8):
        add_group(-4000 - number, GroupRole.COMMENTS, position=number)
    assert comment_group_count(20, 7) == 3


def test_each_group_of_a_post_is_sent_one_stagger_after_the_previous(submitter, comment_chats):
    order = submit(submitter, "t2")
    times = [m.next_attempt_at for m in messages_of(order)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert gaps == [timedelta(minutes=15)] * 3
    assert abs(times[0] - order.created_at) < timedelta(seconds=5)


def test_the_stagger_comes_from_the_settings(submitter, comment_chats, settings):
    settings.BOOST_GROUP_STAGGER_MINUTES = Decimal("2.5")
    order = submit(submitter, "t1")
    first, second = (m.next_attempt_at for m in messages_of(order))
    assert second - first == timedelta(minutes=2, seconds=30)


def test_comment_groups_get_the_link_and_the_comment_and_repost_targets(submitter, comment_chats):
    order = submit(submitter, "t2")
    assert messages_of(order)[0].payload["text"] == (
        "🚨 *New Link Submission* 🚨\n"
        f"🆔 Order: `B-{order.pk}`\n"
        "🔗 https://x\\.com/brand/status/1790000000000000001\n"
        "*Targets:* Comments: `20` Reposts: `10`\n"
        "_This post is now in the queue_"
    )


def test_a_post_without_comments_leaves_the_pointer_alone(submitter, comment_chats, custom_plan_of):
    submit(submitter, "t1")
    custom = custom_plan_of(
        submitter, targets={"likes": 10, "reposts": 0, "comments": 0, "views": 500}
    )
    order = submit_boost(user=submitter, link=parse_post_link(X_LINK), purchase_id=custom.pk)
    assert comment_chats_of(order) == []
    assert pointer() == 2


def test_the_likes_group_gets_every_post_at_once_without_moving_the_pointer(
    submitter, comment_chats, likes_chat
):
    first = submit(submitter, "t2")
    second = submit(submitter, "t2")
    for order in (first, second):
        likes = OutboundMessage.objects.get(dedupe_key=f"boost:{order.pk}:group:{likes_chat}")
        assert abs(likes.next_attempt_at - order.created_at) < timedelta(seconds=5)
    assert comment_chats_of(second) == [-1005, -1001, -1002, -1003]
    assert pointer() == 8


def test_the_likes_group_message_has_likes_needed_and_never_comments_or_reposts(
    submitter, likes_chat
):
    order = submit(submitter, "t1")  # 30 likes, 10 comments
    text = OutboundMessage.objects.get(chat_id=likes_chat).payload["text"]
    head, stamp = text.rsplit("\n", 1)
    assert head == (
        "🎯 *New Post \\- Likes Needed* 🎯\n"
        "🆔 ID: `1790000000000000001`\n"
        "🔗 https://x\\.com/brand/status/1790000000000000001\n"
        "❤️ Likes Needed: `20`\n"
        f"🔍 Order: `B-{order.pk}`"
    )
    assert re.fullmatch(r"⏰ Timestamp: `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`", stamp)
    assert "Comments" not in text and "Reposts" not in text


def test_likes_needed_never_goes_below_zero(submitter, likes_chat, custom_plan_of):
    targets = {"likes": 5, "reposts": 1, "comments": 12, "views": 0}
    custom = custom_plan_of(submitter, targets=targets)
    submit_boost(user=submitter, link=parse_post_link(X_LINK), purchase_id=custom.pk)
    assert "Likes Needed: `0`" in OutboundMessage.objects.get(chat_id=likes_chat).payload["text"]


def test_a_telegram_post_asks_the_likes_group_for_its_comment_target(
    submitter, comment_chats, likes_chat
):
    order = submit(submitter, "tgt", link=TG_LINK, account="chan", comments_per_post=15)
    text = OutboundMessage.objects.get(chat_id=likes_chat).payload["text"]
    assert "🆔 ID: `brandchannel/42`" in text and "Likes Needed: `15`" in text
    assert comment_chats_of(order) == [-1001, -1002, -1003]
    assert messages_of(order)[1].payload["text"] == (
        "🚨 *New Telegram Post* 🚨\n"
        f"🆔 Order: `B-{order.pk}`\n"
        "🔗 https://t\\.me/brandchannel/42\n"
        "💬 Targets: `15` comments/reactions"
    )


def test_no_likes_group_means_only_comment_groups(submitter, comment_chats):
    add_group(-2002, GroupRole.LIKES, active=False)
    order = submit(submitter, "t1")
    assert [m.chat_id for m in messages_of(order)] == [-1001, -1002]


def test_one_message_per_order_and_group_however_often_it_is_queued(submitter, comment_chats):
    order = submit(submitter, "t2")
    before = [(m.pk, m.chat_id) for m in messages_of(order)]
    GroupPointer.objects.filter(name="comments").update(position=0)  # as a retry would see it
    distribute(order, now=order.created_at)
    assert [(m.pk, m.chat_id) for m in messages_of(order)] == before


def test_the_same_link_submitted_again_is_a_new_post_for_the_groups(submitter, comment_chats):
    first = submit(submitter, "t1")
    second = submit(submitter, "t1")
    assert comment_chats_of(first) == [-1001, -1002]
    assert comment_chats_of(second) == [-1003, -1004]


REFUSE_LIKES_CHAT = f"""
CREATE FUNCTION test_refuse_likes_chat() RETURNS trigger AS $$
BEGIN
    IF NEW.chat_id = {LIKES_CHAT} THEN RAISE EXCEPTION 'likes chat refused'; END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER test_refuse_likes_chat BEFORE INSERT ON bot_outboundmessage
FOR EACH ROW EXECUTE FUNCTION test_refuse_likes_chat();
"""


@pytest.mark.postgres
def test_a_database_error_queueing_the_likes_group_still_submits_and_reaches_comment_groups(
    submitter, comment_chats, likes_chat, caplog
):
    # The DDL lives in the test's transaction and is rolled back with it.
    with connection.cursor() as cursor:
        cursor.execute(REFUSE_LIKES_CHAT)
    order = submit(submitter, "t2")
    assert comment_chats_of(order) == [-1001, -1002, -1003, -1004]
    assert not OutboundMessage.objects.filter(chat_id=likes_chat).exists()
    assert order.phases.count() == 5
    assert f"likes group {likes_chat}: could not queue B-{order.pk}" in caplog.text
