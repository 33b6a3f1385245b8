"""Boosting a post as a bot user would: paste the link, pick the plan, see it queued.

Everything goes through the webhook, the worker and the outbox to the sandbox's fake Bot API
over real HTTP; the groups' messages are read back from what the fake recorded.
"""

from __future__ import annotations

import pytest

from apps.boosts.models import BoostOrder, OrderStatus
from apps.bot.models import OutboundMessage, OutboxStatus
from apps.purchases.models import Purchase
from apps.sandbox.failures import inject_failure
from apps.sandbox.selectors import sent_to
from tests.boosts.conftest import add_group, grant, make_custom_plan
from tests.bot.conftest import bot_said, buttons_of_last_message
from tests.bot.telegram_updates import private_user
from tests.bot.test_journeys import press, say
from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db(transaction=True)
ADA = private_user(telegram_id=5123456789, first_name="Ada", username="ada")
BAYO = private_user(telegram_id=6100000001, first_name="Bayo", username="bayo_x")
X_POST = "https://x.com/brand/status/1790000000000000001"
TG_POST = "https://t.me/brandchannel/42"
COMMENT_CHATS = [-1001, -1002, -1003, -1004, -1005]
LIKES_CHAT = -2001
NOT_YOURS = "❌ That plan is not one of yours for this kind of post."
NO_PENDING = "⚠️ No link is waiting for a plan. Paste the post link first."


@pytest.fixture
def groups(telegram):
    for position, chat_id in enumerate(COMMENT_CHATS, start=1):
        add_group(chat_id, "comments", position=position)
    add_group(LIKES_CHAT, "likes")


@pytest.fixture
def ada(groups):
    return BotUserFactory(telegram_id=ADA["id"], username="ada", first_name="Ada")


@pytest.fixture
def bayo(groups):
    return BotUserFactory(telegram_id=BAYO["id"], username="bayo_x", first_name="Bayo")


def button_texts(chat_id: int) -> list[str]:
    markup = sent_to(chat_id)[-1].reply_markup or {}
    return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]


