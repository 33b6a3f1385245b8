"""The Flutterwave client's payouts, banks and account resolve against the fake over loopback."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from apps.common.http.errors import (
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from apps.purchases.clients.flutterwave import (
    Bank,
    DuplicateReference,
    FlutterwaveClient,
    Transfer,
    TransferEvent,
    TransferRefused,
    TransferStatus,
    build_flutterwave_client,
    nigerian_banks,
    parse_transfer_webhook,
    search_banks,
)
from apps.sandbox.failures import inject_failure
from apps.sandbox.flutterwave import banks as fake_banks
from apps.sandbox.flutterwave import transfers as fake_transfers
from apps.sandbox.models import FlutterwaveTransfer
from apps.sandbox.selectors import api_calls

live = pytest.mark.django_db(transaction=True)
ACCESS = "044"
ACCOUNT = "0123456789"
AMOUNT = Decimal("16501.20")


def pay(reference: str = "VCW-1-1", **changes) -> Transfer:
    arguments = {
        "reference": reference,
        "bank_code": ACCESS,
        "account_number": ACCOUNT,
        "amount_ngn": AMOUNT,
        "narration": "ViralCore withdrawal W-1",
        **changes,
    }
    with build_flutterwave_client() as client:
        return client.create_transfer(**arguments)


def flutterwave(**options) -> FlutterwaveClient:
    return FlutterwaveClient(
        settings.FLUTTERWAVE_BASE_URL, secret_key=settings.FLUTTERWAVE_SECRET_KEY, **options
    )


def backdate(reference: str, **fields: timedelta) -> None:
    """Move a fake transfer's schedule into the past (its clock, not ours)."""
    past = {name: timezone.now() - ago for name, ago in fields.items()}
    FlutterwaveTransfer.objects.filter(reference=reference).update(**past)


# --- banks -----------------------------------------------------------------------------------


@live
def test_the_bank_list_keeps_codes_as_strings_with_their_leading_zeros(providers):
    with build_flutterwave_client() as client:
        found = client.list_banks()

    assert Bank(code="044", name="Access Bank") in found
    assert Bank(code="090267", name="Kuda Microfinance Bank") in found
    assert Bank(code="011", name="First Bank of Nigeria") in found
    assert [bank.name.casefold() for bank in found] == sorted(b.name.casefold() for b in found)
    assert len(found) == len(fake_banks.BANKS)


@live
def test_the_bank_list_is_fetched_once_a_day_and_then_read_from_the_cache(providers):
    first = nigerian_banks()
    second = nigerian_banks()

    assert first == second
    assert len(api_calls("flutterwave.banks")) == 1


@live
@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("zenith", "057"),
        ("ZEN", "057"),
        ("gtb", "058"),
        ("united bank", "033"),
        ("uba", "033"),
        ("access", "044"),
        ("first bank", "011"),
        ("moniepoint", "090405"),
        ("090267", "090267"),
    ],
)
def test_banks_are_found_by_name_in_any_case(providers, query, expected_first):
    assert search_banks(query)[0].code == expected_first


@live
def test_a_bank_search_lists_every_match_up_to_the_limit(providers):
    assert {bank.code for bank in search_banks("kuda")} == {"50211", "090267"}
    assert {bank.code for bank in search_banks("first")} == {"011", "214"}
    assert len(search_banks("bank", limit=3)) == 3
    assert search_banks("no such bank anywhere") == []
    assert search_banks("  ") == []


# --- account resolve -------------------------------------------------------------------------


@live
def test_an_account_resolves_to_the_same_name_every_time(providers):
    with build_flutterwave_client() as client:
        name = client.resolve_account(account_number=ACCOUNT, bank_code=ACCESS)
        again = client.resolve_account(account_number=ACCOUNT, bank_code=ACCESS)
        documented = client.resolve_account(account_number="0690000032", bank_code=ACCESS)

    assert name == again == fake_banks.account_name(ACCESS, ACCOUNT)
    assert documented == "Pastor Bright"


