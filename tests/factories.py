"""factory_boy factories for the models tests need in numbers."""

import factory
from django.contrib.auth import get_user_model

from apps.users.models import BotUser

STAFF_PASSWORD = "correct-horse-battery-staple"


class BotUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BotUser

    telegram_id = factory.Sequence(lambda n: 500_000_000 + n)
    username = factory.Sequence(lambda n: f"bot_user_{n}")
    first_name = factory.Faker("first_name")


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", STAFF_PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()
