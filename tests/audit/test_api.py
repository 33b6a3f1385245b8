"""The staff API over the audit log: who may call it, its filters, cursor pages, schema, docs."""

import re
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from apps.audit.actors import Actor
from apps.audit.services import record_event
from tests.factories import BotUserFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-events/"


def record(at=None, **fields):
    fields = {
        "actor": Actor.system("tests"),
        "action": "thing.happened",
        "object_type": "thing",
        "object_id": 1,
        **fields,
    }
    with (
        mock.patch.object(timezone, "now", return_value=at or timezone.now()),
        transaction.atomic(),
    ):
        return record_event(**fields)


def listed_actions(response) -> list[str]:
    assert response.status_code == 200, response.content
    # Staff fixtures record events of their own (staff.role_changed): tests look past them.
    return [
        event["action"]
        for event in response.json()["results"]
        if not event["action"].startswith("staff.")
    ]


@pytest.fixture
def support_client(support_agent, client):
    client.force_login(support_agent)
    return client


# --- who may call it ---


def test_anonymous_callers_must_authenticate(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_staff_without_the_audit_permission_are_refused(client):
    client.force_login(StaffUserFactory())
    assert client.get(URL).status_code == 403


def test_a_non_staff_account_with_the_permission_is_refused(roles, client):
    from django.contrib.auth.models import Group

    outsider = StaffUserFactory(is_staff=False)
    outsider.groups.add(Group.objects.get(name="Support"))
    client.force_login(outsider)
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("persona", ["support_agent", "finance_clerk", "second_approver"])
def test_support_and_finance_read_the_audit_log(persona, request, client):
    client.force_login(request.getfixturevalue(persona))
    record(action="withdrawal.approved")
    assert "withdrawal.approved" in listed_actions(client.get(URL))


def test_a_token_authenticates_without_a_session(support_agent, client):
    token = Token.objects.create(user=support_agent)
    record(action="withdrawal.approved")
    response = client.get(URL, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert "withdrawal.approved" in listed_actions(response)
    assert client.get(URL, HTTP_AUTHORIZATION="Token not-a-real-key").status_code == 401


# --- filters ---


def test_events_carry_every_field_newest_first(support_client):
    older = record(action="first.happened")
    newer = record(action="second.happened", after={"status": "approved"}, reason="ok")
    results = support_client.get(URL, {"action": "second.happened"}).json()["results"]
    assert results[0] == {
        "sequence": newer.sequence,
        "occurred_at": newer.occurred_at.isoformat().replace("+00:00", "Z"),
        "actor_type": "system",
        "actor_id": "",
        "actor_label": "tests",
        "action": "second.happened",
        "object_type": "thing",
        "object_id": "1",
        "before": None,
        "after": {"status": "approved"},
        "reason": "ok",
        "correlation_id": "",
        "client_ip": None,
        "prev_hash": newer.prev_hash,
        "hash": newer.hash,
    }
    assert listed_actions(support_client.get(URL)) == ["second.happened", "first.happened"]
    assert older.sequence < newer.sequence


def test_filters_by_action_actor_type_and_object_type(support_client, support_agent):
    record(action="withdrawal.approved", actor=support_agent, object_type="withdrawal")
    record(action="plan.purchased", actor=BotUserFactory(), object_type="order")
    record(action="payout.swept", object_type="withdrawal")
    assert listed_actions(support_client.get(URL, {"action": "plan.purchased"})) == [
        "plan.purchased"
    ]
    assert listed_actions(support_client.get(URL, {"actor_type": "bot_user"})) == ["plan.purchased"]
    assert listed_actions(support_client.get(URL, {"object_type": "withdrawal"})) == [
        "payout.swept",
        "withdrawal.approved",
    ]


def test_filters_by_occurred_dates_and_datetimes(support_client):
    record(action="march.ninth", at=datetime(2026, 3, 9, 12, tzinfo=UTC))
    record(action="march.tenth", at=datetime(2026, 3, 10, 12, tzinfo=UTC))
    record(action="march.eleventh", at=datetime(2026, 3, 11, 12, tzinfo=UTC))
    days = {"occurred_from": "2026-03-10", "occurred_to": "2026-03-10"}
    assert listed_actions(support_client.get(URL, days)) == ["march.tenth"]
    moments = {"occurred_from": "2026-03-09T12:00:01Z", "occurred_to": "2026-03-11T12:00:00Z"}
    assert listed_actions(support_client.get(URL, moments)) == ["march.eleventh", "march.tenth"]
    offset = {"occurred_to": "2026-03-10T13:00:00+01:00"}  # 12:00 UTC, inclusive
    assert listed_actions(support_client.get(URL, offset)) == ["march.tenth", "march.ninth"]


def test_q_matches_an_exact_search_key_only(support_client):
    ada = BotUserFactory(telegram_id=5123456789, username="ada")
    record(action="plan.purchased", actor=ada)
    record(action="payout.sent", after={"tx_hash": "0x" + "cd34" * 16})
    assert listed_actions(support_client.get(URL, {"q": "@Ada"})) == ["plan.purchased"]
    assert listed_actions(support_client.get(URL, {"q": "5123456789"})) == ["plan.purchased"]
    assert listed_actions(support_client.get(URL, {"q": "0x" + "CD34" * 16})) == ["payout.sent"]
    assert listed_actions(support_client.get(URL, {"q": "512345678"})) == []


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"action": "approved"}, "action"),
        ({"actor_type": "robot"}, "actor_type"),
        ({"object_type": "with drawal"}, "object_type"),
        ({"occurred_from": "31/01/2026"}, "occurred_from"),
        ({"occurred_to": "2026-13-01"}, "occurred_to"),
        ({"occurred_to": "2026-03-10T13:00:00 01:00"}, "occurred_to"),  # an unencoded +
        ({"occurred_from": "2026-03-11", "occurred_to": "2026-03-10"}, "occurred_from"),
        ({"q": "@ab"}, "q"),
    ],
)
def test_a_refused_filter_value_is_a_400_naming_the_parameter(params, parameter, support_client):
    response = support_client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_filter"
    assert body["parameter"] == parameter
    assert body["detail"].startswith(f"{parameter} must ")


