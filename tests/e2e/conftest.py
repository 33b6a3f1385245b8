"""Journeys across apps reuse the bot's and the purchases' fixtures."""

from tests.bot.conftest import telegram  # noqa: F401 - fixtures
from tests.purchases.conftest import catalogue, providers  # noqa: F401 - fixtures
