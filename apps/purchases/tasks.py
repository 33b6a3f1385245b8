"""Celery tasks of purchases: thin wrappers around the services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from apps.purchases.services import invoices, verify


@shared_task
def quote_invoice(invoice_id: int) -> None:
    invoices.quote_invoice(invoice_id)


@shared_task
def verify_claim(claim_id: int) -> str:
    return verify.verify_claim(claim_id)


@shared_task
def sweep_claims() -> int:
    """Check every claim that is due (beat, every 15 s): the safety net for lost messages."""
    due = verify.due_claims()
    for claim_id in due:
        verify_claim.delay(claim_id)
    return len(due)


@shared_task
def sweep_preparing_invoices() -> int:
    """Quote invoices whose quote task was lost (beat, every minute)."""
    stuck = invoices.stuck_preparing_invoices()
    for invoice_id in stuck:
        quote_invoice.delay(invoice_id)
    return len(stuck)


@shared_task
def expire_invoices() -> int:
    return invoices.expire_invoices()
