"""The SMM panel client against the sandbox's fake panels over loopback (live_server).

Parsing tolerance (panel dialects of external-apis.md §3) is tested on sample bodies directly.
"""

from __future__ import annotations

import logging
import socket
import time
from decimal import Decimal

import httpx
import pytest
from django.conf import settings

from apps.boosts.clients.smm import (
    SmmBalance,
    SmmClient,
    SmmError,
    SmmErrorKind,
    SmmOrderStatus,
    SmmService,
    api_key_for,
    build_smm_client,
    classify,
    normalise_status,
    parse_balance,
    parse_order_id,
    parse_order_status,
    parse_services,
    parse_statuses,
    smm_breaker,
)
from apps.sandbox.failures import inject_failure
from apps.sandbox.selectors import api_calls
from apps.sandbox.smm import services as fake_panels
from apps.sandbox.smm.models import SmmPanel, SmmPanelOrder
from tests.boosts import smm_fixtures

# Imported by name for when tests/boosts/conftest.py does not re-export them.
smm_panel, smm_provider = smm_fixtures.smm_panel, smm_fixtures.smm_provider
live = pytest.mark.django_db(transaction=True)
VIEWS, LIKES = 6073, 11023
LINK = "https://x.com/brand/status/1790000000000000001"
Kind = SmmErrorKind


@pytest.fixture
def provider(smm_provider):
    return smm_provider("plugsmms")


@pytest.fixture
def panel_client(provider):
    with build_smm_client(provider) as client:
        yield client


@pytest.fixture
def opened():
    """Close the clients a test made before it ends: a kept-alive connection would otherwise
    hold a live-server thread that outlives the test's database."""
    clients = []

    def keep(client: SmmClient) -> SmmClient:
        clients.append(client)
        return client

    yield keep
    for client in clients:
        client.close()


@pytest.fixture
def quick_client(provider, opened):
    """A client with short backoff, so failure tests stay fast."""

    def make(**options) -> SmmClient:
        options.setdefault("backoff_seconds", 0.01)
        api_key = api_key_for(provider)
        return opened(
            SmmClient(provider.api_url, provider_name=provider.name, api_key=api_key, **options)
        )

    return make


def fake_order(order_id: str) -> SmmPanelOrder:
    return SmmPanelOrder.objects.get(pk=int(order_id) - SmmPanelOrder.ID_BASE)


def panel_balance() -> Decimal:
    return SmmPanel.objects.get(name="plugsmms").balance


def failure_of(call) -> SmmError:
    with pytest.raises(SmmError) as caught:
        call()
    return caught.value


def wait_for_calls(method: str, count: int, within: float = 5.0) -> None:
    """Wait until the fake logged COUNT calls of METHOD (a held-back answer finished)."""
    deadline = time.monotonic() + within
    while len(api_calls(method)) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- every action ----------------------------------------------------------------------------


@live
def test_services_are_typed_rows_with_decimal_rates(panel_client):
    services = {service.id: service for service in panel_client.services()}

    assert services[VIEWS] == SmmService(
        id=VIEWS,
        name="X Views | Instant",
        type="Default",
        category="X Views",
        rate=Decimal("0.05"),
        min=10,
        max=1_000_000,
        refill=False,
        cancel=True,
    )
    assert services[LIKES].rate == Decimal("1.00")
    assert services[LIKES].refill is True


@live
def test_balance_is_a_decimal_with_its_currency(panel_client):
    assert panel_client.balance() == SmmBalance(amount=Decimal("50.00000"), currency="USD")


@live
def test_add_places_one_order_and_gives_its_id_as_text(panel_client):
    order_id = panel_client.add(service=LIKES, link=LINK, quantity=250)

    stored = fake_order(order_id)
    assert isinstance(order_id, str)
    assert (stored.service_id, stored.link, stored.quantity) == (LIKES, LINK, 250)
    assert panel_client.balance().amount == Decimal("49.75")


