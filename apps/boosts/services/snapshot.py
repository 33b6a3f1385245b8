"""The provider an order will use, frozen at submission (spec §6.5's "immutable snapshot").

Staff may edit service ids or switch providers while phases wait; the phases of an order go to
the provider and service ids it was submitted under (failover aside). No enabled provider is
not an error at submission: the snapshot is empty and dispatch picks whichever provider is
enabled when the phase is due.
"""

from __future__ import annotations

from django.utils import timezone

from apps.boosts.models import Provider


def take_snapshot() -> dict:
    provider = Provider.objects.filter(is_enabled=True).order_by("priority", "name").first()
    if provider is None:
        return {}
    return {
        "provider": provider.name,
        "api_url": provider.api_url,
        "api_key_env": provider.api_key_env,
        "services": provider.service_ids(),
        "taken_at": timezone.now().isoformat(),
    }
