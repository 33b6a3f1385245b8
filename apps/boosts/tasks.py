"""Celery tasks of boosts: the beat claims due phases and polls; workers place phases."""

from __future__ import annotations

from celery import shared_task

from apps.boosts.services import dispatch, placing, polling


@shared_task(ignore_result=True)
def dispatch_due_phases() -> int:
    """Claim due phases and hand each to a placing worker (the boosts queue)."""
    claimed = dispatch.claim_due_phases()
    for phase_id, lease in claimed:
        place_phase.delay(phase_id, lease)
    return len(claimed)


@shared_task(ignore_result=True)
def place_phase(phase_id: int, lease: str) -> None:
    placing.place_phase(phase_id, lease)


@shared_task(ignore_result=True)
def poll_provider_orders() -> int:
    return polling.poll_provider_orders()


@shared_task(ignore_result=True)
def check_balances() -> None:
    from apps.boosts.services.staff import check_balances as check

    check()
