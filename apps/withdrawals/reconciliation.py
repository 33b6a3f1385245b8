"""Daily reconciliation of payouts: Flutterwave's transfers of a day against our attempts.

What is compared, by reference (VCW-<withdrawal>-<attempt>):
- every transfer Flutterwave lists for the day (all pages) with our attempt of that reference:
  no attempt at all is "missing here" (a VCW- reference we never stored, or a transfer made
  outside ViralCore), otherwise the amounts and the statuses must agree;
- every attempt we made that day and Flutterwave did not list is looked up by its reference (a
  transfer created just after midnight is listed on the next day); still not found is "missing
  there" when we believe it was sent or paid, and expected when the transfer was refused (or
  the call is still under way: sending or unknown for less than the status sync's grace);
- withdrawals still in flight (sending, sent, unknown) more than 24 h after they were sent.

Flutterwave is read first, with no transaction open; the run, its items, its audit event and
the admin group's alert are then written in one transaction. Every call makes a new run: the
history of runs is kept.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps.audit.actors import as_actor
from apps.audit.services import record_event
from apps.bot.groups import notify_admin_groups
from apps.bot.texts import md
from apps.common.http.errors import ProviderError
from apps.withdrawals.models import PayoutAttempt, Status, Withdrawal
from apps.withdrawals.reconciliation_models import (
    DiscrepancyKind,
    ReconciliationItem,
    ReconciliationRun,
)
from apps.withdrawals.services.payouts import NOT_FOUND_GRACE

logger = logging.getLogger(__name__)

AUDIT_ACTION = "payouts.reconciled"
AUDIT_OBJECT_TYPE = "withdrawals.reconciliationrun"
OUR_PREFIX = "VCW-"
STUCK_AFTER = timedelta(hours=24)
IN_FLIGHT = (Status.SENDING, Status.SENT, Status.UNKNOWN)
# What Flutterwave's status should be, given what we recorded for the attempt.
EXPECTED = {
    Status.PAID: ("SUCCESSFUL",),
    Status.FAILED: ("FAILED",),
    Status.SENDING: ("NEW", "PENDING"),
    Status.SENT: ("NEW", "PENDING"),
    Status.UNKNOWN: ("NEW", "PENDING"),
}
# Attempts we believe reached Flutterwave: not finding them there is a discrepancy.
SHOULD_EXIST = (Status.PAID, *IN_FLIGHT)
# Reference lookups per query (SQLite's limit on query parameters).
CHUNK = 500
# How many items an alert names; the admin page has them all.
ALERT_ITEMS = 5
SEARCH_TERMS = 50
TEXT_LIMIT = 255


@dataclass
class Finding:
    kind: str
    reference: str
    withdrawal_id: int | None = None
    transfer_id: int | None = None
    ours: str = ""
    theirs: str = ""
    note: str = ""


@dataclass
class _Comparison:
    transfers_seen: int = 0
    payouts_checked: int = 0
    matched: int = 0
    findings: list[Finding] = field(default_factory=list)
    error: str = ""


def reconcile_payouts(day: date, *, actor, now: datetime | None = None) -> ReconciliationRun:
    """Compare Flutterwave's transfers of DAY (UTC) with ours; store and return the run.

    A Flutterwave failure does not raise: the run is stored with its error, not ok, and the
    admin group is told, so a day that could not be checked is never mistaken for a clean one.
    """
    started_at = timezone.now()
    now = now or started_at
    try:
        comparison = _compare(day, now)
    except ProviderError as error:
        logger.warning("reconciliation of %s failed: %s", day, error)
        comparison = _Comparison(error=f"Flutterwave could not be read: {error}"[:TEXT_LIMIT])
    return _store(day, actor, started_at, comparison)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """DAY's first moment and the next day's, in the project's time zone (UTC)."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


# --- comparing ---------------------------------------------------------------------------------