@live
def test_status_follows_an_order_from_pending_to_completed(panel_client):
    order_id = panel_client.add(service=VIEWS, link=LINK, quantity=1000)

    pending = panel_client.status([order_id])[order_id]
    fake_panels.age_order(fake_order(order_id), 10)
    running = panel_client.status([order_id])[order_id]
    fake_panels.age_order(fake_order(order_id), 10)
    done = panel_client.status([order_id])[order_id]

    assert pending == SmmOrderStatus(
        status="Pending", remains=1000, charge=Decimal("0.05"), start_count=0, currency="USD"
    )
    assert running.status == "In progress"
    assert 0 < running.remains < 1000
    assert (done.status, done.remains, done.charge, done.error) == (
        "Completed",
        0,
        Decimal("0.05"),
        None,
    )


@live
def test_a_partial_order_reports_its_remains_and_the_refund(panel_client, smm_panel):
    smm_panel(partial_percent=30)
    order_id = panel_client.add(service=LIKES, link=LINK, quantity=1000)
    fake_panels.age_order(fake_order(order_id), 60)

    partial = panel_client.status([order_id])[order_id]
    again = panel_client.status([order_id])[order_id]

    assert partial == again
    assert (partial.status, partial.remains, partial.charge) == ("Partial", 300, Decimal("0.7"))
    assert panel_client.balance().amount == Decimal("49.30")


@live
def test_status_of_many_orders_reports_an_unknown_id_per_order(panel_client):
    first = panel_client.add(service=VIEWS, link=LINK, quantity=100)
    second = panel_client.add(service=LIKES, link=LINK, quantity=100)

    found = panel_client.status([first, second, "12", first])

    assert list(found) == [first, second, "12"]
    assert found[first].status == found[second].status == "Pending"
    assert found["12"] == SmmOrderStatus(status="", error="Incorrect order ID")


@live
def test_status_asks_at_most_100_ids_a_call(panel_client):
    order_id = panel_client.add(service=VIEWS, link=LINK, quantity=100)
    unknown = [str(SmmPanelOrder.ID_BASE + 10_000 + n) for n in range(149)]

    found = panel_client.status([order_id, *unknown])

    assert len(found) == 150
    assert found[order_id].status == "Pending"
    assert {found[i].error for i in unknown} == {"Incorrect order ID"}
    calls = api_calls("smm.plugsmms.status")
    assert [len(call.params["orders"].split(",")) for call in calls] == [100, 50]


@live
def test_cancel_refunds_a_pending_order(panel_client):
    order_id = panel_client.add(service=LIKES, link=LINK, quantity=1000)

    first = panel_client.cancel([order_id, "77"])
    second = panel_client.cancel([order_id])

    assert first == {order_id: True, "77": "Incorrect order ID"}
    assert second == {order_id: "Order not eligible for cancel."}
    assert panel_client.balance().amount == Decimal("50.00")
    assert panel_client.status([order_id])[order_id].status == "Canceled"


@live
def test_refill_gives_a_refill_id_or_the_panels_refusal(panel_client):
    likes = panel_client.add(service=LIKES, link=LINK, quantity=100)
    views = panel_client.add(service=VIEWS, link=LINK, quantity=100)
    for order_id in (likes, views):
        fake_panels.age_order(fake_order(order_id), 30)

    refills = panel_client.refill([likes, views])

    assert refills[likes].isdigit()
    refused = refills[views]
    assert isinstance(refused, SmmError)
    assert (refused.provider, refused.detail) == ("plugsmms", "Order not eligible for refill.")
    assert panel_client.refill([]) == {}
    assert len(api_calls("smm.plugsmms.refill")) == 1  # the empty list sent nothing


@live
def test_a_client_built_from_snapshot_fields_works_with_the_sandbox_key(provider, opened):
    client = opened(
        build_smm_client(
            name=provider.name, api_url=provider.api_url, api_key_env=provider.api_key_env
        )
    )

    assert client.balance().currency == "USD"
    assert client._http.timeout == httpx.Timeout(
        connect=5.0, read=float(settings.SMM_READ_TIMEOUT), write=10.0, pool=5.0
    )
    assert (client.max_retries, client.breaker.name) == (2, "smm:plugsmms")
    assert (client.breaker.failure_threshold, client.breaker.reset_timeout) == (5, 60)
    with pytest.raises(ValueError):
        build_smm_client(name="plugsmms", api_url=provider.api_url)


