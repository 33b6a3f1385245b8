"""Panel balances: read from the fake panels over HTTP, and a low one told to staff once."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from apps.boosts.models import Provider
from apps.boosts.services.staff import check_balances, refresh_balance
from apps.boosts.tasks import check_balances as check_balances_task
from apps.bot.models import GroupRole, OutboundMessage, TelegramGroup

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_CHAT = -4001


@pytest.fixture
def admin_group(db):
    return TelegramGroup.objects.create(
        chat_id=ADMIN_CHAT,
        title="ViralCore staff",
        chat_type="supergroup",
        role=GroupRole.ADMIN,
        is_active=True,
    )


def alerts() -> list[str]:
    return [
        message.payload["text"]
        for message in OutboundMessage.objects.filter(chat_id=ADMIN_CHAT).order_by("pk")
    ]


def test_refresh_stores_the_panels_balance_currency_and_time(smm_panel, smm_provider):
    smm_panel("plugsmms", balance=Decimal("12.34567"), currency="USD")
    provider = smm_provider("plugsmms")
    before = timezone.now()

    refreshed = refresh_balance(provider)

    stored = Provider.objects.get(pk=provider.pk)
    assert (stored.balance, stored.balance_currency) == (Decimal("12.35"), "USD")
    assert stored.balance_checked_at >= before
    assert refreshed.balance == stored.balance


def test_a_low_balance_is_told_to_staff_once_in_six_hours(smm_panel, smm_provider, admin_group):
    smm_panel("plugsmms", balance=Decimal("3.50"))
    provider = smm_provider("plugsmms", low_balance_threshold=Decimal("10.00"))

    first = check_balances()
    second = check_balances()

    assert first["alerted"] == ["plugsmms"]
    assert second == {
        "checked": ["plugsmms"],
        "low": ["plugsmms"],
        "alerted": [],
        "unreachable": [],
    }
    assert alerts() == [
        "🪫 *SMM provider plugsmms is low on funds*\n"
        "Balance 3\\.50 USD, below the threshold of 10\\.00\\. Top the panel up\\."
    ]

    Provider.objects.filter(pk=provider.pk).update(
        low_balance_alerted_at=timezone.now() - timedelta(hours=6, minutes=1)
    )
    check_balances()

    assert len(alerts()) == 2


def test_a_balance_above_the_threshold_tells_nobody(smm_panel, smm_provider, admin_group):
    smm_panel("plugsmms", balance=Decimal("50.00"))
    smm_provider("plugsmms", low_balance_threshold=Decimal("10.00"))

    outcome = check_balances()

    assert outcome["checked"] == ["plugsmms"]
    assert outcome["low"] == []
    assert alerts() == []
    assert Provider.objects.get(name="plugsmms").low_balance_alerted_at is None


def test_an_unreachable_panel_is_logged_and_the_others_are_still_checked(
    smm_panel, smm_provider, admin_group, caplog
):
    smm_panel("plugsmms", failure_mode="down")
    smm_panel("smmflare", balance=Decimal("2.00"))
    down = smm_provider("plugsmms", priority=1)
    down_checked_at = down.balance_checked_at
    smm_provider("smmflare", priority=2)

    with caplog.at_level(logging.WARNING, logger="apps.boosts.staff"):
        outcome = check_balances()

    assert outcome["unreachable"] == ["plugsmms"]
    assert outcome["checked"] == ["smmflare"]
    assert outcome["alerted"] == ["smmflare"]
    assert Provider.objects.get(name="plugsmms").balance_checked_at == down_checked_at
    assert "SMM provider plugsmms: balance check failed" in caplog.text
    assert len(alerts()) == 1


def test_disabled_providers_are_not_asked(smm_panel, smm_provider, admin_group):
    smm_panel("plugsmms", balance=Decimal("1.00"))
    smm_provider("plugsmms", is_enabled=False)

    assert check_balances() == {"checked": [], "low": [], "alerted": [], "unreachable": []}
    assert Provider.objects.get(name="plugsmms").balance_checked_at is None


def test_the_beat_task_checks_the_balances(smm_panel, smm_provider):
    smm_panel("plugsmms", balance=Decimal("20.00"))
    smm_provider("plugsmms")

    check_balances_task()

    assert Provider.objects.get(name="plugsmms").balance == Decimal("20.00")


def test_the_refresh_balance_button_asks_the_panel_now(
    smm_panel, smm_provider, second_approver, client
):
    smm_panel("plugsmms", balance=Decimal("42.10"))
    provider = smm_provider("plugsmms")
    client.force_login(second_approver)
    change_page = reverse("admin:boosts_provider_change", args=[provider.pk])
    assert "Refresh balance" in client.get(change_page).content.decode()

    done = client.post(reverse("admin:boosts_provider_refresh", args=[provider.pk]))

    assert done.status_code == 302
    assert Provider.objects.get(pk=provider.pk).balance == Decimal("42.10")
    assert [str(m) for m in get_messages(done.wsgi_request)] == ["plugsmms: balance 42.10 USD."]


def test_the_refresh_balance_button_says_when_the_panel_is_down(
    smm_panel, smm_provider, second_approver, client
):
    smm_panel("plugsmms", failure_mode="down")
    provider = smm_provider("plugsmms")
    client.force_login(second_approver)

    done = client.post(reverse("admin:boosts_provider_refresh", args=[provider.pk]))

    (message,) = [str(m) for m in get_messages(done.wsgi_request)]
    assert message.startswith("plugsmms: the panel did not answer")
    assert Provider.objects.get(pk=provider.pk).balance_checked_at is None