def _compare(day: date, now: datetime) -> _Comparison:
    from apps.purchases.clients.flutterwave import build_flutterwave_client

    start, end = day_bounds(day)
    result = _Comparison()
    with build_flutterwave_client() as client:
        transfers = list(client.list_transfers(day=day))
        result.transfers_seen = len(transfers)
        listed = {transfer.reference: transfer for transfer in transfers if transfer.reference}
        attempts = _attempts(start, end, listed)
        for transfer in transfers:
            attempt = attempts.get(transfer.reference)
            if attempt is None:
                result.findings.append(_missing_here(transfer))
                continue
            _check_pair(result, attempt, transfer)
        for attempt in _unlisted_of_day(attempts, listed, start, end):
            transfer = client.find_transfer(attempt.reference)
            if transfer is not None:
                _check_pair(result, attempt, transfer)
            elif _our_status(attempt) in SHOULD_EXIST and not _just_sent(attempt, now):
                result.payouts_checked += 1
                result.findings.append(_missing_there(attempt))
            else:
                # Refused at creation (Flutterwave never made it), or being sent right now.
                result.payouts_checked += 1
                result.matched += 1
        flagged = {finding.reference for finding in result.findings}
        for withdrawal, attempt in _stuck(end, now, flagged):
            transfer = listed.get(attempt.reference) or client.find_transfer(attempt.reference)
            result.findings.append(_stuck_finding(withdrawal, attempt, transfer, now))
    return result


def _attempts(start: datetime, end: datetime, listed: dict) -> dict[str, PayoutAttempt]:
    """Our attempts of the day, and those of other days that Flutterwave listed for it."""
    base = PayoutAttempt.objects.select_related("withdrawal", "withdrawal__user")
    found = {
        attempt.reference: attempt
        for attempt in base.filter(created_at__gte=start, created_at__lt=end)
    }
    others = [reference for reference in listed if reference not in found]
    for offset in range(0, len(others), CHUNK):
        for attempt in base.filter(reference__in=others[offset : offset + CHUNK]):
            found[attempt.reference] = attempt
    return found


def _unlisted_of_day(
    attempts: dict[str, PayoutAttempt], listed: dict, start: datetime, end: datetime
) -> list[PayoutAttempt]:
    return [
        attempt
        for reference, attempt in sorted(attempts.items())
        if reference not in listed and start <= attempt.created_at < end
    ]


def _stuck(end: datetime, now: datetime, flagged: set[str]) -> Iterable:
    """In-flight withdrawals sent by the end of the day and more than 24 h before NOW."""
    cutoff = min(now - STUCK_AFTER, end)
    stuck = (
        Withdrawal.objects.filter(status__in=IN_FLIGHT, sent_at__lte=cutoff)
        .select_related("user")
        .order_by("sent_at", "pk")
    )
    for withdrawal in stuck:
        attempt = withdrawal.attempts.filter(number=withdrawal.attempt).first()
        if attempt is not None and attempt.reference not in flagged:
            yield withdrawal, attempt


def _just_sent(attempt: PayoutAttempt, now: datetime) -> bool:
    """A payout whose call may still be on its way: the status sync gives it the same grace."""
    unanswered = _our_status(attempt) in (Status.SENDING, Status.UNKNOWN)
    return unanswered and now - attempt.created_at < NOT_FOUND_GRACE


def _our_status(attempt: PayoutAttempt) -> str:
    """The attempt's outcome as we recorded it.

    The current attempt shares its withdrawal's status. An earlier attempt, or the current one
    of a withdrawal that is approved again (a retry) or was paid by hand, is a failed transfer:
    finance may only do that once Flutterwave confirmed the failure.
    """
    withdrawal = attempt.withdrawal
    if attempt.number == withdrawal.attempt and withdrawal.status in EXPECTED:
        return withdrawal.status
    return Status.FAILED


