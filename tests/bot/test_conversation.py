"""Conversation steps live in the database and are left by any command or button."""

import pytest

from apps.bot.conversation import clear_step, current_step, enter_step
from apps.bot.journeys import STEP_HANDLERS
from tests.bot.conftest import bot_said, deliver, run_bot
from tests.bot.telegram_updates import callback_update, message_update, private_user

pytestmark = pytest.mark.django_db(transaction=True)
ADA = private_user()


@pytest.fixture
def echo_step():
    """A journey step that takes typed text, as the withdrawal flow will."""

    def handle(user, replies, text, step):
        replies.text(f"Got {text} for {step.data['for']}")

    STEP_HANDLERS["test_amount"] = handle
    yield
    STEP_HANDLERS.pop("test_amount")


def test_steps_survive_between_workers_because_they_are_rows():
    enter_step(42, "withdraw_amount", {"currency": "NGN"})
    assert current_step(42).name == "withdraw_amount"
    assert current_step(42).data == {"currency": "NGN"}
    clear_step(42)
    assert current_step(42).name == ""


def test_text_goes_to_the_step_the_user_is_in(telegram, client, echo_step):
    deliver(client, message_update("/start", user=ADA))
    run_bot()
    enter_step(ADA["id"], "test_amount", {"for": "withdrawal"})
    deliver(client, message_update("5000", user=ADA))
    run_bot()
    assert bot_said(ADA["id"])[-1] == "Got 5000 for withdrawal"


def test_a_menu_button_leaves_the_step_so_later_text_is_not_captured(telegram, client, echo_step):
    deliver(client, message_update("/start", user=ADA))
    run_bot()
    enter_step(ADA["id"], "test_amount", {"for": "withdrawal"})
    deliver(client, callback_update("menu:main", user=ADA))
    deliver(client, message_update("5000", user=ADA))
    run_bot()
    assert current_step(ADA["id"]).name == ""
    assert bot_said(ADA["id"])[-2].startswith("❓ I didn't understand that")