@live
def test_an_account_that_does_not_resolve_is_none(providers):
    with build_flutterwave_client() as client:
        assert client.resolve_account(account_number="0123450000", bank_code=ACCESS) is None
        assert client.resolve_account(account_number=ACCOUNT, bank_code="999") is None


@pytest.mark.parametrize(
    ("account_number", "bank_code"),
    [("012345678", ACCESS), ("01234567890", ACCESS), ("01234S6789", ACCESS), (ACCOUNT, "")],
)
def test_an_account_number_that_is_not_ten_digits_is_refused_before_sending(
    account_number, bank_code
):
    with build_flutterwave_client() as client, pytest.raises(ValueError):
        client.resolve_account(account_number=account_number, bank_code=bank_code)


@live
def test_resolving_is_retried_after_a_500_and_fails_when_it_persists(providers):
    inject_failure("flutterwave.resolve", "http_500")
    with flutterwave(backoff_seconds=0.01) as client:
        assert client.resolve_account(account_number=ACCOUNT, bank_code=ACCESS)

    inject_failure("flutterwave.resolve", "http_500", times=3)
    with flutterwave(backoff_seconds=0.01) as client, pytest.raises(ProviderUnavailable):
        client.resolve_account(account_number=ACCOUNT, bank_code=ACCESS)


# --- creating transfers ----------------------------------------------------------------------


@live
def test_a_transfer_is_queued_new_with_the_exact_amount_and_fee(providers):
    before = timezone.now().replace(microsecond=0)

    transfer = pay()

    stored = FlutterwaveTransfer.objects.get()
    assert transfer == Transfer(
        id=stored.flw_id,
        reference="VCW-1-1",
        status=TransferStatus.NEW,
        amount=AMOUNT,
        fee=Decimal("26.875"),
        bank_code=ACCESS,
        account_number=ACCOUNT,
        full_name=fake_banks.account_name(ACCESS, ACCOUNT),
        complete_message="",
        created_at=transfer.created_at,
        currency="NGN",
        bank_name="ACCESS BANK",
        narration="ViralCore withdrawal W-1",
    )
    assert transfer.created_at.tzinfo is not None
    assert before <= transfer.created_at <= timezone.now()
    assert not transfer.is_final
    assert stored.amount == AMOUNT


@live
def test_whole_naira_and_kobo_amounts_arrive_exactly(providers):
    assert pay("VCW-2-1", amount_ngn=Decimal("5500")).amount == Decimal("5500")
    assert pay("VCW-3-1", amount_ngn=Decimal("0.07")).amount == Decimal("0.07")
    assert pay("VCW-4-1", amount_ngn=Decimal("9876543.21")).amount == Decimal("9876543.21")

    sent = [call.params["amount"] for call in api_calls("flutterwave.transfers.create")]
    assert sent == [5500, 0.07, 9876543.21]


@live
def test_a_reused_reference_is_a_duplicate_not_a_refusal(providers):
    pay()

    with pytest.raises(DuplicateReference) as duplicate:
        pay(amount_ngn=Decimal("100.00"))

    assert not isinstance(duplicate.value, TransferRefused)
    assert duplicate.value.status_code == 400
    assert FlutterwaveTransfer.objects.count() == 1


@live
def test_a_blacklisted_account_is_a_definite_refusal(providers):
    with pytest.raises(TransferRefused) as refused:
        pay(account_number="0690000036")

    assert refused.value.reason == "Payout was made to a blacklisted account number"
    assert refused.value.reason in str(refused.value)
    assert not FlutterwaveTransfer.objects.exists()


@live
def test_an_account_that_does_not_resolve_is_refused(providers):
    with pytest.raises(TransferRefused) as refused:
        pay(account_number="0123450000")

    assert refused.value.reason == fake_banks.UNRESOLVABLE
    assert not FlutterwaveTransfer.objects.exists()