# --- errors and their kinds ------------------------------------------------------------------


@live
@pytest.mark.parametrize(
    ("mode", "kind", "detail"),
    [
        ("invalid_service", Kind.PERMANENT, "Incorrect service ID"),
        ("invalid_key", Kind.PERMANENT, "Invalid API key"),
        ("no_funds", Kind.FUNDS, "Not enough funds on balance"),
        ("server_error", Kind.TRANSIENT, "HTTP 503"),
        ("down", Kind.TRANSIENT, "HTTP 503"),
    ],
)
def test_each_failure_mode_of_an_add_has_its_kind(quick_client, smm_panel, mode, kind, detail):
    smm_panel(failure_mode=mode)

    error = failure_of(lambda: quick_client().add(service=VIEWS, link=LINK, quantity=100))

    assert (error.kind, error.provider, error.detail) == (kind, "plugsmms", detail)
    assert str(error) == f"plugsmms add failed ({kind}): {detail}"
    assert len(api_calls("smm.plugsmms.add")) == 1  # an add is never sent twice
    assert not SmmPanelOrder.objects.exists()


@live
def test_a_rate_limit_is_rate_limited_with_the_panels_retry_after(quick_client, smm_panel):
    smm_panel(failure_mode="rate_limit")

    error = failure_of(lambda: quick_client().add(service=VIEWS, link=LINK, quantity=100))

    assert (error.kind, error.retry_after, error.detail) == (
        Kind.RATE_LIMITED,
        1.0,
        "Too many requests",
    )
    assert smm_breaker("plugsmms").state() == "closed"  # one failure of five


@live
def test_a_balance_too_low_for_the_order_is_funds(panel_client, smm_panel):
    smm_panel(balance=Decimal("0.09"))

    error = failure_of(lambda: panel_client.add(service=LIKES, link=LINK, quantity=100))

    assert error.kind == Kind.FUNDS
    assert panel_client.balance().amount == Decimal("0.09")


@live
def test_a_quantity_below_the_minimum_is_permanent(panel_client):
    error = failure_of(lambda: panel_client.add(service=VIEWS, link=LINK, quantity=5))

    assert (error.kind, error.detail) == (Kind.PERMANENT, "Quantity less than minimal 10")


@live
def test_a_read_timeout_on_add_is_an_unknown_outcome_and_the_order_exists(quick_client, smm_panel):
    smm_panel(failure_mode="timeout", timeout_seconds=2)
    timeout = httpx.Timeout(connect=5.0, read=0.5, write=5.0, pool=5.0)

    error = failure_of(
        lambda: quick_client(timeout=timeout).add(service=LIKES, link=LINK, quantity=100)
    )

    assert error.kind == Kind.UNKNOWN_OUTCOME
    assert SmmPanelOrder.objects.count() == 1  # stored and charged before the answer was held
    assert panel_balance() == Decimal("49.90")
    wait_for_calls("smm.plugsmms.add", 1)
    assert len(api_calls("smm.plugsmms.add")) == 1


@live
def test_a_read_timeout_on_a_lookup_is_transient(quick_client, smm_panel):
    inject_failure("smm.plugsmms.balance", "delay_seconds", delay=1.0)
    timeout = httpx.Timeout(connect=5.0, read=0.3, write=5.0, pool=5.0)

    error = failure_of(lambda: quick_client(timeout=timeout, max_retries=0).balance())

    assert error.kind == Kind.TRANSIENT
    wait_for_calls("smm.plugsmms.balance", 1)


