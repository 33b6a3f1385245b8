"""What the sandbox's fake SMM panels hold: the orders that reached them, and their clocks."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F

from apps.sandbox.smm.models import SmmPanelOrder


def fake_orders(panel_name: str) -> list[SmmPanelOrder]:
    """Orders the panel took (each one an `add` that reached it), oldest first."""
    return list(SmmPanelOrder.objects.filter(panel__name=panel_name).order_by("id"))


def age_fake_orders(panel_name: str, *, seconds: int) -> None:
    """Move the panel's orders SECONDS into their life (Pending → In progress → done)."""
    SmmPanelOrder.objects.filter(panel__name=panel_name).update(
        created_at=F("created_at") - timedelta(seconds=seconds)
    )