@live
def test_a_transfer_above_the_wallet_balance_is_refused_with_flutterwaves_message(providers):
    fake_transfers.set_balance(Decimal("1000"))

    with pytest.raises(TransferRefused) as refused:
        pay(amount_ngn=Decimal("995.00"))  # plus the 10.75 fee: 5.75 short

    assert refused.value.reason == "DISBURSE FAILED: Insufficient funds in customer wallet"
    assert not FlutterwaveTransfer.objects.exists()
    assert pay(amount_ngn=Decimal("500.00")).status == TransferStatus.NEW
    assert fake_transfers.balance() == Decimal("489.25")


@live
def test_a_500_after_the_transfer_was_made_is_unavailable_and_nothing_is_sent_twice(providers):
    inject_failure("flutterwave.transfers.create", "http_500")

    with pytest.raises(ProviderUnavailable) as unavailable:
        pay()

    assert unavailable.value.status_code == 500
    assert len(api_calls("flutterwave.transfers.create")) == 1
    assert FlutterwaveTransfer.objects.count() == 1
    with build_flutterwave_client() as client:
        found = client.find_transfer("VCW-1-1")
    assert found.id == FlutterwaveTransfer.objects.get().flw_id


@live
def test_a_502_page_after_the_transfer_was_made_is_unavailable(providers):
    inject_failure("flutterwave.transfers.create", "http_502")

    with pytest.raises(ProviderUnavailable):
        pay()

    assert FlutterwaveTransfer.objects.count() == 1


@live
def test_an_answer_held_past_the_read_timeout_is_a_timeout_and_the_transfer_exists(providers):
    inject_failure("flutterwave.transfers.create", "delay_seconds", delay=1.5)
    quick = httpx.Timeout(0.5, connect=2.0)

    with flutterwave(timeout=quick) as client, pytest.raises(ProviderTimeout):
        client.create_transfer(
            reference="VCW-1-1",
            bank_code=ACCESS,
            account_number=ACCOUNT,
            amount_ngn=AMOUNT,
            narration="W-1",
        )

    with build_flutterwave_client() as client:
        assert client.find_transfer("VCW-1-1").amount == AMOUNT
    assert FlutterwaveTransfer.objects.count() == 1
    _wait_for_calls("flutterwave.transfers.create", 1)  # the fake's late answer, logged


@live
def test_a_rate_limited_create_is_a_plain_rejection_and_makes_nothing(providers):
    inject_failure("flutterwave.transfers.create", "http_429", retry_after=1)

    with pytest.raises(ProviderRejected) as rejected:
        pay()

    assert type(rejected.value) is ProviderRejected
    assert rejected.value.status_code == 429
    assert not FlutterwaveTransfer.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_ngn": Decimal("0")},
        {"amount_ngn": Decimal("-5.00")},
        {"amount_ngn": Decimal("10.001")},
        {"amount_ngn": 10.5},
        {"reference": ""},
        {"reference": "x" * 101},
        {"account_number": "123"},
        {"bank_code": "Access Bank"},
    ],
)
def test_a_bad_transfer_is_refused_before_sending(changes):
    with pytest.raises(ValueError):
        pay(**changes)


# --- reading transfers -----------------------------------------------------------------------


@live
def test_a_transfer_is_read_by_id_and_by_reference(providers):
    made = pay()

    with build_flutterwave_client() as client:
        by_id = client.get_transfer(made.id)
        by_reference = client.find_transfer("VCW-1-1")
        unknown = client.find_transfer("VCW-never")
        with pytest.raises(ProviderRejected) as missing:
            client.get_transfer(made.id + 1000)

    assert by_id.reference == by_reference.reference == "VCW-1-1"
    assert by_id.id == by_reference.id == made.id
    assert unknown is None
    assert missing.value.status_code == 404


