import pytest

from apps.users.models import BotUser, ReferrerChangeRefused
from apps.users.services import RegistrationError, register_bot_user, touch_last_seen
from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db


def test_first_contact_registers_the_user_with_their_referrer():
    referrer = BotUserFactory()
    user, created = register_bot_user(
        telegram_id=42, username="ada", first_name="Ada", referrer_telegram_id=referrer.telegram_id
    )
    assert created
    assert user.referrer == referrer
    assert user.last_seen_at is not None


def test_returning_user_cannot_change_their_referrer_through_a_new_link():
    first, second = BotUserFactory(), BotUserFactory()
    register_bot_user(telegram_id=42, referrer_telegram_id=first.telegram_id)
    user, created = register_bot_user(telegram_id=42, referrer_telegram_id=second.telegram_id)
    assert not created
    assert user.referrer == first


@pytest.mark.parametrize("referrer_telegram_id", [42, 999_999])
def test_self_referral_and_unknown_referrer_register_without_referrer(referrer_telegram_id):
    user, created = register_bot_user(telegram_id=42, referrer_telegram_id=referrer_telegram_id)
    assert created
    assert user.referrer is None


@pytest.mark.parametrize("telegram_id", [0, -5, "42", 4.2, True, None])
def test_registration_refuses_a_telegram_id_that_is_not_a_positive_integer(telegram_id):
    with pytest.raises(RegistrationError, match="positive whole number"):
        register_bot_user(telegram_id=telegram_id)
    assert BotUser.objects.count() == 0


def test_over_long_names_are_cut_to_the_column_size():
    user, _ = register_bot_user(telegram_id=7, username="u" * 100, first_name="f" * 300)
    user.refresh_from_db()
    assert len(user.username) == 64
    assert len(user.first_name) == 128


@pytest.mark.parametrize("reload", [True, False])
def test_saving_a_changed_referrer_is_refused_after_registration(reload):
    user = BotUserFactory()
    if reload:
        user = BotUser.objects.get(pk=user.pk)
    user.referrer = BotUserFactory()
    with pytest.raises(ReferrerChangeRefused):
        user.save()
    assert BotUser.objects.get(pk=user.pk).referrer is None


def test_a_user_cannot_be_their_own_referrer_in_the_database():
    from django.db import IntegrityError

    user = BotUserFactory()
    with pytest.raises(IntegrityError):
        BotUser.objects.filter(pk=user.pk).update(referrer=user)


def test_touch_last_seen_moves_the_timestamp_forward():
    user = BotUserFactory(last_seen_at=None)
    touch_last_seen(bot_user=user)
    user.refresh_from_db()
    assert user.last_seen_at is not None


def test_string_form_shows_handle_and_telegram_id():
    assert str(BotUserFactory.build(username="ada", telegram_id=5)) == "@ada (5)"
    assert str(BotUserFactory.build(username="", first_name="Bo", telegram_id=6)) == "Bo (6)"
