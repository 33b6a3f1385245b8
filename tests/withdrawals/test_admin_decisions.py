"""Decisions through the admin's pages: each one a confirmed, permission-gated service call
whose refusal is shown to staff and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.ledger.models import Hold
from apps.ledger.selectors import balances_for
from apps.withdrawals.models import Approval, PayoutAttempt, Status, Withdrawal
from apps.withdrawals.services.approvals import approve_withdrawal
from tests.conftest import _staff_in
from tests.withdrawals.test_admin import (
    act,
    bank,
    body_of,
    confirm,
    fail_payout,
    funded_user,
    messages_of,
    url,
)

pytestmark = pytest.mark.django_db


def fresh(withdrawal) -> Withdrawal:
    return Withdrawal.objects.get(pk=withdrawal.pk)


def events_of(withdrawal) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type="withdrawals.withdrawal", object_id=str(withdrawal.pk)
        )
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def hold_of(withdrawal) -> str:
    return Hold.objects.get(reference=withdrawal.hold_reference).status


# --- approve ---


def test_approval_through_the_list_action_and_its_confirmation_page(
    earner, ask, finance_clerk, client
):
    withdrawal = ask(earner, "50.00")
    client.force_login(finance_clerk)

    page = act(client, "approve_selected", [withdrawal])

    assert page.status_code == 200
    body = body_of(page)
    for text in (
        "Approve withdrawals",
        "Balances now",
        "$250.00",  # the affiliate balance left after the hold
        "Recent ledger entries",
        "Withdrawal hold",
        "Earlier withdrawals",
        "Bot account age",
        "Referrals",
        "New account",  # a risk flag: the factory registered the user just now
        'name="payout_mode"',
        'value="manual"',
        "If you confirm: approved",
    ):
        assert text in body, text
    assert fresh(withdrawal).status == Status.REQUESTED  # the page alone changes nothing

    done = confirm(client, "approve_selected", [withdrawal], payout_mode="manual")

    assert done.status_code == 302
    approved = fresh(withdrawal)
    assert (approved.status, approved.payout_mode) == (Status.APPROVED, "manual")
    assert list(approved.approvals.values_list("approver", flat=True)) == [finance_clerk.pk]
    event = AuditEvent.objects.get(action="withdrawal.approved", object_id=str(withdrawal.pk))
    assert event.actor_label == finance_clerk.username
    assert event.after["payout_mode"] == "manual"
    assert hold_of(withdrawal) == "held"  # approved, not paid
    assert f"W-{withdrawal.pk}: approved for manual payout." in " ".join(messages_of(done))


def test_approval_from_the_change_page(earner, ask, finance_clerk, client):
    withdrawal = ask(earner, "50.00")
    client.force_login(finance_clerk)
    assert client.get(url("approve", withdrawal.pk)).status_code == 200

    done = client.post(url("approve", withdrawal.pk), {"payout_mode": "automatic"})

    assert done.url == url("change", withdrawal.pk)
    assert fresh(withdrawal).status == Status.APPROVED
    assert fresh(withdrawal).payout_mode == "automatic"
    assert any("Flutterwave payout is on its way" in m for m in messages_of(done))


def test_approval_without_a_payout_mode_is_asked_again(earner, ask, finance_clerk, client):
    withdrawal = ask(earner, "50.00")
    client.force_login(finance_clerk)
    for response in (
        client.post(url("approve", withdrawal.pk), {}),
        confirm(client, "approve_selected", [withdrawal]),
    ):
        assert response.status_code == 200
        assert "Choose automatic (Flutterwave) or manual payout." in body_of(response)
    assert fresh(withdrawal).status == Status.REQUESTED
    assert not Approval.objects.exists()


# --- reject ---


def test_reject_without_a_reason_is_an_error_and_changes_nothing(
    earner, ask, finance_clerk, client
):
    withdrawal = ask(earner, "50.00")
    events = AuditEvent.objects.count()
    client.force_login(finance_clerk)
    for response in (
        client.post(url("reject", withdrawal.pk), {"reason": "   "}),
        confirm(client, "reject_selected", [withdrawal], reason=""),
    ):
        assert response.status_code == 200
        assert "A rejection needs a reason; the user will read it." in body_of(response)
    assert fresh(withdrawal).status == Status.REQUESTED
    assert hold_of(withdrawal) == "held"
    assert AuditEvent.objects.count() == events


def test_reject_with_a_reason_gives_the_money_back(earner, ask, finance_clerk, client):
    withdrawal = ask(earner, "50.00")
    client.force_login(finance_clerk)
    page = act(client, "reject_selected", [withdrawal])
    assert 'name="reason"' in body_of(page)

    done = confirm(client, "reject_selected", [withdrawal], reason="Account name mismatch")

    rejected = fresh(withdrawal)
    assert (rejected.status, rejected.reason) == (Status.REJECTED, "Account name mismatch")
    assert hold_of(withdrawal) == "released"
    assert balances_for(earner)["affiliate_usd"] == Decimal("300.00")
    event = AuditEvent.objects.get(action="withdrawal.rejected")
    assert (event.actor_label, event.reason) == (finance_clerk.username, "Account name mismatch")
    assert f"W-{withdrawal.pk}: rejected." in messages_of(done)


# --- two approvals above the limit ---


def test_large_withdrawal_needs_two_different_people_through_the_admin(
    earner, ask, finance_clerk, second_approver, client
):
    large = ask(earner, "250.00")
    client.force_login(finance_clerk)
    page = body_of(client.get(url("approve", large.pk)))
    assert "Above USD 200.00: two different people must approve" in page
    assert "No approval yet." in page
    assert "first of two approvals" in page

    first = client.post(url("approve", large.pk), {"payout_mode": "automatic"})

    assert any("first approval recorded (1 of 2)" in m for m in messages_of(first))
    assert fresh(large).status == Status.REQUESTED

    # The same person again: the page offers nothing, and a forced post is refused.
    again_page = body_of(client.get(url("approve", large.pk)))
    assert "You already approved it" in again_page
    assert 'id="confirm-decision"' not in again_page
    again = client.post(url("approve", large.pk), {"payout_mode": "automatic"})
    assert f"W-{large.pk}: You have already approved this withdrawal; someone else must." in (
        messages_of(again)
    )
    assert Approval.objects.filter(withdrawal=large).count() == 1

    # Another Finance clerk is not Senior finance.
    client.force_login(_staff_in("Finance"))
    refused = client.post(url("approve", large.pk), {"payout_mode": "automatic"})
    assert any("second_approve_withdrawal" in m for m in messages_of(refused))
    assert fresh(large).status == Status.REQUESTED

    client.force_login(second_approver)
    second_page = body_of(client.get(url("approve", large.pk)))
    assert f"First approved by <strong>{finance_clerk.username}</strong>" in second_page
    done = client.post(url("approve", large.pk), {"payout_mode": "manual"})

    approved = fresh(large)
    assert (approved.status, approved.payout_mode) == (Status.APPROVED, "manual")
    assert set(approved.approvals.values_list("approver", flat=True)) == {
        finance_clerk.pk,
        second_approver.pk,
    }
    assert events_of(large) == [
        "withdrawal.requested",
        "withdrawal.first_approval",
        "withdrawal.approved",
    ]
    assert any("approved for manual payout" in m for m in messages_of(done))


# --- bulk approve ---


def test_bulk_approve_reports_each_row_and_marks_nothing_paid(
    ask, finance_clerk, second_approver, client
):
    small = ask(funded_user(), "20.00")
    large = ask(funded_user(), "250.00", bank=bank("1111111111"))
    decided = ask(funded_user(), "30.00", bank=bank("2222222222"))
    approve_withdrawal(withdrawal=decided, actor=second_approver, payout_mode="manual")
    own = ask(funded_user(staff_user=finance_clerk), "40.00", bank=bank("3333333333"))
    rows = [small, large, decided, own]
    client.force_login(finance_clerk)

    page = act(client, "approve_selected", rows, query="?status=all")
    body = body_of(page)
    assert body.count('class="module withdrawal-review"') == 4
    assert "It is approved, not waiting." in body
    assert "It is your own bot account." in body

    done = confirm(client, "approve_selected", rows, query="?status=all", payout_mode="manual")

    said = messages_of(done)
    assert f"W-{small.pk}: approved for manual payout." in " ".join(said)
    assert any(m.startswith(f"W-{large.pk}: first approval recorded (1 of 2)") for m in said)
    assert any(
        m.startswith(f"W-{decided.pk}: refused: ") and "only a waiting withdrawal" in m
        for m in said
    )
    assert (
        f"W-{own.pk}: refused: You cannot approve a withdrawal from your own bot account." in said
    )
    assert (
        "Bulk approval: 1 approved, 1 waiting for a second approval, 2 refused. "
        "Nothing was marked paid." in said
    )
    assert [fresh(row).status for row in rows] == [
        Status.APPROVED,
        Status.REQUESTED,
        Status.APPROVED,
        Status.REQUESTED,
    ]
    assert not Withdrawal.objects.filter(status__in=(Status.PAID, Status.PAID_MANUALLY)).exists()
    assert {hold_of(row) for row in rows} == {"held"}


# --- manual payouts, retries, refunds ---


@pytest.fixture
def approved_manual(earner, ask, finance_clerk):
    withdrawal = ask(earner, "40.00")
    return approve_withdrawal(withdrawal=withdrawal, actor=finance_clerk, payout_mode="manual")


def test_mark_paid_goes_through_a_form_and_a_confirmation(approved_manual, finance_clerk, client):
    withdrawal = approved_manual
    client.force_login(finance_clerk)
    assert url("mark_paid", withdrawal.pk) in body_of(client.get(url("change", withdrawal.pk)))

    form_page = body_of(client.get(url("mark_paid", withdrawal.pk)))
    assert 'name="bank_reference"' in form_page
    assert "0690000031" in form_page  # finance needs the whole number to pay by hand

    empty = client.post(url("mark_paid", withdrawal.pk), {"stage": "review", "bank_reference": ""})
    assert "Enter the bank&#x27;s reference of the payment." in body_of(empty)

    fields = {"bank_reference": "NIP-000123"}
    review = client.post(url("mark_paid", withdrawal.pk), {"stage": "review", **fields})
    assert "Mark paid with bank reference NIP-000123?" in body_of(review)
    assert 'type="hidden" name="bank_reference" value="NIP-000123"' in body_of(review)
    assert fresh(withdrawal).status == Status.APPROVED

    done = client.post(url("mark_paid", withdrawal.pk), {"stage": "confirm", **fields})

    paid = fresh(withdrawal)
    assert (paid.status, paid.bank_reference) == (Status.PAID_MANUALLY, "NIP-000123")
    assert hold_of(withdrawal) == "settled"
    assert events_of(withdrawal)[-1] == "withdrawal.paid_manually"
    assert any(
        "marked paid manually with bank reference NIP-000123" in m for m in messages_of(done)
    )


def test_mark_paid_of_a_waiting_withdrawal_is_refused(earner, ask, finance_clerk, client):
    withdrawal = ask(earner, "40.00")
    client.force_login(finance_clerk)
    done = client.post(
        url("mark_paid", withdrawal.pk), {"stage": "confirm", "bank_reference": "NIP-1"}
    )
    assert any("can be marked paid" in m for m in messages_of(done))
    assert fresh(withdrawal).status == Status.REQUESTED
    assert hold_of(withdrawal) == "held"


@pytest.fixture
def failed_unconfirmed(earner, ask, finance_clerk):
    """A failed payout whose last transfer Flutterwave has not confirmed as failed."""
    withdrawal = ask(earner, "40.00")
    approve_withdrawal(withdrawal=withdrawal, actor=finance_clerk, payout_mode="automatic")
    return fail_payout(withdrawal, provider_status="PENDING")


def test_retry_is_refused_until_flutterwave_confirms_the_failure(
    failed_unconfirmed, finance_clerk, client
):
    withdrawal = failed_unconfirmed
    client.force_login(finance_clerk)
    change = body_of(client.get(url("change", withdrawal.pk)))
    assert url("retry", withdrawal.pk) not in change
    assert url("refund", withdrawal.pk) in change
    assert "Cannot be done" in body_of(client.get(url("retry", withdrawal.pk)))

    refused = client.post(url("retry", withdrawal.pk), {"stage": "confirm"})

    assert any(
        "Flutterwave has not confirmed that the last transfer failed" in m
        for m in messages_of(refused)
    )
    assert fresh(withdrawal).status == Status.FAILED

    PayoutAttempt.objects.filter(withdrawal=withdrawal).update(provider_status="FAILED")
    page = body_of(client.get(url("retry", withdrawal.pk)))
    assert "Payout attempts" in page and "Yes, send it again" in page

    done = client.post(url("retry", withdrawal.pk), {"stage": "confirm"})

    retried = fresh(withdrawal)
    assert (retried.status, retried.payout_mode) == (Status.APPROVED, "automatic")
    assert any("a new Flutterwave transfer is on its way" in m for m in messages_of(done))


def test_refund_through_its_confirmation_page(failed_unconfirmed, earner, finance_clerk, client):
    withdrawal = failed_unconfirmed
    client.force_login(finance_clerk)
    page = client.get(url("refund", withdrawal.pk))
    assert "Yes, refund it" in body_of(page)
    assert fresh(withdrawal).refunded_at is None

    done = client.post(url("refund", withdrawal.pk), {"stage": "confirm"})

    refunded = fresh(withdrawal)
    assert (refunded.status, refunded.refunded_at is not None) == (Status.FAILED, True)
    assert hold_of(withdrawal) == "released"
    assert balances_for(earner)["affiliate_usd"] == Decimal("300.00")
    assert events_of(withdrawal)[-1] == "withdrawal.refunded"
    assert any("refunded" in m for m in messages_of(done))

    again = client.post(url("refund", withdrawal.pk), {"stage": "confirm"})
    assert any("not refunded yet can be refunded" in m for m in messages_of(again))
    assert AuditEvent.objects.filter(action="withdrawal.refunded").count() == 1


def test_decision_pages_of_a_missing_withdrawal_are_not_found(finance_clerk, client):
    client.force_login(finance_clerk)
    assert client.get(url("approve", 999999)).status_code == 404
