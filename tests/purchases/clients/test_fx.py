"""The exchangerate-api client: exact rates, and its key (in the URL path) never shown."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.conf import settings

from apps.common.http.errors import ProviderError, ProviderRejected
from apps.purchases.clients.fx import FxClient, build_fx_client, redact_key
from apps.sandbox.failures import inject_failure
from apps.sandbox.prices import set_ngn_rate

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_KEY = "fx-secret-key-7f3a9c"


@pytest.fixture
def fx_key(settings):
    settings.FX_API_KEY = SECRET_KEY
    return SECRET_KEY


def test_the_naira_rate_arrives_as_an_exact_decimal(providers, fx_key):
    set_ngn_rate("1550.12")

    with build_fx_client() as client:
        rate = client.usd_rate("NGN")

    assert rate == Decimal("1550.12")
    assert isinstance(rate, Decimal)


@pytest.mark.parametrize("kind", ["http_500", "http_502", "malformed_json"])
def test_the_key_is_in_no_error_message_or_log_line(providers, fx_key, caplog, kind):
    caplog.set_level(logging.DEBUG)
    inject_failure("fx.latest", kind, times=2)

    with build_fx_client() as client, pytest.raises(ProviderError) as failed:
        client.usd_rate("NGN")

    assert SECRET_KEY not in str(failed.value)
    assert "/v6/[REDACTED]/latest/USD" in str(failed.value)
    assert SECRET_KEY not in caplog.text
    assert "[REDACTED]" in caplog.text


def test_a_wrong_key_is_refused_without_naming_it(providers, fx_key, caplog):
    caplog.set_level(logging.DEBUG)
    wrong_key = "wrong/key%20with-odd-characters"

    with (
        FxClient(settings.FX_RATE_URL, api_key=wrong_key) as client,
        pytest.raises(ProviderRejected) as refused,
    ):
        client.usd_rate("NGN")

    assert refused.value.status_code == 403
    assert refused.value.body == {"result": "error", "error-type": "invalid-key"}
    for shown in (str(refused.value), caplog.text):
        assert "wrong" not in shown
        assert "odd-characters" not in shown


def test_a_client_without_a_key_is_refused_before_any_call():
    with pytest.raises(ValueError, match="FX_API_KEY"):
        FxClient("http://127.0.0.1:9", api_key="")


def test_the_key_segment_is_redacted_whatever_the_url_prefix():
    assert redact_key("/sandbox/fx/v6/abc123/latest/USD") == "/sandbox/fx/v6/[REDACTED]/latest/USD"
    assert redact_key("/v6/abc123/latest/USD") == "/v6/[REDACTED]/latest/USD"
