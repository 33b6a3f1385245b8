"""Panel balances: refreshed on demand and every 15 minutes; a low one alerts the admin group."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.boosts import notifications
from apps.boosts.clients.smm import SmmError, build_smm_client
from apps.boosts.models import (
    Provider,
)
from apps.boosts.services.staff.common import (
    LOW_BALANCE_ALERT_EVERY,
    logger,
)
from apps.bot.texts import md
from apps.common.db.connections import release_connection
from apps.common.http.errors import ProviderError


def refresh_balance(provider: Provider) -> Provider:
    """Ask PROVIDER's panel for its balance and store it; SmmError when the panel does not answer.

    A reading of the panel, not a decision: it is not an audit event (it runs every few minutes).
    """
    release_connection()
    with build_smm_client(provider) as client:
        balance = client.balance()
    now = timezone.now()
    Provider.objects.filter(pk=provider.pk).update(
        balance=balance.amount,
        balance_currency=(balance.currency or "")[:8],
        balance_checked_at=now,
    )
    provider.refresh_from_db()
    return provider


def is_low(provider: Provider) -> bool:
    return provider.balance is not None and provider.balance < provider.low_balance_threshold


def check_balances() -> dict[str, list[str]]:
    """Refresh every enabled provider's balance; tell staff of a low one once per 6 hours.

    A panel that does not answer is logged and skipped: its balance stays as last seen.
    """
    outcome: dict[str, list[str]] = {"checked": [], "low": [], "alerted": [], "unreachable": []}
    for provider in Provider.objects.filter(is_enabled=True).order_by("priority", "name"):
        try:
            provider = refresh_balance(provider)
        except (SmmError, ProviderError) as error:
            logger.warning(
                "SMM provider %s: balance check failed (%s); skipped", provider.name, error
            )
            outcome["unreachable"].append(provider.name)
            continue
        outcome["checked"].append(provider.name)
        if is_low(provider):
            outcome["low"].append(provider.name)
            if _alert_low_balance(provider):
                outcome["alerted"].append(provider.name)
    return outcome


def _alert_low_balance(provider: Provider) -> bool:
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            Provider.objects.filter(pk=provider.pk)
            .filter(
                Q(low_balance_alerted_at__isnull=True)
                | Q(low_balance_alerted_at__lte=now - LOW_BALANCE_ALERT_EVERY)
            )
            .update(low_balance_alerted_at=now)
        )
        if not claimed:
            return False
        currency = provider.balance_currency or ""
        notifications.alert_staff(
            text=(
                f"🪫 *SMM provider {md(provider.name)} is low on funds*\n"
                f"Balance {md(_amount(provider.balance))} {md(currency)}, below the threshold "
                f"of {md(_amount(provider.low_balance_threshold))}\\. Top the panel up\\."
            ),
            dedupe_key=f"low-balance:{provider.name}:{now.isoformat()}",
        )
    return True


def _amount(value) -> str:
    return f"{value:,.2f}"
