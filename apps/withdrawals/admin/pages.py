"""The confirmation pages: what a careful approver needs to see before money moves.

One template serves every decision (approve, reject, mark paid, retry, refund), from the change
page (one withdrawal) or from the list (several): a card per withdrawal with the user's
balances, ledger history, earlier withdrawals, account age, referrals and risk flags, then the
form. Nothing here decides: the page posts back, and the view calls the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apps.withdrawals import selectors
from apps.withdrawals.admin.cells import (
    BALANCE_LABELS,
    duration,
    html_table,
    money,
    rate,
    status_badge,
    user_cell,
    when,
    withdrawal_link,
)
from apps.withdrawals.models import BalanceKind, Status

DECIDE_TEMPLATE = "admin/withdrawals/decide.html"
# Stages of a decision with a form: the form, then (for mark paid) a review, then done.
REVIEW, CONFIRM = "review", "confirm"


@dataclass(frozen=True)
class Step:
    title: str
    intro: str
    submit: str


STEPS = {
    "approve": Step(
        title="Approve withdrawals",
        intro="Check the user and the risk flags below. An approved automatic withdrawal is "
        "sent through Flutterwave at once; a manual one waits for you to pay it and record "
        "the bank reference with “Mark paid”. Nothing is marked paid here.",
        submit="Approve",
    ),
    "reject": Step(
        title="Reject withdrawals",
        intro="The held amount goes back to the user's balance and the user is told the "
        "reason you write here.",
        submit="Reject",
    ),
    "mark_paid": Step(
        title="Mark paid by hand",
        intro="Only after the money has left our bank account: this settles the hold, so the "
        "amount leaves the user's balance for good, and tells the user it was paid.",
        submit="Continue",
    ),
    "retry": Step(
        title="Retry the payout",
        intro="A new transfer with a new reference is sent through Flutterwave. Allowed only "
        "once Flutterwave has confirmed that the last transfer failed.",
        submit="Yes, send it again",
    ),
    "refund": Step(
        title="Refund to balance",
        intro="The held amount goes back to the user's balance; the withdrawal stays failed "
        "and will not be paid. The user is told.",
        submit="Yes, refund it",
    ),
}


def decision_page(
    model_admin,
    request,
    *,
    step: str,
    withdrawals,
    form,
    stage: str = CONFIRM,
    show_form: bool = True,
    action: str = "",
    submit: str = "",
    title: str = "",
):
    """The page for STEP on WITHDRAWALS; ACTION names the list action it posts back to.

    SHOW_FORM shows the form for filling in; otherwise its values ride along hidden, so what
    is confirmed is exactly what was reviewed.
    """
    opts = model_admin.model._meta
    page = STEPS[step]
    cards = [
        card(selectors.review(withdrawal), request.user, step=step) for withdrawal in withdrawals
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": title or page.title,
        "intro": page.intro,
        "step": step,
        "cards": cards,
        "form": form,
        "show_form": show_form,
        "stage": stage,
        "action": action,
        "selected": [withdrawal.pk for withdrawal in withdrawals],
        "submit": submit or page.submit,
        "blocked": all(each["refusal"] for each in cards),
        "changelist_url": reverse("admin:withdrawals_withdrawal_changelist"),
        "cancel_url": (
            reverse("admin:withdrawals_withdrawal_change", args=[withdrawals[0].pk])
            if len(withdrawals) == 1 and not action
            else reverse("admin:withdrawals_withdrawal_changelist")
        ),
    }
    return TemplateResponse(request, DECIDE_TEMPLATE, context)


def card(review: selectors.Review, actor, *, step: str) -> dict:
    """One withdrawal as the decision page shows it."""
    withdrawal = review.withdrawal
    refusal, outcome = _verdict(review, actor, step)
    return {
        "title": format_html(
            "{} · {} · {}",
            withdrawal_link(withdrawal),
            money(withdrawal.amount, withdrawal.currency),
            status_badge(withdrawal),
        ),
        "flags": review.flags,
        "dual": _dual_note(review),
        "facts": _facts(review, step),
        "tables": _tables(review, step),
        "refusal": refusal,
        "outcome": outcome,
    }


def _verdict(review: selectors.Review, actor, step: str) -> tuple[str, str]:
    """(why this step would be refused, what it will do): a preview, the service decides."""
    withdrawal = review.withdrawal
    if step == "approve":
        refusal = selectors.approval_refusal(withdrawal, actor, review.approvals)
        return refusal, "" if refusal else selectors.approval_outcome(withdrawal, review.approvals)
    if step == "reject":
        if withdrawal.status != Status.REQUESTED:
            return f"It is {withdrawal.get_status_display().lower()}, not waiting.", ""
        return "", f"rejected; {money(withdrawal.amount, withdrawal.currency)} back to balance"
    if step not in selectors.next_steps(withdrawal, actor):
        return "Not possible in its current state.", ""
    return "", {
        "mark_paid": "paid manually; the hold is settled",
        "retry": "a new Flutterwave transfer",
        "refund": f"{money(withdrawal.amount, withdrawal.currency)} back to balance",
    }[step]


def _dual_note(review: selectors.Review) -> str:
    withdrawal = review.withdrawal
    if not withdrawal.needs_second_approval:
        return ""
    rule = format_html(
        "Above USD {}: two different people must approve, and the second must be a "
        "<strong>Senior finance</strong> user.",
        f"{settings.WITHDRAWAL_DUAL_APPROVAL_USD:,.2f}",
    )
    if not review.approvals:
        return format_html("{} No approval yet.", rule)
    first = review.approvals[0]
    return format_html(
        "{} First approved by <strong>{}</strong> on {} (payout mode: {}).",
        rule,
        first.approver.get_username(),
        when(first.created_at),
        first.get_payout_mode_display(),
    )


def _facts(review: selectors.Review, step: str) -> list[tuple[str, str]]:
    withdrawal = review.withdrawal
    user = withdrawal.user
    amount = money(withdrawal.amount, withdrawal.currency)
    if withdrawal.currency != "NGN":
        amount = format_html(
            "{} = {} at {} NGN per USD ({}, {})",
            amount,
            money(withdrawal.amount_ngn, "NGN"),
            rate(withdrawal.fx_rate),
            withdrawal.fx_source or "rate",
            when(withdrawal.fx_at),
        )
    # The full number only where finance pays by hand; everywhere else it stays masked.
    number = withdrawal.account_number if step == "mark_paid" else withdrawal.masked_account
    referrer = user_cell(user.referrer) if user.referrer_id else "—"
    return [
        ("User", user_cell(user)),
        ("Amount", amount),
        ("From balance", BalanceKind(withdrawal.balance).label),
        (
            "Bank account",
            format_html(
                "{} · <strong>{}</strong> · {} (code {})",
                withdrawal.account_name,
                number,
                withdrawal.bank_name,
                withdrawal.bank_code,
            ),
        ),
        ("Requested", f"{when(withdrawal.requested_at)} ({_age(withdrawal)} ago)"),
        (
            "Bot account age",
            f"{duration(review.account_age)} (registered {when(user.created_at)})",
        ),
        ("Referrals", f"{review.referral_count} users referred"),
        ("Referred by", referrer),
        ("Balances now", _balances(review.balances)),
        (
            "Approvals so far",
            f"{len(review.approvals)} of {review.approvals_needed}"
            + "".join(
                f" · {approval.approver.get_username()} ({approval.get_payout_mode_display()})"
                for approval in review.approvals
            ),
        ),
    ]


def _age(withdrawal) -> str:
    return duration(timezone.now() - withdrawal.requested_at)


def _balances(balances: dict) -> str:
    return format_html_join(
        " · ",
        "{}: <strong>{}</strong>",
        (
            (BALANCE_LABELS.get(name, name), money(amount, name.rsplit("_", 1)[-1].upper()))
            for name, amount in balances.items()
        ),
    )


def _tables(review: selectors.Review, step: str) -> list[tuple[str, str]]:
    tables = []
    if step in ("retry", "refund", "mark_paid"):
        tables.append(("Payout attempts", attempts_table(review.withdrawal)))
    tables.append(
        (
            "Earlier withdrawals (newest first)",
            html_table(
                ("Ref", "Requested", "Amount", "NGN", "Account", "State", "Reason"),
                [
                    (
                        withdrawal_link(earlier),
                        when(earlier.requested_at),
                        money(earlier.amount, earlier.currency),
                        money(earlier.amount_ngn, "NGN"),
                        earlier.masked_account,
                        status_badge(earlier),
                        earlier.reason or "",
                    )
                    for earlier in review.previous
                ],
            ),
        )
    )
    tables.append(
        (
            "Recent ledger entries of this user (newest first)",
            html_table(
                ("When", "Balance", "What", "Amount", "Memo"),
                [
                    (
                        when(entry.transaction.created_at),
                        entry.account.get_kind_display(),
                        entry.transaction.get_kind_display(),
                        money(entry.amount, entry.currency),
                        entry.transaction.memo,
                    )
                    for entry in review.entries
                ],
            ),
        )
    )
    return tables


def attempts_table(withdrawal) -> str:
    return html_table(
        (
            "#",
            "Reference",
            "NGN",
            "Transfer id",
            "Provider status",
            "Message",
            "Created",
            "Updated",
        ),
        [
            (
                attempt.number,
                format_html("<code>{}</code>", attempt.reference),
                money(attempt.amount_ngn, "NGN"),
                attempt.transfer_id or "—",
                attempt.provider_status or "—",
                attempt.message or "",
                when(attempt.created_at),
                when(attempt.updated_at),
            )
            for attempt in withdrawal.attempts.order_by("number")
        ],
    )


def approvals_table(withdrawal) -> str:
    return html_table(
        ("Approver", "When", "Payout mode"),
        [
            (
                approval.approver.get_username(),
                when(approval.created_at),
                approval.get_payout_mode_display(),
            )
            for approval in withdrawal.approvals.select_related("approver").order_by("created_at")
        ],
    )


def audit_table(withdrawal) -> str:
    return html_table(
        ("#", "When", "Action", "Actor", "Before", "After", "Reason"),
        [
            (
                event.sequence,
                when(event.occurred_at),
                format_html("<code>{}</code>", event.action),
                event.actor_label,
                _changes(event.before),
                _changes(event.after),
                event.reason,
            )
            for event in selectors.audit_events(withdrawal)
        ],
    )


def _changes(values) -> str:
    if not values:
        return "—"
    return format_html_join(", ", "{}={}", ((key, value) for key, value in values.items()))