@live
def test_a_mock_success_reference_goes_new_pending_successful(providers):
    reference = "VCW-1-1_PMCK"
    made = pay(reference)

    with build_flutterwave_client() as client:
        assert client.get_transfer(made.id).status == TransferStatus.NEW
        backdate(reference, pending_at=timedelta(seconds=1))
        assert client.get_transfer(made.id).status == TransferStatus.PENDING
        backdate(reference, settles_at=timedelta(seconds=1))
        settled = client.find_transfer(reference)

    assert (settled.status, settled.complete_message) == ("SUCCESSFUL", "Successful")
    assert settled.is_final


@live
def test_a_mock_failure_reference_ends_failed_with_a_reason(providers):
    reference = "VCW-1-1_PMCK_ST_F"
    made = pay(reference)
    backdate(reference, settles_at=timedelta(seconds=1))

    with build_flutterwave_client() as client:
        failed = client.get_transfer(made.id)

    assert failed.status == TransferStatus.FAILED
    assert failed.complete_message == fake_transfers.MOCK_FAILURE


@live
def test_a_transfer_settled_by_staff_reads_as_settled(providers):
    made = pay()
    fake_transfers.settle_transfer("VCW-1-1", "FAILED", message="DISBURSE FAILED: Bank down")

    with build_flutterwave_client() as client:
        failed = client.get_transfer(made.id)

    assert (failed.status, failed.complete_message) == ("FAILED", "DISBURSE FAILED: Bank down")


@live
def test_the_transfer_list_is_followed_page_after_page(providers):
    for number in range(23):
        fake_transfers.create_transfer(
            reference=f"VCW-{number}-1",
            bank_code=ACCESS,
            account_number=ACCOUNT,
            amount=Decimal("1000.00"),
        )

    with build_flutterwave_client() as client:
        listed = list(client.list_transfers())

    assert sorted(t.reference for t in listed) == sorted(f"VCW-{n}-1" for n in range(23))
    pages = [call.params["page"] for call in api_calls("flutterwave.transfers.list")]
    assert pages == ["1", "2", "3"]


@live
def test_the_transfer_list_of_a_day_and_a_status(providers):
    def make(reference: str, created_at: datetime) -> None:
        fake_transfers.create_transfer(
            reference=reference,
            bank_code=ACCESS,
            account_number=ACCOUNT,
            amount=Decimal("1000.00"),
            now=created_at,
        )

    day = date(2026, 3, 10)
    make("before", datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC))
    for number in range(12):
        make(f"on-{number}", datetime(2026, 3, 10, 0, number, tzinfo=UTC))
    make("late", datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC))
    make("after", datetime(2026, 3, 11, 0, 0, 0, tzinfo=UTC))
    make("today", timezone.now())
    fake_transfers.settle_transfer("on-3", "FAILED")

    with build_flutterwave_client() as client:
        of_the_day = {t.reference for t in client.list_transfers(day=day)}
        failed = [t.reference for t in client.list_transfers(day=day, status="failed")]
        successful = {t.reference for t in client.list_transfers(status="SUCCESSFUL")}

    assert of_the_day == {f"on-{n}" for n in range(12)} | {"late"}
    assert failed == ["on-3"]
    assert "today" not in successful
    assert "before" in successful


# --- webhooks and secrets --------------------------------------------------------------------