def _check_pair(result: _Comparison, attempt: PayoutAttempt, transfer) -> None:
    result.payouts_checked += 1
    findings = []
    if transfer.amount != attempt.amount_ngn or transfer.currency.upper() != "NGN":
        findings.append(
            _finding(
                DiscrepancyKind.AMOUNT_MISMATCH,
                attempt,
                transfer,
                ours=_naira(attempt.amount_ngn, "NGN"),
                theirs=_naira(transfer.amount, transfer.currency),
                note="Flutterwave moved another amount than the one we asked for.",
            )
        )
    ours = _our_status(attempt)
    if transfer.status not in EXPECTED[ours]:
        findings.append(
            _finding(
                DiscrepancyKind.STATUS_MISMATCH,
                attempt,
                transfer,
                ours=_ours_text(attempt, ours),
                theirs=_theirs_text(transfer),
                note=_status_note(ours, transfer.status),
            )
        )
    result.findings.extend(findings)
    if not findings:
        result.matched += 1


def _status_note(ours: str, theirs: str) -> str:
    if ours == Status.PAID:
        return "We recorded it paid and settled the hold, but Flutterwave did not pay it."
    if ours == Status.FAILED and theirs == "SUCCESSFUL":
        return (
            "We recorded the transfer failed (refunded, retried or paid by hand), "
            "but Flutterwave paid it: the user may have been paid twice."
        )
    if ours == Status.FAILED:
        return "We recorded the transfer failed, but Flutterwave is still processing it."
    return "Flutterwave has settled it; our status sync has not recorded that yet."


def _missing_here(transfer) -> Finding:
    if transfer.reference.startswith(OUR_PREFIX):
        note = "A ViralCore reference, but no payout attempt of ours has it."
    else:
        note = "Not a ViralCore payout reference: made outside ViralCore (dashboard, another app)."
    return Finding(
        kind=DiscrepancyKind.MISSING_HERE,
        reference=transfer.reference,
        transfer_id=transfer.id,
        theirs=_theirs_text(transfer),
        note=note,
    )


def _missing_there(attempt: PayoutAttempt) -> Finding:
    return Finding(
        kind=DiscrepancyKind.MISSING_THERE,
        reference=attempt.reference,
        withdrawal_id=attempt.withdrawal_id,
        transfer_id=attempt.transfer_id,
        ours=_ours_text(attempt, _our_status(attempt)),
        note="Flutterwave has no transfer under this reference, listed or looked up.",
    )