def offer_token(chat_id: int) -> str:
    """The token of the latest plan question's buttons (boost:pick:<purchase>:<token>)."""
    for message in reversed(sent_to(chat_id)):
        for row in (message.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("callback_data", "").startswith("boost:pick:"):
                    return button["callback_data"].rsplit(":", 1)[1]
    return "none"


def pick(client, purchase_id, user=ADA, token=None) -> None:
    """Press the plan button for PURCHASE_ID under the latest plan question."""
    token = token or offer_token(user["id"])
    press(client, f"boost:pick:{purchase_id}:{token}", user=user)


def credits(*purchases) -> list[int]:
    return [Purchase.objects.get(pk=purchase.pk).credits_remaining for purchase in purchases]


def test_pasting_an_x_link_and_picking_a_plan_queues_the_post(client, ada, superuser):
    older = grant(ada, plan_code="t2", account="brand", credits=40)
    newer = grant(ada, plan_code="t2", account="brand", credits=50)
    custom = make_custom_plan(ada, actor=superuser, name="VIP", posts=5)

    say(client, "https://twitter.com/brand/status/1790000000000000001?s=20&t=track")
    assert bot_said(ADA["id"])[-1] == f"🔗 {X_POST}\n\nWhich plan should boost this post?"
    assert button_texts(ADA["id"]) == [
        "@brand (T2 - 90 posts left)",
        "Custom: VIP - 5 posts left",
        "↩️ Main menu",
    ]
    token = offer_token(ADA["id"])
    assert len(token) == 6
    assert buttons_of_last_message(ADA["id"]) == [
        f"boost:pick:{older.pk}:{token}",
        f"boost:pick:{custom.pk}:{token}",
        "menu:main",
    ]

    pick(client, older.pk)
    assert bot_said(ADA["id"])[-1] == (
        "✅ Post queued under @brand. Targets: 👍 50 🔁 10 💬 20 👀 5000\n"
        "📦 89 posts left on this plan."
    )
    assert credits(older, newer, custom) == [39, 50, 5]
    order = BoostOrder.objects.get()
    assert (order.link, order.status, order.phases.count()) == (X_POST, OrderStatus.SCHEDULED, 5)

    assert bot_said(-1001) == [
        "🚨 New Link Submission 🚨\n"
        f"🆔 Order: B-{order.pk}\n"
        f"🔗 {X_POST}\n"
        "Targets: Comments: 20 Reposts: 10\n"
        "This post is now in the queue"
    ]
    likes = bot_said(LIKES_CHAT)
    assert len(likes) == 1
    assert likes[0].startswith(
        "🎯 New Post - Likes Needed 🎯\n"
        "🆔 ID: 1790000000000000001\n"
        f"🔗 {X_POST}\n"
        "❤️ Likes Needed: 30\n"
        f"🔍 Order: B-{order.pk}\n"
        "⏰ Timestamp: "
    )
    # Groups 2 to 4 of the post wait for their turn, 15 minutes apart.
    later = OutboundMessage.objects.filter(chat_id__in=[-1002, -1003, -1004])
    assert {message.status for message in later} == {OutboxStatus.PENDING}
    assert bot_said(-1002) == [] and bot_said(-1005) == []


def test_telegram_refusing_the_likes_group_does_not_touch_the_comment_groups(client, ada):
    purchase = grant(ada, plan_code="t1", credits=2)
    say(client, X_POST)
    # The likes group's message is the first sendMessage of the pick (the callback answer is
    # another method), so this refusal is Telegram refusing the likes group.
    inject_failure("sendMessage", "http_403_blocked")
    pick(client, purchase.pk)
    assert OutboundMessage.objects.get(chat_id=LIKES_CHAT).status == OutboxStatus.FAILED
    assert bot_said(LIKES_CHAT) == []
    assert [text.splitlines()[0] for text in bot_said(-1001)] == ["🚨 New Link Submission 🚨"]
    assert OutboundMessage.objects.get(chat_id=-1002).status == OutboxStatus.PENDING
    assert bot_said(ADA["id"])[-1].startswith("✅ Post queued under @brand.")
    assert BoostOrder.objects.get().status == OrderStatus.SCHEDULED


def test_pressing_the_same_button_again_consumes_nothing(client, ada):
    purchase = grant(ada, credits=10)
    say(client, X_POST)
    pick(client, purchase.pk)
    pick(client, purchase.pk)
    assert bot_said(ADA["id"])[-1] == NO_PENDING
    assert credits(purchase) == [9]
    assert BoostOrder.objects.count() == 1


def test_the_same_link_can_be_boosted_again_with_another_credit(client, ada):
    purchase = grant(ada, plan_code="t1", credits=2)
    for _ in range(2):
        say(client, X_POST)
        pick(client, purchase.pk)
    assert bot_said(ADA["id"])[-1] == (
        "✅ Post queued under @brand. Targets: 👍 30 🔁 5 💬 10 👀 2000\n"
        "📦 0 posts left on this plan."
    )
    assert BoostOrder.objects.filter(link=X_POST).count() == 2
    assert [m.splitlines()[1] for m in bot_said(-1003)] == [
        f"🆔 Order: B-{BoostOrder.objects.order_by('id').last().pk}"
    ]


def test_submitlink_with_a_telegram_post(client, ada):
    purchase = grant(ada, plan_code="tgt", account="chan", credits=3, comments_per_post=10)
    say(client, f"/submitlink {TG_POST}?single")
    assert bot_said(ADA["id"])[-1] == f"🔗 {TG_POST}\n\nWhich plan should boost this post?"
    assert button_texts(ADA["id"]) == ["@chan (TGT - 3 posts left)", "↩️ Main menu"]
    pick(client, purchase.pk)
    assert bot_said(ADA["id"])[-1] == (
        "✅ Post queued under @chan. Targets: 👍 10 💬 10\n📦 2 posts left on this plan."
    )
    order = BoostOrder.objects.get()
    assert (order.status, order.phases.count()) == (OrderStatus.COMPLETED, 0)
    assert bot_said(-1001) == [
        f"🚨 New Telegram Post 🚨\n🆔 Order: B-{order.pk}\n🔗 {TG_POST}\n"
        "💬 Targets: 10 comments/reactions"
    ]
    assert "❤️ Likes Needed: 10\n" in bot_said(LIKES_CHAT)[0]


def test_submitlink_without_a_link_explains_itself(client, ada):
    say(client, "/submitlink")
    assert bot_said(ADA["id"])[-1] == (
        "Send /submitlink followed by the post link, like "
        "/submitlink https://x.com/yourname/status/123"
    )


def test_without_credits_for_the_platform_the_user_is_offered_to_buy(client, ada):
    grant(ada, plan_code="tgt", account="chan", credits=3, comments_per_post=10)
    say(client, X_POST)
    assert bot_said(ADA["id"])[-1] == (
        "❌ You have no X posts left to boost. Buy a plan to continue."
    )
    assert button_texts(ADA["id"]) == ["🆕 Buy", "↩️ Main menu"]
    assert buttons_of_last_message(ADA["id"]) == ["menu:services", "menu:main"]
    assert not BoostOrder.objects.exists()


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        (
            "https://x.com/brand",
            "❌ That X link is not a post. Open the post and copy its link "
            "(it looks like https://x.com/name/status/123).",
        ),
        (
            "tg://resolve?domain=brandchannel",
            "❌ Send the full web link of the post, starting with https://",
        ),
        (
            "https://evil.example/brand/status/1",
            "❌ Only links to X (x.com, twitter.com) or Telegram (t.me) posts can be boosted.",
        ),
        (
            f"boost this {X_POST}",
            "❌ Send the link on its own, with nothing else in the message.",
        ),
    ],
)
def test_bad_links_get_the_reason_and_change_nothing(client, ada, text, reply):
    purchase = grant(ada, credits=5)
    say(client, text)
    assert bot_said(ADA["id"])[-1] == reply
    pick(client, purchase.pk)
    assert bot_said(ADA["id"])[-1] == NO_PENDING
    assert credits(purchase) == [5]