@live
def test_a_malformed_answer_to_add_is_an_unknown_outcome(panel_client):
    inject_failure("smm.plugsmms.add", "malformed_json")
    inject_failure("smm.plugsmms.balance", "malformed_json")

    placed = failure_of(lambda: panel_client.add(service=VIEWS, link=LINK, quantity=100))
    looked_up = failure_of(panel_client.balance)

    assert placed.kind == Kind.UNKNOWN_OUTCOME
    assert SmmPanelOrder.objects.count() == 1
    assert looked_up.kind == Kind.TRANSIENT


@live
def test_a_4xx_with_a_panel_text_is_classified_by_it(provider, quick_client, opened):
    inject_failure("smm.plugsmms.balance", "http_403_blocked")
    unknown_panel = opened(
        SmmClient(
            provider.api_url.replace("plugsmms", "nosuchpanel"),
            provider_name="nosuchpanel",
            api_key=settings.SANDBOX_SMM_API_KEY,
        )
    )

    forbidden = failure_of(quick_client().balance)
    not_found = failure_of(unknown_panel.balance)

    assert (forbidden.kind, forbidden.detail) == (Kind.PERMANENT, "Forbidden")
    assert (not_found.kind, not_found.detail) == (Kind.PERMANENT, "Incorrect request")


@live
def test_lookups_are_retried_when_the_panel_is_down_but_adds_are_not(quick_client, smm_panel):
    smm_panel(failure_mode="down")
    client = quick_client()

    lookup = failure_of(lambda: client.status(["7000001"]))
    placing = failure_of(lambda: client.add(service=VIEWS, link=LINK, quantity=100))

    assert lookup.kind == placing.kind == Kind.TRANSIENT
    assert len(api_calls("smm.plugsmms.status")) == 3
    assert len(api_calls("smm.plugsmms.add")) == 1


@live
def test_a_refused_connection_is_transient_even_for_an_add(opened):
    client = opened(
        SmmClient(
            f"http://127.0.0.1:{closed_port()}/api/v2",
            provider_name="gone",
            api_key="any-key",
            max_retries=0,
        )
    )

    error = failure_of(lambda: client.add(service=VIEWS, link=LINK, quantity=100))

    assert (error.kind, error.detail) == (Kind.TRANSIENT, "could not connect")


# --- the circuit breaker ---------------------------------------------------------------------


@live
@pytest.mark.parametrize(
    ("mode", "kind"), [("server_error", Kind.TRANSIENT), ("rate_limit", Kind.RATE_LIMITED)]
)
def test_five_failures_open_the_breaker_and_then_nothing_is_sent(
    quick_client, smm_panel, mode, kind
):
    smm_panel(failure_mode=mode)
    client = quick_client()

    def place():
        return client.add(service=VIEWS, link=LINK, quantity=100)

    kinds = [failure_of(place).kind for _ in range(5)]
    refused = failure_of(place)

    assert kinds == [kind] * 5
    assert refused.kind == Kind.BREAKER_OPEN
    assert 0 < refused.retry_after <= 60
    assert len(api_calls("smm.plugsmms.add")) == 5
    assert smm_breaker("plugsmms").state() == "open"


# --- the key stays secret --------------------------------------------------------------------


@live
def test_the_key_never_appears_in_errors_logs_or_the_fakes_records(
    provider, smm_panel, monkeypatch, caplog, settings, opened
):
    secret = "smm-test-key-Zq9xK2vLr7"
    monkeypatch.setenv("SMM_SECRET_TEST_KEY", secret)
    provider.api_key_env = "SMM_SECRET_TEST_KEY"
    provider.save()
    smm_panel(api_key=secret, timeout_seconds=1)
    settings.SMM_READ_TIMEOUT = Decimal("0.3")
    caplog.set_level(logging.DEBUG)
    client = opened(build_smm_client(provider))

    def place():
        return client.add(service=VIEWS, link=LINK, quantity=100)

    client.status([place()])
    errors = []
    for mode in ("invalid_service", "no_funds", "rate_limit", *["server_error"] * 4, "timeout"):
        smm_panel(failure_mode=mode)
        errors.append(failure_of(place))  # the breaker opens after the 5th failure
    smm_breaker("plugsmms").record_success()
    errors.append(failure_of(place))  # the timeout
    wait_for_calls("smm.plugsmms.add", 9)
    smm_panel(failure_mode="invalid_key")
    errors.append(failure_of(client.balance))
    wrong_key = opened(SmmClient(provider.api_url, provider_name="plugsmms", api_key="another-key"))
    errors.append(failure_of(wrong_key.balance))

    kinds = [error.kind for error in errors]
    assert kinds[:2] == [Kind.PERMANENT, Kind.FUNDS]
    assert kinds[7:] == [Kind.BREAKER_OPEN, Kind.UNKNOWN_OUTCOME, Kind.PERMANENT, Kind.PERMANENT]
    texts = [caplog.text, repr(client)]
    texts += [f"{error} {error!r} {error.detail}" for error in errors]
    texts += [str(call.params) + call.description for call in api_calls()]
    assert all(secret not in text for text in texts)
    assert str(errors[1]) == "plugsmms add failed (funds): Not enough funds on balance"