def _stuck_finding(withdrawal: Withdrawal, attempt: PayoutAttempt, transfer, now) -> Finding:
    hours = int((now - withdrawal.sent_at).total_seconds() // 3600)
    return Finding(
        kind=DiscrepancyKind.STUCK_SENT,
        reference=attempt.reference,
        withdrawal_id=withdrawal.pk,
        transfer_id=transfer.id if transfer else attempt.transfer_id,
        ours=_ours_text(attempt, withdrawal.status),
        theirs=_theirs_text(transfer) if transfer else "not found",
        note=f"Sent {hours} h ago and still {withdrawal.get_status_display().lower()}.",
    )


def _finding(kind: str, attempt: PayoutAttempt, transfer, **texts) -> Finding:
    return Finding(
        kind=kind,
        reference=attempt.reference,
        withdrawal_id=attempt.withdrawal_id,
        transfer_id=transfer.id,
        **texts,
    )


def _ours_text(attempt: PayoutAttempt, status: str) -> str:
    withdrawal = attempt.withdrawal
    text = f"{status}, {_naira(attempt.amount_ngn, 'NGN')}"
    if status != withdrawal.status:
        text += f" (W-{withdrawal.pk} is {withdrawal.status} now)"
    return text


def _theirs_text(transfer) -> str:
    text = f"{transfer.status}, {_naira(transfer.amount, transfer.currency)}"
    if transfer.complete_message and transfer.status == "FAILED":
        text += f": {transfer.complete_message}"
    return text[:TEXT_LIMIT]


def _naira(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency.upper()}"


# --- storing and telling -----------------------------------------------------------------------


@transaction.atomic
def _store(day: date, actor, started_at: datetime, comparison: _Comparison) -> ReconciliationRun:
    who = as_actor(actor)
    findings = comparison.findings
    run = ReconciliationRun.objects.create(
        day=day,
        started_at=started_at,
        finished_at=timezone.now(),
        actor_type=who.type,
        actor_label=who.label[:150],
        staff_user=actor if isinstance(actor, AbstractBaseUser) else None,
        transfers_seen=comparison.transfers_seen,
        payouts_checked=comparison.payouts_checked,
        matched=comparison.matched,
        discrepancies=len(findings),
        ok=not findings and not comparison.error,
        error=comparison.error,
    )
    ReconciliationItem.objects.bulk_create(
        ReconciliationItem(
            run=run,
            kind=finding.kind,
            reference=finding.reference[:100],
            withdrawal_id=finding.withdrawal_id,
            transfer_id=finding.transfer_id,
            ours=finding.ours[:TEXT_LIMIT],
            theirs=finding.theirs[:TEXT_LIMIT],
            note=finding.note[:TEXT_LIMIT],
        )
        for finding in findings
    )
    counts = kind_counts(findings)
    record_event(
        actor=actor,
        action=AUDIT_ACTION,
        object_type=AUDIT_OBJECT_TYPE,
        object_id=run.pk,
        after={
            "day": day.isoformat(),
            "ok": run.ok,
            "transfers_seen": run.transfers_seen,
            "payouts_checked": run.payouts_checked,
            "matched": run.matched,
            "discrepancies": run.discrepancies,
            "kinds": counts,
        },
        reason=run.error,
        search_terms=sorted({f.reference for f in findings if f.reference})[:SEARCH_TERMS],
    )
    if not run.ok:
        _alert_admins(run, findings, counts)
    return run


def kind_counts(findings: Iterable) -> dict[str, int]:
    """Discrepancies per kind, in the order of DiscrepancyKind, kinds with none left out."""
    counted = Counter(finding.kind for finding in findings)
    return {kind: counted[kind] for kind in DiscrepancyKind.values if counted[kind]}


def run_admin_url(run: ReconciliationRun) -> str:
    return f"{settings.ADMIN_BASE_URL}/admin/withdrawals/reconciliationrun/{run.pk}/change/"


def _alert_admins(run: ReconciliationRun, findings: list[Finding], counts: dict) -> None:
    text = _alert_text(run, findings, counts)
    notify_admin_groups(text=text, dedupe_key=f"reconciliation:{run.pk}")


def _alert_text(run: ReconciliationRun, findings: list[Finding], counts: dict) -> str:
    title = f"🧾 *Payout reconciliation of {md(run.day.isoformat())}*"
    if run.error:
        lines = [title, f"Could not complete: {md(run.error)}"]
    else:
        labels = dict(DiscrepancyKind.choices)
        lines = [
            title,
            f"{run.discrepancies} discrepanc{'y' if run.discrepancies == 1 else 'ies'}:",
        ]
        lines += [f"• {md(labels[kind])}: {number}" for kind, number in counts.items()]
        for finding in findings[:ALERT_ITEMS]:
            lines.append(md(f"{finding.reference or '(no reference)'}: {labels[finding.kind]}"))
        if len(findings) > ALERT_ITEMS:
            lines.append(md(f"… and {len(findings) - ALERT_ITEMS} more."))
    lines.append(f"Open the run in the admin: {md(run_admin_url(run))}")
    return "\n".join(lines)


# --- for the daily job -------------------------------------------------------------------------


def completed_run_exists(day: date, actor_label: str) -> bool:
    """Whether ACTOR_LABEL already completed a run of DAY (a redelivered daily task)."""
    return ReconciliationRun.objects.filter(day=day, actor_label=actor_label, error="").exists()
