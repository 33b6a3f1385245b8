"""Journeys across apps reuse the bot's, the purchases' and the boosts' fixtures."""

from tests.boosts.smm_fixtures import smm_panel, smm_provider  # noqa: F401 - fixtures
from tests.bot.conftest import telegram  # noqa: F401 - fixtures
from tests.purchases.conftest import catalogue, providers  # noqa: F401 - fixtures