@live
def test_a_missing_key_is_permanent_and_names_the_variable_only(provider, settings, monkeypatch):
    settings.SANDBOX = False
    monkeypatch.delenv("SMM_MISSING_KEY", raising=False)
    provider.api_key_env = "SMM_MISSING_KEY"

    error = failure_of(lambda: build_smm_client(provider))

    assert error.kind == Kind.PERMANENT
    assert "SMM_MISSING_KEY" in str(error)


def test_the_key_comes_from_the_variable_or_its_file(tmp_path, monkeypatch, settings):
    from apps.boosts.models import Provider

    provider = Provider(name="plugsmms", api_url="http://x/api/v2", api_key_env="SMM_KEY_A")
    monkeypatch.setenv("SMM_KEY_A", "from-env")
    from_env = api_key_for(provider)
    monkeypatch.delenv("SMM_KEY_A")
    (tmp_path / "key").write_text("from-file\n")
    monkeypatch.setenv("SMM_KEY_A_FILE", str(tmp_path / "key"))
    from_file = api_key_for(provider)
    monkeypatch.delenv("SMM_KEY_A_FILE")
    sandbox = api_key_for(provider)

    assert (from_env, from_file, sandbox) == ("from-env", "from-file", settings.SANDBOX_SMM_API_KEY)


# --- classification --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Not enough funds on balance", Kind.FUNDS),
        ("Insufficient balance", Kind.FUNDS),
        ("Incorrect service ID", Kind.PERMANENT),
        ("invalid service", Kind.PERMANENT),
        ("Invalid API key", Kind.PERMANENT),
        ("Incorrect API key", Kind.PERMANENT),
        ("Unauthorized", Kind.PERMANENT),
        ("Forbidden", Kind.PERMANENT),
        ("Incorrect link", Kind.PERMANENT),
        ("Invalid link", Kind.PERMANENT),
        ("Invalid URL", Kind.PERMANENT),
        ("Incorrect request", Kind.PERMANENT),
        ("Quantity less than minimal 50", Kind.PERMANENT),
        ("Rate limit exceeded", Kind.RATE_LIMITED),
        ("Too Many Requests", Kind.RATE_LIMITED),
        ("Connection refused", Kind.TRANSIENT),
        ("Could not connect to the server", Kind.TRANSIENT),
        (
            "You have active order with this link. Please wait until order being completed.",
            Kind.TRANSIENT,
        ),
        ("Something odd happened", Kind.TRANSIENT),
        ("", Kind.TRANSIENT),
    ],
)
def test_each_panel_text_has_its_kind(text, kind):
    assert classify(text) == kind
    assert classify(text.upper()) == kind


# --- tolerance of panel dialects -------------------------------------------------------------


