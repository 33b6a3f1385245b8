"""The fake SMM panels: every action of external-apis.md §3, their clock, money and failures.

Called through Django's test client (form, JSON and GET bodies); the real client against them
over loopback is in tests/boosts/clients/test_smm_client.py.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from apps.sandbox.failures import inject_failure
from apps.sandbox.selectors import api_calls
from apps.sandbox.smm import services as fake_panels
from apps.sandbox.smm.models import SmmPanel, SmmPanelOrder, SmmPanelRefill
from tests.boosts import smm_fixtures

pytestmark = pytest.mark.django_db
smm_panel = smm_fixtures.smm_panel

VIEWS, LIKES = 6073, 11023
LINK = "https://x.com/brand/status/1790000000000000001"


def call(client, action: str, panel: str = "plugsmms", **params):
    body = {"key": settings.SANDBOX_SMM_API_KEY, "action": action, **params}
    return client.post(f"/sandbox/smm/{panel}/api/v2", body)


def answer(client, action: str, panel: str = "plugsmms", **params):
    response = call(client, action, panel, **params)
    assert response.status_code == 200, response.content
    return response.json()


def place(client, service: int = VIEWS, quantity: int = 1000, **params) -> str:
    return str(
        answer(client, "add", service=service, link=LINK, quantity=quantity, **params)["order"]
    )


def balance(name: str = "plugsmms") -> Decimal:
    return SmmPanel.objects.get(name=name).balance


def order(wire_id: str) -> SmmPanelOrder:
    return SmmPanelOrder.objects.get(pk=int(wire_id) - SmmPanelOrder.ID_BASE)


# --- the seeded panels -----------------------------------------------------------------------


def test_the_migration_seeds_three_panels_with_their_services():
    panels = {panel.name: panel for panel in SmmPanel.objects.prefetch_related("services")}

    assert set(panels) == {"plugsmms", "smmflare", "smmstone"}
    expected = {"plugsmms": (6073, 11023), "smmflare": (8381, 8646), "smmstone": (5480, 6662)}
    for name, (views, likes) in expected.items():
        panel = panels[name]
        services = {service.service_id: service for service in panel.services.all()}
        assert (panel.balance, panel.currency) == (Decimal("50.00"), "USD")
        assert panel.api_key == settings.SANDBOX_SMM_API_KEY
        assert services[views].rate == Decimal("0.05")
        assert services[likes].rate == Decimal("1.00")
        assert (services[views].min_quantity, services[views].max_quantity) == (10, 1_000_000)
        assert len(services) > 2


def test_services_lists_the_catalogue_as_panels_write_it(client, smm_panel):
    smm_panel("smmflare")

    listed = {item["service"]: item for item in answer(client, "services", "smmflare")}

    assert listed[8381] == {
        "service": 8381,
        "name": "X Views | Instant",
        "type": "Default",
        "category": "X Views",
        "rate": "0.05",
        "min": "10",
        "max": "1000000",
        "refill": False,
        "cancel": True,
    }
    assert listed[8646]["rate"] == "1.00"
    assert listed[8646]["refill"] is True


def test_balance_has_five_decimals_and_the_currency(client):
    assert answer(client, "balance") == {"balance": "50.00000", "currency": "USD"}


# --- add -------------------------------------------------------------------------------------


def test_add_charges_rate_times_quantity_and_stores_the_order(client):
    wire_id = place(client, service=LIKES, quantity=250)

    stored = order(wire_id)
    assert (stored.service_id, stored.link, stored.quantity) == (LIKES, LINK, 250)
    assert stored.charge == Decimal("0.25")
    assert balance() == Decimal("49.75")
    assert int(wire_id) > SmmPanelOrder.ID_BASE


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"service": 999, "link": LINK, "quantity": 100}, "Incorrect service ID"),
        ({"service": 8381, "link": LINK, "quantity": 100}, "Incorrect service ID"),
        ({"service": VIEWS, "link": LINK, "quantity": 9}, "Quantity less than minimal 10"),
        ({"service": VIEWS, "link": LINK, "quantity": 1_000_001}, "Quantity more than maximal"),
        ({"service": VIEWS, "link": LINK, "quantity": "many"}, "Incorrect request"),
        ({"service": VIEWS, "link": "", "quantity": 100}, "Incorrect request"),
        ({"service": VIEWS, "quantity": 100}, "Incorrect request"),
    ],
)
def test_add_refuses_what_a_panel_refuses(client, params, error):
    body = answer(client, "add", **params)

    assert error in body["error"]
    assert not SmmPanelOrder.objects.exists()
    assert balance() == Decimal("50.00")


def test_a_wrong_key_or_an_unknown_action_is_refused(client):
    wrong_key = client.post("/sandbox/smm/plugsmms/api/v2", {"key": "nope", "action": "balance"})

    assert wrong_key.json() == {"error": "Invalid API key"}
    assert answer(client, "teleport") == {"error": "Incorrect request"}
    assert answer(client, "") == {"error": "Incorrect request"}


def test_an_unknown_panel_is_not_found(client):
    response = call(client, "balance", panel="nosuchpanel")

    assert (response.status_code, response.json()) == (404, {"error": "Incorrect request"})


def test_add_refuses_to_take_the_balance_below_zero(client, smm_panel):
    smm_panel(balance=Decimal("0.05"))

    allowed = place(client, service=VIEWS, quantity=1000)  # exactly 0.05
    refused = answer(client, "add", service=VIEWS, link=LINK, quantity=10)

    assert allowed
    assert refused == {"error": "Not enough funds on balance"}
    assert balance() == Decimal("0")
    assert SmmPanelOrder.objects.count() == 1


def test_the_panel_accepts_json_bodies_and_get_queries(client):
    key = settings.SANDBOX_SMM_API_KEY
    as_json = client.post(
        "/sandbox/smm/plugsmms/api/v2",
        {"key": key, "action": "add", "service": VIEWS, "link": LINK, "quantity": 100},
        content_type="application/json",
    ).json()
    as_query = client.get(
        "/sandbox/smm/plugsmms/api/v2", {"key": key, "action": "status", "order": as_json["order"]}
    ).json()
    with_slash = client.post("/sandbox/smm/plugsmms/api/v2/", {"key": key, "action": "balance"})

    assert isinstance(as_json["order"], int)
    assert as_query["status"] == "Pending"
    assert with_slash.json()["currency"] == "USD"


def test_a_body_that_is_not_json_is_an_incorrect_request(client):
    response = client.post(
        "/sandbox/smm/plugsmms/api/v2", "{not json", content_type="application/json"
    )

    assert response.json() == {"error": "Incorrect request"}


# --- status and the order's clock ------------------------------------------------------------


def test_an_order_goes_pending_in_progress_completed_with_its_age(client):
    wire_id = place(client, quantity=1000)

    pending = answer(client, "status", order=wire_id)
    fake_panels.age_order(order(wire_id), 10)  # half way between start (5 s) and end (20 s)
    running = answer(client, "status", order=wire_id)
    fake_panels.age_order(order(wire_id), 10)
    done = answer(client, "status", order=wire_id)

    assert pending == {
        "charge": "0.05000",
        "start_count": "0",
        "status": "Pending",
        "remains": "1000",
        "currency": "USD",
    }
    assert running["status"] == "In progress"
    assert 0 < int(running["remains"]) < 1000
    assert int(running["start_count"]) == order(wire_id).start_count
    assert (done["status"], done["remains"], done["charge"]) == ("Completed", "0", "0.05000")
    assert order(wire_id).final_status == "Completed"


def test_a_partial_order_refunds_its_remainder_once(client, smm_panel):
    smm_panel(partial_percent=30)
    wire_id = place(client, service=LIKES, quantity=1000)  # 1.00
    fake_panels.age_order(order(wire_id), 60)

    first = answer(client, "status", order=wire_id)
    second = answer(client, "status", orders=wire_id)[wire_id]

    assert first == second
    assert (first["status"], first["remains"], first["charge"]) == ("Partial", "300", "0.70000")
    assert balance() == Decimal("49.30")  # 50 - 1.00 + 0.30, refunded once


def test_status_of_many_orders_marks_the_unknown_ones(client, smm_panel):
    smm_panel("smmflare")
    first, second = place(client), place(client, service=LIKES, quantity=20)
    other_panels = str(
        answer(client, "add", "smmflare", service=8381, link=LINK, quantity=10)["order"]
    )

    body = answer(client, "status", orders=f"{first}, {second},12,{other_panels}")

    assert list(body) == [first, second, "12", other_panels]
    assert body[first]["status"] == body[second]["status"] == "Pending"
    assert body["12"] == {"error": "Incorrect order ID"}
    assert body[other_panels] == {"error": "Incorrect order ID"}
    assert answer(client, "status", order="12") == {"error": "Incorrect order ID"}


def test_more_than_100_ids_is_an_incorrect_request(client):
    ids = ",".join(str(SmmPanelOrder.ID_BASE + n) for n in range(1, 102))

    assert answer(client, "status", orders=ids) == {"error": "Incorrect request"}


# --- cancel and refill -----------------------------------------------------------------------


def test_cancel_refunds_a_pending_order_and_refuses_others(client):
    pending, started = place(client, service=LIKES), place(client, service=LIKES)
    fake_panels.age_order(order(started), 6)

    body = answer(client, "cancel", orders=f"{pending},{started},77")

    assert body == [
        {"order": int(pending), "cancel": 1},
        {"order": int(started), "cancel": {"error": "Order not eligible for cancel."}},
        {"order": 77, "cancel": {"error": "Incorrect order ID"}},
    ]
    assert balance() == Decimal("49.00")  # two likes orders of 1.00, one refunded
    assert answer(client, "status", order=pending) == {
        "charge": "0.00000",
        "start_count": "0",
        "status": "Canceled",
        "remains": "1000",
        "currency": "USD",
    }
    assert answer(client, "cancel", orders=pending)[0]["cancel"] == {
        "error": "Order not eligible for cancel."
    }


def test_the_older_single_cancel_form(client):
    wire_id = place(client)

    assert answer(client, "cancel", order=wire_id) == {"cancel": "1"}
    assert answer(client, "cancel", order=wire_id) == {"error": "Order not eligible for cancel."}


def test_refill_of_a_finished_likes_order_and_its_status(client):
    likes, views, running = (
        place(client, service=LIKES),
        place(client),
        place(client, service=LIKES),
    )
    fake_panels.age_order(order(likes), 30)
    fake_panels.age_order(order(views), 30)

    single = answer(client, "refill", order=likes)
    multi = answer(client, "refill", orders=f"{likes},{views},{running},5")

    refill_id = single["refill"]
    assert refill_id.isdigit()
    assert multi[0]["order"] == int(likes) and isinstance(multi[0]["refill"], int)
    assert multi[1:] == [
        {"order": int(views), "refill": {"error": "Order not eligible for refill."}},
        {"order": int(running), "refill": {"error": "Order not eligible for refill."}},
        {"order": 5, "refill": {"error": "Incorrect order ID"}},
    ]
    assert answer(client, "refill_status", refill=refill_id) == {"status": "Pending"}
    refill = SmmPanelRefill.objects.get(pk=int(refill_id) - SmmPanelRefill.ID_BASE)
    fake_panels.age_refill(refill, 60)
    assert answer(client, "refill_status", refills=f"{refill_id},3") == [
        {"refill": int(refill_id), "status": "Completed"},
        {"refill": 3, "status": {"error": "Refill not found"}},
    ]
    assert answer(client, "refill_status", refill="3") == {"error": "Refill not found"}


# --- failures staff switch on ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "error"),
    [("invalid_service", "Incorrect service ID"), ("no_funds", "Not enough funds on balance")],
)
def test_failure_modes_that_refuse_an_add(client, smm_panel, mode, error):
    smm_panel(failure_mode=mode)

    assert answer(client, "add", service=VIEWS, link=LINK, quantity=100) == {"error": error}
    assert answer(client, "balance")["balance"] == "50.00000"  # other actions still answer
    assert not SmmPanelOrder.objects.exists()
    assert api_calls("smm.plugsmms.add")[0].injected == mode


def test_rate_limit_answers_429_with_retry_after(client, smm_panel):
    smm_panel(failure_mode="rate_limit")

    response = call(client, "add", service=VIEWS, link=LINK, quantity=100)

    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert response.json() == {"error": "Too many requests"}
    assert answer(client, "balance")["currency"] == "USD"


def test_server_error_fails_adds_and_down_fails_everything(client, smm_panel):
    smm_panel(failure_mode="server_error")
    failed_add = call(client, "add", service=VIEWS, link=LINK, quantity=100)
    balance_while_failing = call(client, "balance")
    smm_panel(failure_mode="down")
    down = [call(client, action).status_code for action in ("balance", "services", "status")]

    assert failed_add.status_code == 503
    assert balance_while_failing.status_code == 200
    assert down == [503, 503, 503]
    assert not SmmPanelOrder.objects.exists()


def test_invalid_key_mode_refuses_every_action_even_with_the_right_key(client, smm_panel):
    smm_panel(failure_mode="invalid_key")

    assert answer(client, "balance") == {"error": "Invalid API key"}
    assert answer(client, "services") == {"error": "Invalid API key"}


def test_timeout_stores_and_charges_the_order_before_holding_the_answer(client, smm_panel):
    smm_panel(failure_mode="timeout", timeout_seconds=0.3)

    started = time.monotonic()
    body = answer(client, "add", service=LIKES, link=LINK, quantity=100)

    assert time.monotonic() - started >= 0.3
    assert order(str(body["order"])).charge == Decimal("0.10")
    assert balance() == Decimal("49.90")


def test_latency_is_slept_before_every_answer(client, smm_panel):
    smm_panel(latency_ms=150)

    started = time.monotonic()
    answer(client, "balance")

    assert time.monotonic() - started >= 0.15


def test_an_injected_malformed_answer_to_add_comes_after_the_order_is_stored(client):
    inject_failure("smm.plugsmms.add", "malformed_json")

    response = call(client, "add", service=VIEWS, link=LINK, quantity=100)

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert SmmPanelOrder.objects.count() == 1


def test_calls_are_logged_without_the_key(client):
    place(client)

    logged = api_calls("smm.plugsmms.add")

    assert len(logged) == 1
    assert logged[0].params == {
        "action": "add",
        "service": str(VIEWS),
        "link": LINK,
        "quantity": "1000",
    }
    assert settings.SANDBOX_SMM_API_KEY not in str(logged[0].params)


def test_the_panel_answers_404_when_the_sandbox_is_off(client):
    with override_settings(SANDBOX=False):
        assert call(client, "balance").status_code == 404


def test_staff_settings_are_checked(smm_panel):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        smm_panel(failure_mode="struck_by_lightning")
    with pytest.raises(ValidationError):
        smm_panel(seconds_to_start=30, seconds_to_complete=10)


# --- admin -----------------------------------------------------------------------------------


def test_staff_switch_a_panel_off_from_the_panel_list(client, superuser):
    panels = list(SmmPanel.objects.order_by("name"))
    form = {
        "form-TOTAL_FORMS": str(len(panels)),
        "form-INITIAL_FORMS": str(len(panels)),
        "_save": "Save",
    }
    for index, panel in enumerate(panels):
        form |= {
            f"form-{index}-id": str(panel.pk),
            f"form-{index}-balance": str(panel.balance),
            f"form-{index}-failure_mode": "down" if panel.name == "smmflare" else "",
            f"form-{index}-latency_ms": "150",
            f"form-{index}-partial_percent": "0",
        }
    client.force_login(superuser)

    response = client.post(reverse("admin:sandbox_smmpanel_changelist"), form)

    assert response.status_code == 302
    assert SmmPanel.objects.get(name="smmflare").failure_mode == "down"
    assert set(SmmPanel.objects.values_list("latency_ms", flat=True)) == {150}


def test_the_admin_pages_answer(client, superuser):
    wire_id = place(client, service=LIKES)
    fake_panels.age_order(order(wire_id), 30)
    refill_id = answer(client, "refill", order=wire_id)["refill"]
    client.force_login(superuser)
    panel = SmmPanel.objects.get(name="plugsmms")
    pages = [
        reverse("admin:sandbox_smmpanel_changelist"),
        reverse("admin:sandbox_smmpanel_change", args=[panel.pk]),
        reverse("admin:sandbox_smmpanelorder_changelist"),
        reverse("admin:sandbox_smmpanelorder_changelist") + f"?q={wire_id}",
        reverse("admin:sandbox_smmpanelorder_change", args=[order(wire_id).pk]),
        reverse("admin:sandbox_smmpanelrefill_changelist") + f"?q={refill_id}",
    ]

    answers = [client.get(page) for page in pages]

    assert [page.status_code for page in answers] == [200] * len(pages)
    assert "Completed" in answers[3].content.decode()
    assert client.get(reverse("admin:sandbox_smmpanelorder_add")).status_code == 403
