"""Placing one claimed phase with a provider, failing over when one cannot take it.

The provider order row is committed (SENDING) before the `add` goes out, with no transaction
or connection held during the call. So a crash after sending leaves a SENDING row, which the
next attempt turns into "outcome unknown" for staff instead of ordering twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.boosts.clients.smm import SmmError, SmmErrorKind, build_smm_client
from apps.boosts.models import BoostPhase, PhaseStatus, ProviderOrder, ProviderOrderStatus
from apps.boosts.notifications import provider_out_of_funds
from apps.boosts.services import outcomes
from apps.boosts.services.candidates import ProviderChoice, candidates_for
from apps.boosts.services.outstanding import is_remainder, outstanding
from apps.common.db.connections import release_connection

logger = logging.getLogger(__name__)


class _Stop(Exception):
    """This attempt is over; the phase's next state has been written."""


def place_phase(phase_id: int, lease: str) -> None:
    phase = _take(phase_id, lease)
    if phase is None:
        return
    # Only placing creates provider orders: on a phase's first claim there are none to read.
    orders = list(phase.orders.all()) if phase.attempts > 1 else []
    interrupted = [o for o in orders if o.status == ProviderOrderStatus.SENDING]
    if interrupted:
        _interrupted(phase, interrupted)
        return
    choices = candidates_for(phase)
    try:
        for kind, quantity in outstanding(phase, orders).items():
            orders.append(_place_kind(phase, kind, quantity, orders, choices, lease))
    except _Stop:
        return
    outcomes.mark_placed(phase, [o for o in orders if o.provider_order_id])


def _take(phase_id: int, lease: str) -> BoostPhase | None:
    """The phase, if this task's claim on it still holds (a re-claimed phase belongs to another)."""
    phase = (
        BoostPhase.objects.select_related("order")
        .filter(pk=phase_id, status=PhaseStatus.DISPATCHING)
        .first()
    )
    if phase is None or phase.lease_until != datetime.fromisoformat(lease):
        return None
    return phase


def _interrupted(phase: BoostPhase, orders) -> None:
    ProviderOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
        status=ProviderOrderStatus.UNKNOWN, error="the worker stopped while sending"
    )
    outcomes.mark_checking(
        phase, provider_name=orders[0].provider_name, error="a worker stopped while sending"
    )


def _place_kind(phase, kind: str, quantity: int, orders, choices, lease: str) -> ProviderOrder:
    """Place QUANTITY of KIND with the first provider that takes it, or stop the attempt."""
    temporary = []
    for choice in choices:
        if choice.name in phase.failed_providers:
            continue  # refused an earlier kind of this phase for good
        try:
            return _place_with(phase, choice, kind, quantity, is_remainder(orders, kind), lease)
        except SmmError as error:
            if error.kind == SmmErrorKind.PERMANENT:
                phase.failed_providers = [*phase.failed_providers, choice.name]
            elif error.kind in (SmmErrorKind.FUNDS, SmmErrorKind.BREAKER_OPEN):
                temporary.append(f"{choice.name}: {error}")
            else:
                _stop_attempt(phase, choice, error)
            logger.info("B-%s phase %s: %s, failing over", phase.order_id, phase.number, error)
    _no_provider_left(phase, temporary)
    raise _Stop


def _place_with(phase, choice: ProviderChoice, kind, quantity, remainder: bool, lease: str):
    order = _new_order(phase, choice, kind, quantity, remainder, lease)
    client = build_smm_client(
        name=choice.name, api_url=choice.api_url, api_key_env=choice.api_key_env
    )
    release_connection()
    try:
        with client:
            provider_order_id = client.add(
                service=order.service_id, link=phase.order.link, quantity=quantity
            )
    except SmmError as error:
        _record_refusal(order, phase, choice, error)
        raise
    order.status = ProviderOrderStatus.PENDING
    order.provider_order_id = provider_order_id
    order.placed_at = timezone.now()
    order.save(update_fields=["status", "provider_order_id", "placed_at"])
    return order


def _new_order(phase, choice, kind, quantity, remainder, lease) -> ProviderOrder:
    with transaction.atomic():
        locked = BoostPhase.objects.select_for_update().get(pk=phase.pk)
        if locked.status != PhaseStatus.DISPATCHING or locked.lease_until != datetime.fromisoformat(
            lease
        ):
            raise _Stop  # the claim expired and another worker has the phase now
        return ProviderOrder.objects.create(
            phase=phase,
            kind=kind,
            quantity=quantity,
            provider_name=choice.name,
            api_url=choice.api_url,
            api_key_env=choice.api_key_env,
            service_id=choice.services[kind],
            is_remainder=remainder,
        )


def _record_refusal(order, phase, choice, error: SmmError) -> None:
    unknown = error.kind == SmmErrorKind.UNKNOWN_OUTCOME
    order.status = ProviderOrderStatus.UNKNOWN if unknown else ProviderOrderStatus.NOT_PLACED
    order.error = str(error)[: outcomes.ERROR_CHARS]
    order.finished_at = None if unknown else timezone.now()
    order.save(update_fields=["status", "error", "finished_at"])
    if error.kind == SmmErrorKind.FUNDS:
        provider_out_of_funds(choice.name, phase)


def _stop_attempt(phase, choice, error: SmmError) -> None:
    """Rate limit, transient error or unknown outcome: this attempt ends here."""
    message = f"{choice.name}: {error}"
    if error.kind == SmmErrorKind.UNKNOWN_OUTCOME:
        outcomes.mark_checking(phase, provider_name=choice.name, error=message)
    elif error.kind == SmmErrorKind.RATE_LIMITED:
        outcomes.wait_and_retry(phase, seconds=error.retry_after or 60, error=message)
    else:
        seconds = outcomes.backoff_seconds(phase.attempts)
        outcomes.wait_and_retry(phase, seconds=seconds, error=message)
    raise _Stop


def _no_provider_left(phase, temporary: list[str]) -> None:
    if temporary:
        outcomes.wait_and_retry(
            phase,
            seconds=outcomes.NO_PROVIDER_WAIT_SECONDS,
            error="no provider can take it now: " + "; ".join(temporary),
        )
    else:
        refused = ", ".join(phase.failed_providers) or "none enabled"
        outcomes.fail_phase(phase, error=f"every provider refused it ({refused})")
