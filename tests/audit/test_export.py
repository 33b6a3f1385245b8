"""CSV export of the audit log: streamed, filtered like the changelist, guarded, itself audited."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.urls import reverse

from apps.audit.actors import Actor
from apps.audit.export import COLUMNS
from apps.audit.models import AuditEvent
from apps.audit.services import record_event
from apps.common.correlation import correlation_scope
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

EXPORT = "admin:audit_auditevent_export"
CHANGELIST = "admin:audit_auditevent_changelist"


def record(**fields):
    fields = {
        "actor": Actor.system("tests"),
        "action": "thing.happened",
        "object_type": "thing",
        "object_id": 1,
        **fields,
    }
    with transaction.atomic():
        return record_event(**fields)


def export(client, **params):
    response = client.get(reverse(EXPORT), params)
    assert response.status_code == 200
    return response


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def exported_actions(response) -> list[str]:
    return [row["action"] for row in csv_rows(response) if not row["action"].startswith("staff.")]


def viewer_without_export(*codenames):
    staff = StaffUserFactory()
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="audit", codename__in=codenames)
    )
    return staff


def test_export_streams_a_csv_file_with_every_column(support_agent, client):
    client.force_login(support_agent)
    with correlation_scope("req-export-1"):
        event = record(
            action="withdrawal.approved",
            object_type="withdrawal",
            object_id=77,
            before={"status": "requested"},
            after={"status": "approved", "amount": "150.00"},
            reason="checked bank details",
        )
    response = export(client, action="withdrawal.approved")
    assert response.streaming is True
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-events-')
    [row] = csv_rows(response)
    assert tuple(row) == COLUMNS
    assert row == {
        "sequence": str(event.sequence),
        "occurred_at": event.occurred_at.isoformat(),
        "actor_type": "system",
        "actor_id": "",
        "actor_label": "tests",
        "action": "withdrawal.approved",
        "object_type": "withdrawal",
        "object_id": "77",
        "reason": "checked bank details",
        "correlation_id": "req-export-1",
        "client_ip": "",
        "before": '{"status": "requested"}',
        "after": '{"amount": "150.00", "status": "approved"}',
        "hash": event.hash,
    }
    assert json.loads(row["after"]) == event.after


def test_export_applies_the_changelist_filters_and_search(support_agent, client):
    client.force_login(support_agent)
    record(action="payout.sent", after={"reference": "FLW-REF-0042"})
    record(action="payout.sent", after={"reference": "FLW-REF-0043"})
    record(action="payout.failed", after={"reference": "FLW-REF-0042"})
    assert exported_actions(export(client, action="payout.sent", q="flw-ref-0042")) == [
        "payout.sent"
    ]
    # The first export recorded its search, so the reference now also finds who looked it up.
    assert exported_actions(export(client, q="FLW-REF-0042")) == [
        "audit.exported",
        "payout.failed",
        "payout.sent",
    ]


def test_export_rows_come_newest_first_and_exclude_the_export_itself(support_agent, client):
    client.force_login(support_agent)
    for number in range(3):
        record(action=f"step.number_{number}")
    assert exported_actions(export(client)) == ["step.number_2", "step.number_1", "step.number_0"]


def test_changelist_links_to_the_export_with_its_querystring(support_agent, client):
    client.force_login(support_agent)
    body = client.get(reverse(CHANGELIST), {"action": "payout.sent", "q": "abc123"}).content
    assert f'href="{reverse(EXPORT)}?action=payout.sent&amp;q=abc123"' in body.decode()


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://x")', "+1+2", "-3+4", "@SUM(A1)"])
def test_cells_a_spreadsheet_would_run_get_a_leading_apostrophe(formula, support_agent, client):
    client.force_login(support_agent)
    record(action="thing.noted", reason=formula)
    [row] = csv_rows(export(client, action="thing.noted"))
    assert row["reason"] == f"'{formula}"


def test_staff_without_export_permission_get_403_and_no_export_button(client):
    viewer = viewer_without_export("view_auditevent")
    client.force_login(viewer)
    record()
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert reverse(EXPORT) not in client.get(reverse(CHANGELIST)).content.decode()
    assert client.get(reverse(EXPORT)).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse(EXPORT))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_exporting_records_who_exported_with_which_filters(support_agent, client):
    client.force_login(support_agent)
    record(action="payout.sent")
    csv_rows(export(client, action="payout.sent", occurred_from="2026-01-01", q="@ada"))
    exported = AuditEvent.objects.get(action="audit.exported")
    assert (exported.actor_type, exported.actor_id) == ("staff", str(support_agent.pk))
    assert exported.after == {
        "filters": {"action": "payout.sent", "occurred_from": "2026-01-01", "q": "@ada"}
    }


def test_a_refused_filter_exports_nothing_and_says_why(support_agent, client):
    client.force_login(support_agent)
    response = client.get(reverse(EXPORT), {"occurred_to": "yesterday"}, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse(CHANGELIST))
    messages = [str(message) for message in response.context["messages"]]
    assert any(
        message.startswith("Nothing was exported: occurred_to must be an ISO date")
        for message in messages
    )
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
