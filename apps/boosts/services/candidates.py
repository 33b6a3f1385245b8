"""Which providers a phase may go to, in order: its snapshot first, then the others by priority."""

from __future__ import annotations

from dataclasses import dataclass

from apps.boosts.models import Provider


@dataclass(frozen=True)
class ProviderChoice:
    name: str
    api_url: str
    api_key_env: str
    services: dict  # {"views": id, "likes": id}

    @classmethod
    def from_provider(cls, provider: Provider) -> ProviderChoice:
        return cls(provider.name, provider.api_url, provider.api_key_env, provider.service_ids())

    @classmethod
    def from_snapshot(cls, snapshot: dict) -> ProviderChoice:
        return cls(
            snapshot["provider"],
            snapshot["api_url"],
            snapshot["api_key_env"],
            {kind: int(service) for kind, service in snapshot["services"].items()},
        )


def candidates_for(phase) -> list[ProviderChoice]:
    """Providers to try for PHASE, skipping disabled ones and those that refused it for good.

    The order's snapshot (provider, URL and service ids as they were at submission) comes first,
    so staff editing service ids later never changes a running boost; a failover goes to the
    next enabled provider by priority, with that provider's current service ids.
    """
    refused = set(phase.failed_providers or [])
    enabled = [p for p in Provider.objects.filter(is_enabled=True) if p.name not in refused]
    choices = []
    snapshot = phase.order.snapshot or {}
    if snapshot.get("provider") and snapshot["provider"] in {p.name for p in enabled}:
        choices.append(ProviderChoice.from_snapshot(snapshot))
    taken = {choice.name for choice in choices}
    choices.extend(ProviderChoice.from_provider(p) for p in enabled if p.name not in taken)
    return choices