def test_an_order_status_with_strings_numbers_and_odd_values():
    as_documented = parse_order_status(
        {
            "charge": "0.27819",
            "start_count": "3572",
            "status": "Partial",
            "remains": "157",
            "currency": "USD",
        }
    )
    loose = parse_order_status(
        {"charge": Decimal("0.5"), "start_count": 12, "status": "in progress", "remains": "-2"}
    )
    unknown_remains = parse_order_status({"status": "COMPLETED", "remains": "Unknown"})

    assert as_documented == SmmOrderStatus("Partial", 157, Decimal("0.27819"), 3572, "USD")
    assert loose == SmmOrderStatus("In progress", -2, Decimal("0.5"), 12, "")
    assert (unknown_remains.status, unknown_remains.remains) == ("Completed", None)
    assert parse_order_status({"error": "Incorrect order ID"}).error == "Incorrect order ID"


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("pending", "Pending"),
        ("In progress", "In progress"),
        ("IN_PROGRESS", "In progress"),
        ("processing", "Processing"),
        ("completed", "Completed"),
        ("partial", "Partial"),
        ("Canceled", "Canceled"),
        ("cancelled", "Canceled"),
        ("refunded-ish", None),
    ],
)
def test_statuses_are_normalised(raw, name):
    assert normalise_status(raw) == name


def test_an_unrecognised_status_is_reported_not_guessed():
    parsed = parse_order_status({"status": "Teleported", "remains": "0"})

    assert parsed.status == ""
    assert "Teleported" in parsed.error


def test_a_multi_status_answer_with_extra_keys_and_missing_ids():
    body = {
        "status": "success",
        "1": {"status": "Completed", "remains": 0, "charge": "1"},
        "10": {"error": "Incorrect order ID"},
    }

    found = parse_statuses(body, ["1", "10", "11"])

    assert found == {
        "1": SmmOrderStatus("Completed", 0, Decimal("1"), None, ""),
        "10": SmmOrderStatus("", error="Incorrect order ID"),
    }
    single = parse_statuses({"status": "pending", "remains": "5"}, ["42"])
    assert single["42"].status == "Pending"


def test_balances_with_numbers_and_without_currency():
    assert parse_balance({"balance": "100.84292", "currency": "USD"}) == SmmBalance(
        Decimal("100.84292"), "USD"
    )
    assert parse_balance({"balance": Decimal("3.5"), "status": "success"}) == SmmBalance(
        Decimal("3.5"), ""
    )
    with pytest.raises(ValueError):
        parse_balance({"currency": "USD"})


def test_services_with_numbers_as_strings_and_broken_rows_skipped():
    body = [
        {
            "service": "1",
            "name": "Followers",
            "type": "Default",
            "category": "First Category",
            "rate": "0.90",
            "min": "50",
            "max": "10000",
            "refill": True,
            "cancel": "1",
            "dripfeed": False,
        },
        {"service": 2, "name": "Likes", "rate": Decimal("1.5"), "min": 10, "max": 500},
        {"service": "x", "rate": "1"},
        "not a service",
    ]

    parsed = parse_services(body)

    assert parsed == [
        SmmService(
            1, "Followers", "Default", "First Category", Decimal("0.90"), 50, 10000, True, True
        ),
        SmmService(2, "Likes", "Default", "", Decimal("1.5"), 10, 500, False, False),
    ]


@pytest.mark.parametrize(
    ("body", "order_id"),
    [
        ({"order": 23501}, "23501"),
        ({"order": "23501"}, "23501"),
        ({"status": "success", "order": 7}, "7"),
        ({"order": ""}, None),
        ({"order": 0}, None),
        ({"order": True}, None),
        ({"status": "success"}, None),
        ([], None),
    ],
)
def test_order_ids_from_add_answers(body, order_id):
    assert parse_order_id(body) == order_id


def test_an_smm_error_survives_pickling_for_celery():
    import pickle

    error = SmmError(
        "plugsmms add failed (funds): Not enough funds on balance",
        kind=Kind.FUNDS,
        provider="plugsmms",
        retry_after=2.0,
        detail="Not enough funds on balance",
    )

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object

    assert (str(copy), copy.kind, copy.provider, copy.retry_after, copy.detail) == (
        str(error),
        Kind.FUNDS,
        "plugsmms",
        2.0,
        "Not enough funds on balance",
    )