def test_chatter_is_not_taken_for_a_link(client, ada):
    say(client, "hello there")
    assert bot_said(ADA["id"])[-2].startswith("❓ I didn't understand that")


def test_text_while_picking_is_a_nudge_and_a_new_link_replaces_the_pending_one(client, ada):
    purchase = grant(ada, credits=5)
    say(client, X_POST)
    say(client, "hmm")
    assert bot_said(ADA["id"])[-1] == (
        "👆 Pick a plan from the buttons above, or paste another link."
    )
    say(client, "https://x.com/brand/status/42")
    pick(client, purchase.pk)
    assert BoostOrder.objects.get().link == "https://x.com/brand/status/42"


def test_another_users_or_made_up_purchase_ids_are_refused(client, ada, bayo):
    adas = grant(ada, credits=5)
    bayos = grant(bayo, plan_code="t1", account="bayobrand", credits=2)
    say(client, X_POST, user=BAYO)
    for purchase_id in (adas.pk, "999999", "abc"):
        pick(client, purchase_id, user=BAYO)
        said = bot_said(BAYO["id"])
        assert said[-2:] == [NOT_YOURS, f"🔗 {X_POST}\n\nWhich plan should boost this post?"]
        assert button_texts(BAYO["id"])[0] == "@bayobrand (T1 - 2 posts left)"
    assert credits(adas, bayos) == [5, 2]
    assert not BoostOrder.objects.exists()
    pick(client, bayos.pk, user=BAYO)
    assert credits(adas, bayos) == [5, 1]


def test_a_stale_button_for_a_spent_plan_consumes_nothing(client, ada, superuser):
    tier = grant(ada, credits=5)
    custom = make_custom_plan(ada, actor=superuser, name="VIP", posts=1)
    say(client, X_POST)
    pick(client, custom.pk)
    say(client, "https://x.com/brand/status/42")
    assert "Custom: VIP - 1 posts left" not in button_texts(ADA["id"])
    pick(client, custom.pk)  # a made-up press: that plan is spent
    assert bot_said(ADA["id"])[-2] == "❌ That plan has no posts left."
    assert credits(tier, custom) == [5, 0]
    assert BoostOrder.objects.count() == 1


def test_a_button_under_an_earlier_link_never_boosts_the_later_one(client, ada):
    purchase = grant(ada, credits=5)
    say(client, X_POST)
    first_offer = offer_token(ADA["id"])
    say(client, "https://x.com/brand/status/42")

    pick(client, purchase.pk, token=first_offer)

    assert bot_said(ADA["id"])[-1] == (
        "⚠️ That button belongs to an earlier link. Use the buttons under your latest link."
    )
    assert credits(purchase) == [5]
    assert not BoostOrder.objects.exists()
    pick(client, purchase.pk)  # the button under the latest link still works
    assert BoostOrder.objects.get().link == "https://x.com/brand/status/42"


def test_a_command_abandons_the_pending_link(client, ada):
    purchase = grant(ada, credits=5)
    say(client, X_POST)
    say(client, "/start")
    pick(client, purchase.pk)
    assert bot_said(ADA["id"])[-1] == NO_PENDING
    assert credits(purchase) == [5]


def test_a_link_in_a_group_chat_is_ignored(client, ada):
    from tests.bot.conftest import deliver, run_bot
    from tests.bot.telegram_updates import group_chat, message_update

    grant(ada, credits=5)
    chat = group_chat(chat_id=-1009)
    assert deliver(client, message_update(X_POST, user=ADA, chat=chat)).status_code == 200
    run_bot()
    assert bot_said(-1009) == [] and not BoostOrder.objects.exists()
