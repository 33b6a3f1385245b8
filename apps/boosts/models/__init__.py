"""Boosts: SMM providers, the orders a submitted link becomes, their phases and provider orders."""

from apps.boosts.models.distribution import GroupPointer
from apps.boosts.models.orders import (
    BoostOrder,
    BoostPhase,
    OrderStatus,
    PhaseStatus,
    ProviderOrder,
    ProviderOrderStatus,
    ServiceKind,
)
from apps.boosts.models.providers import Provider

__all__ = [
    "BoostOrder",
    "BoostPhase",
    "GroupPointer",
    "OrderStatus",
    "PhaseStatus",
    "Provider",
    "ProviderOrder",
    "ProviderOrderStatus",
    "ServiceKind",
]