def test_blank_and_unknown_parameters_are_ignored(support_client):
    record(action="thing.happened")
    response = support_client.get(URL, {"action": "", "colour": "blue"})
    assert "thing.happened" in listed_actions(response)


# --- cursor pagination ---


def test_cursor_pages_cover_every_event_once_newest_first(support_client):
    for number in range(7):
        record(action=f"step.number_{number}", object_type="paged")
    sequences, url, params = [], URL, {"object_type": "paged", "page_size": 3}
    while url:
        page = support_client.get(url, params).json()
        assert len(page["results"]) <= 3
        sequences += [event["sequence"] for event in page["results"]]
        url, params = page["next"], None
    assert len(sequences) == len(set(sequences)) == 7
    assert sequences == sorted(sequences, reverse=True)


def test_page_size_is_capped_at_200(support_client):
    for _ in range(200):
        record()
    # The support agent's own role change makes it at least 201 events.
    response = support_client.get(URL, {"page_size": 5000})
    assert len(response.json()["results"]) == 200
    assert response.json()["next"]


# --- schema and docs ---


def test_schema_documents_the_endpoint_and_its_filters(support_client):
    schema = support_client.get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/audit-events/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names >= {
        "action",
        "actor_type",
        "object_type",
        "occurred_from",
        "occurred_to",
        "q",
        "cursor",
        "page_size",
    }
    assert set(operation["responses"]) >= {"200", "400", "401", "403"}


def test_swagger_ui_is_served_from_our_static_files_not_a_cdn(support_client):
    response = support_client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    external = [asset for asset in assets if re.match(r"^(https?:)?//", asset)]
    assert external == []
    for asset in assets:
        served = support_client.get(asset)
        assert served.status_code == 200, asset
        # A file response streams; closing it ends the request (and its client IP context).
        served.close()
