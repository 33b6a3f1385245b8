"""The audit log in the admin: read-only for everyone, exact search, filters, a fast changelist."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.audit.services import record_event
from apps.common.correlation import correlation_scope
from tests.factories import BotUserFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:audit_auditevent_changelist"
PERSONAS = ["support_agent", "finance_clerk", "second_approver", "superuser"]
TX_HASH = "0x" + "ab12" * 16


def record(at=None, **fields):
    """One event through the real service, at AT (an aware datetime) when given."""
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


def changelist(client, **params):
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return response


def shown_actions(response) -> set[str]:
    # Staff fixtures record events of their own (staff.role_changed): tests look past them.
    return {
        event.action
        for event in response.context["cl"].result_list
        if not event.action.startswith("staff.")
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- who sees what ---


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_role_reads_the_audit_log_newest_first(persona, request, client):
    client.force_login(request.getfixturevalue(persona))
    record(action="first.happened", reason="the oldest")
    record(action="second.happened", reason="the newest")
    response = changelist(client)
    sequences = [event.sequence for event in response.context["cl"].result_list]
    assert sequences == sorted(sequences, reverse=True)
    body = response.content.decode()
    assert "second.happened" in body
    assert "the oldest" in body


def test_support_finds_the_audit_log_on_the_admin_index(support_agent, client):
    client.force_login(support_agent)
    assert reverse(CHANGELIST) in client.get(reverse("admin:index")).content.decode()


def test_staff_without_the_view_permission_cannot_open_the_audit_log(client):
    client.force_login(StaffUserFactory())
    assert client.get(reverse(CHANGELIST)).status_code == 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_nobody_adds_changes_or_deletes_audit_events(persona, request, client):
    client.force_login(request.getfixturevalue(persona))
    event = record(reason="original")
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert 'name="_save"' not in client.get(change_url).content.decode()
    assert client.post(change_url, {"reason": "rewritten"}).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.reason == "original"


def test_change_page_shows_every_field_with_pretty_json_and_hashes(support_agent, client):
    client.force_login(support_agent)
    event = record(
        action="withdrawal.approved",
        before={"status": "requested"},
        after={"status": "approved", "tx_hash": TX_HASH},
        reason="checked bank details",
    )
    page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert '<pre class="audit-json">{\n  &quot;status&quot;: &quot;approved&quot;' in body
    assert TX_HASH in body
    for value in (event.hash, event.prev_hash, "checked bank details", "withdrawal.approved"):
        assert value in body


# --- search: exact keys through AuditSearchTerm ---


@pytest.fixture
def searchable_events():
    ada = BotUserFactory(telegram_id=5123456789, username="ada")
    record(actor=ada, action="plan.purchased", object_type="order", object_id=9001)
    with correlation_scope("req-7f3a9c"):
        record(action="payout.sent", after={"payout": {"tx_hash": TX_HASH}})
    record(action="noise.happened", object_id=42)


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("5123456789", "plan.purchased"),  # the bot user's Telegram id
        ("@ada", "plan.purchased"),
        ("ADA", "plan.purchased"),
        ("9001", "plan.purchased"),  # the object id
        (TX_HASH, "payout.sent"),  # a tx hash nested inside `after`
        ("req-7f3a9c", "payout.sent"),  # the correlation id
    ],
)
def test_search_finds_events_by_exact_key(search, found, searchable_events, support_agent, client):
    client.force_login(support_agent)
    assert shown_actions(changelist(client, q=search)) == {found}


@pytest.mark.parametrize("substring", ["5123456", "ad", TX_HASH[:20], "req-7f3"])
def test_search_does_not_match_a_substring(substring, searchable_events, support_agent, client):
    client.force_login(support_agent)
    assert shown_actions(changelist(client, q=substring)) == set()


def test_search_never_scans_events_with_like(searchable_events, support_agent, client):
    client.force_login(support_agent)
    with CaptureQueriesContext(transaction.get_connection()) as queries:
        changelist(client, q="@ada")
    assert not [query["sql"] for query in queries if " LIKE " in query["sql"].upper()]


def test_too_short_a_search_says_why_and_shows_nothing(searchable_events, support_agent, client):
    client.force_login(support_agent)
    response = changelist(client, q="ab")
    assert shown_actions(response) == set()
    assert any("at least 3 characters" in text for text in messages_of(response))


# --- sidebar filters ---


def test_sidebar_filters_narrow_by_action_actor_type_and_object_type(support_agent, client):
    client.force_login(support_agent)
    record(action="withdrawal.approved", actor=support_agent, object_type="withdrawal")
    record(action="withdrawal.rejected", actor=support_agent, object_type="withdrawal")
    record(action="plan.purchased", object_type="order")
    assert shown_actions(changelist(client, action="withdrawal.approved")) == {
        "withdrawal.approved"
    }
    assert shown_actions(changelist(client, actor_type="staff")) == {
        "withdrawal.approved",
        "withdrawal.rejected",
    }
    assert shown_actions(changelist(client, object_type="order")) == {"plan.purchased"}


def test_date_range_keeps_events_of_the_given_days_inclusive(support_agent, client):
    client.force_login(support_agent)
    record(action="before.range", at=datetime(2026, 3, 9, 23, 59, tzinfo=UTC))
    record(action="first.day", at=datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    record(action="last.day", at=datetime(2026, 3, 12, 23, 59, tzinfo=UTC))
    record(action="after.range", at=datetime(2026, 3, 13, 0, 0, tzinfo=UTC))
    response = changelist(client, occurred_from="2026-03-10", occurred_to="2026-03-12")
    assert shown_actions(response) == {"first.day", "last.day"}
    assert messages_of(response) == []
    assert shown_actions(changelist(client, occurred_from="2026-03-12")) == {
        "last.day",
        "after.range",
    }
    assert shown_actions(changelist(client, occurred_to="2026-03-09T23:59:00Z")) == {"before.range"}


@pytest.mark.parametrize(
    ("params", "complaint"),
    [
        ({"occurred_from": "10/03/2026"}, "occurred_from must be an ISO date"),
        ({"occurred_to": "2026-02-30"}, "occurred_to must be an ISO date"),
        (
            {"occurred_from": "2026-03-12", "occurred_to": "2026-03-10"},
            "occurred_from must not be after occurred_to",
        ),
    ],
)
def test_bad_dates_show_a_message_and_filter_nothing(params, complaint, support_agent, client):
    client.force_login(support_agent)
    record(action="early.event", at=datetime(2026, 1, 1, tzinfo=UTC))
    record(action="late.event", at=datetime(2026, 6, 1, tzinfo=UTC))
    response = changelist(client, **params)
    assert shown_actions(response) == {"early.event", "late.event"}
    [message] = messages_of(response)
    assert message.startswith("The date filter was not applied: ")
    assert complaint in message


# --- a million events: bounded queries, no unbounded COUNT ---


def bulk_events(count: int) -> None:
    # Only the admin page is under test here: rows go in directly, with made-up hashes, since
    # recording 10,000 events one at a time through the hash chain would dominate the suite.
    now = timezone.now()
    # After the events the staff fixtures recorded; the chain head is not kept in step.
    first = (AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0) + 1
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(
                sequence=number,
                occurred_at=now,
                actor_type="system",
                actor_label="bulk",
                action=f"bulk.kind_{number % 5}",
                object_type="thing",
                object_id=str(number),
                reason="bulk row",
                prev_hash=f"{number - 1:064x}",
                hash=f"{number:064x}",
            )
            for number in range(first, first + count)
        ),
        batch_size=2000,
    )


def test_changelist_of_ten_thousand_events_runs_few_queries_and_no_unbounded_count(
    support_agent, client, django_assert_max_num_queries
):
    bulk_events(10_001)
    client.force_login(support_agent)
    # Session, user, two permission lookups, the two sidebar DISTINCTs (cached after this first
    # view), the capped count and the page's rows.
    with django_assert_max_num_queries(8) as queries:
        response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    assert counts, "the changelist counts its rows, capped"
    assert all("LIMIT" in sql.upper() for sql in counts), counts
    assert "10,000+ audit events" in response.content.decode()
