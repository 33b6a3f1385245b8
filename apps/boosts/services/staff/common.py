"""Shared by the staff actions: the permissions they need, refusals, reasons, panel calls."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from apps.boosts.clients.smm import SmmError, build_smm_client
from apps.boosts.models import (
    BoostOrder,
    OrderStatus,
    ProviderOrder,
    ProviderOrderStatus,
)
from apps.common.db.connections import release_connection
from apps.common.http.errors import ProviderError
from apps.purchases.services.permissions import require_staff_permission

logger = logging.getLogger("apps.boosts.staff")

# The capabilities (model permissions; the admin lets nobody change these rows directly, so each
# one means exactly the actions named here). Granted to roles in apps/users/roles.py.
ACT_ON_ORDERS = "boosts.change_boostorder"  # retry a phase, cancel, refill, resolve unknown
ADD_PROVIDERS = "boosts.add_provider"
EDIT_PROVIDERS = "boosts.change_provider"  # provider settings, service ids, balance refresh

SERVICE_ID_MIN, SERVICE_ID_MAX = 1, 999_999
# A low balance is told to the admin group at most once per provider in this window.
LOW_BALANCE_ALERT_EVERY = timedelta(hours=6)
# Orders that are over: nothing more can be done to them by hand.
CLOSED_ORDER_STATUSES = (OrderStatus.COMPLETED, OrderStatus.FAILED, OrderStatus.CANCELED)
OPEN_ORDER_STATUSES = (OrderStatus.SCHEDULED, OrderStatus.RUNNING)
# What refill applies to: delivered orders the panel knows by id.
REFILLABLE_STATUSES = (ProviderOrderStatus.COMPLETED, ProviderOrderStatus.PARTIAL)
# Provider settings staff edit on the provider's page (service ids have their own action).
PROVIDER_SETTINGS = ("api_url", "api_key_env", "priority", "is_enabled", "low_balance_threshold")
PROVIDER_FIELDS = ("name", *PROVIDER_SETTINGS, "view_service_id", "like_service_id")
ERROR_LENGTH = 255


class BoostActionRefused(Exception):
    """A staff action that cannot be done now; the message says why, for staff to read."""


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BoostActionRefused("Say why: a reason is required and kept in the audit log.")
    return reason


def _act_check(actor, doing: str) -> None:
    require_staff_permission(actor, ACT_ON_ORDERS, doing=doing)


def order_ref(order_id) -> str:
    return f"B-{order_id}"


def _terms(order: BoostOrder) -> list:
    return [order.user.telegram_id, order.post_id, order_ref(order.pk)]


def _by_panel(provider_orders) -> dict[tuple[str, str, str], list[ProviderOrder]]:
    """Provider orders grouped by the panel they were placed at (its URL and key variable then)."""
    groups: dict[tuple[str, str, str], list[ProviderOrder]] = defaultdict(list)
    for po in provider_orders:
        groups[(po.provider_name, po.api_url, po.api_key_env)].append(po)
    return groups


def _ask_panel(panel: tuple[str, str, str], action: str, ids: list[str]) -> tuple[dict, str]:
    """The panel's answer per order id to ACTION ("cancel", "refill"), and why the whole call
    failed ("" when it did not: panel down, circuit open, key not set)."""
    name, api_url, api_key_env = panel
    release_connection()
    try:
        with build_smm_client(name=name, api_url=api_url, api_key_env=api_key_env) as client:
            return getattr(client, action)(ids), ""
    except (SmmError, ProviderError, ValueError) as error:
        # ValueError: the row lacks what a client needs (a panel URL or key variable).
        logger.warning("SMM provider %s: %s failed (%s)", name, action, error)
        detail = getattr(error, "detail", "") or str(error)
        return {}, f"panel error: {detail}"[:ERROR_LENGTH]


def _error_text(reply) -> str:
    if isinstance(reply, SmmError):
        return reply.detail or str(reply)
    return str(reply)
