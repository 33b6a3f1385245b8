"""Fixtures for the sandbox's fake SMM panels and the boosts Provider rows pointing at them.

tests/boosts/conftest.py re-exports them (`from tests.boosts.smm_fixtures import *`); other
modules import them by name.

- smm_panel(name="plugsmms", **fields): the fake panel row, created with its catalogue's
  services when missing (a transactional test starts without the seeded ones), FIELDS applied:
  smm_panel(failure_mode="down"), smm_panel(balance=Decimal("0.01")), smm_panel(partial_percent=30).
- smm_provider(panel_name="plugsmms", priority=1, **fields): the apps.boosts Provider for that
  panel, served by live_server; its key variable is unset, so the sandbox key is used.
"""

from __future__ import annotations

import pytest

from apps.boosts.models import Provider
from apps.sandbox.smm import catalogue
from apps.sandbox.smm import services as fake_panels

__all__ = ["SMM_KEY_ENV", "smm_panel", "smm_provider"]

# Never set in tests: build_smm_client falls back to settings.SANDBOX_SMM_API_KEY.
SMM_KEY_ENV = "SANDBOX_SMM_KEY_UNSET"


@pytest.fixture
def smm_panel(db):
    def make(name: str = "plugsmms", **fields):
        return fake_panels.ensure_panel(name, **fields)

    return make


@pytest.fixture
def smm_provider(smm_panel, live_server, monkeypatch):
    monkeypatch.delenv(SMM_KEY_ENV, raising=False)

    def make(panel_name: str = "plugsmms", priority: int = 1, **fields) -> Provider:
        smm_panel(panel_name)
        service_ids = catalogue.service_ids(panel_name)
        defaults = {
            "api_url": f"{live_server.url}/sandbox/smm/{panel_name}/api/v2",
            "api_key_env": SMM_KEY_ENV,
            "priority": priority,
            "view_service_id": service_ids["views"],
            "like_service_id": service_ids["likes"],
            **fields,
        }
        provider, _ = Provider.objects.update_or_create(name=panel_name, defaults=defaults)
        return provider

    return make
