"""transfer.completed webhooks: a hint to re-fetch, stored once, never trusted."""

from __future__ import annotations

import pytest

from apps.sandbox.flutterwave.transfers import deliver_transfer_webhook, settle_transfer
from apps.withdrawals.models import FlutterwaveEvent, Status, Withdrawal
from apps.withdrawals.services import payouts

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(approved, settings, flutterwave):
    settings.SANDBOX_BASE_URL = f"{flutterwave.url}/sandbox"
    assert payouts.send_payout(approved.pk) == "sent"
    return approved


def _state(withdrawal):
    return Withdrawal.objects.get(pk=withdrawal.pk).status


def test_forged_webhook_is_refused_and_stores_nothing(sent):
    settle_transfer(f"VCW-{sent.pk}-1", "SUCCESSFUL")
    assert deliver_transfer_webhook(f"VCW-{sent.pk}-1", forged=True) == [401]
    assert not FlutterwaveEvent.objects.exists()
    assert _state(sent) == Status.SENT


def test_five_deliveries_store_one_event_and_the_sync_pays_once(sent):
    reference = f"VCW-{sent.pk}-1"
    settle_transfer(reference, "SUCCESSFUL")
    assert deliver_transfer_webhook(reference, times=5) == [200] * 5
    assert FlutterwaveEvent.objects.count() == 1
    assert payouts.sync_payout(sent.pk) == "paid"
    assert payouts.sync_payout(sent.pk) == "not_due"


def test_a_lying_webhook_changes_nothing_by_itself(sent):
    reference = f"VCW-{sent.pk}-1"
    assert deliver_transfer_webhook(reference, status="SUCCESSFUL") == [200]
    assert _state(sent) == Status.SENT  # the body alone never moves a withdrawal
    settle_transfer(reference, "FAILED", message="DISBURSE FAILED: account closed")
    assert payouts.sync_payout(sent.pk) == "failed"
    # SUCCESSFUL arriving after FAILED: the transfer is final, nothing moves again.
    deliver_transfer_webhook(reference, status="SUCCESSFUL")
    assert payouts.sync_payout(sent.pk) == "not_due"
    assert _state(sent) == Status.FAILED


def test_a_webhook_for_a_transfer_we_never_made_changes_nothing(sent):
    from apps.sandbox.flutterwave.transfers import create_transfer

    create_transfer(
        reference="SOMEONE-ELSE-1", bank_code="044", account_number="0690000031", amount=1000
    )
    assert deliver_transfer_webhook("SOMEONE-ELSE-1") == [200]
    assert _state(sent) == Status.SENT