def v3_webhook(**data) -> bytes:
    body = {
        "id": 33286,
        "account_number": "0690000033",
        "bank_code": "044",
        "fullname": "Bale Gary",
        "amount": 30020,
        "fee": 26.875,
        "status": "SUCCESSFUL",
        "reference": "a0a827b1eca65311_PMCKDU_5",
        **data,
    }
    return json.dumps({"event": "transfer.completed", "event.type": "Transfer", "data": body})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (v3_webhook(), TransferEvent(33286, "a0a827b1eca65311_PMCKDU_5", "SUCCESSFUL")),
        (v3_webhook(status="failed"), TransferEvent(33286, "a0a827b1eca65311_PMCKDU_5", "FAILED")),
        (v3_webhook(id="33286"), TransferEvent(33286, "a0a827b1eca65311_PMCKDU_5", "SUCCESSFUL")),
        (v3_webhook(reference=None), TransferEvent(33286, None, "SUCCESSFUL")),
        (v3_webhook(id=None, status=None), TransferEvent(None, "a0a827b1eca65311_PMCKDU_5", "")),
        (
            json.dumps(
                {"event.type": "Transfer", "transfer": {"id": 7, "reference": "R", "status": "NEW"}}
            ),
            TransferEvent(7, "R", "NEW"),
        ),
        (v3_webhook(id=None, reference=""), None),
        (json.dumps({"event": "charge.completed", "data": {"id": 1, "tx_ref": "INV-1"}}), None),
        (json.dumps({"event": "transfer.completed", "data": "nope"}), None),
        (json.dumps([1, 2]), None),
        (b'{"event":"transfer.completed","data":{"id":', None),
        (b"\xff\xfe", None),
        (b"", None),
    ],
)
def test_a_transfer_webhook_names_the_transfer_to_fetch_again(body, expected):
    raw = body.encode() if isinstance(body, str) else body

    assert parse_transfer_webhook(raw) == expected


def test_a_message_echoing_the_secret_key_is_scrubbed():
    secret = "echoed-secret-key-999"

    def answer(request: httpx.Request) -> httpx.Response:
        message = f"Invalid account for key {secret}"
        return httpx.Response(400, json={"status": "error", "message": message, "data": None})

    client = FlutterwaveClient(
        "https://flutterwave.invalid", secret_key=secret, transport=httpx.MockTransport(answer)
    )
    with client, pytest.raises(TransferRefused) as refused:
        client.create_transfer(
            reference="VCW-1-1",
            bank_code=ACCESS,
            account_number=ACCOUNT,
            amount_ngn=AMOUNT,
            narration="W-1",
        )

    assert "echoed-secret" not in str(refused.value)
    assert "echoed-secret" not in refused.value.reason


@live
def test_no_error_of_the_payout_calls_shows_the_secret_key(providers, caplog):
    key = settings.FLUTTERWAVE_SECRET_KEY
    errors: list[ProviderError] = []
    inject_failure("flutterwave.transfers.create", "http_500")
    for attempt in (
        lambda client: client.create_transfer(
            reference="VCW-9-1",
            bank_code=ACCESS,
            account_number=ACCOUNT,
            amount_ngn=AMOUNT,
            narration="W-9",
        ),
        lambda client: client.create_transfer(
            reference="VCW-9-1",
            bank_code=ACCESS,
            account_number=ACCOUNT,
            amount_ngn=AMOUNT,
            narration="W-9",
        ),
        lambda client: client.create_transfer(
            reference="VCW-9-2",
            bank_code=ACCESS,
            account_number="0690000036",
            amount_ngn=AMOUNT,
            narration="W-9",
        ),
        lambda client: client.get_transfer(1),
    ):
        with build_flutterwave_client() as client, pytest.raises(ProviderError) as raised:
            attempt(client)
        errors.append(raised.value)
    with (
        FlutterwaveClient(settings.FLUTTERWAVE_BASE_URL, secret_key="wrong-secret-key") as bad,
        pytest.raises(ProviderRejected) as unauthorized,
    ):
        bad.list_banks()
    errors.append(unauthorized.value)

    assert [type(error) for error in errors] == [
        ProviderUnavailable,
        DuplicateReference,
        TransferRefused,
        ProviderRejected,
        ProviderRejected,
    ]
    for error in errors:
        assert key not in str(error)
        assert key not in repr(error.args)
    assert "wrong-secret-key" not in str(unauthorized.value)
    assert key not in caplog.text


def _wait_for_calls(method: str, count: int, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while len(api_calls(method)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
