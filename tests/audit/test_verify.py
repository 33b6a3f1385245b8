"""`manage.py audit_verify` finds the first edited, deleted or reordered event."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from apps.audit.actors import Actor
from apps.audit.services import record_event

pytestmark = pytest.mark.django_db


def record_events(count):
    with transaction.atomic():
        return [
            record_event(
                actor=Actor.system("tests"),
                action="thing.happened",
                object_type="thing",
                object_id=number,
                after={"amount": f"{number}.00"},
            )
            for number in range(1, count + 1)
        ]


def behind_the_triggers_back(sql, params=()):
    """Change the table as a superuser could: with ordinary triggers switched off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def verify():
    output = StringIO()
    call_command("audit_verify", stdout=output)
    return output.getvalue()


def test_an_intact_log_verifies():
    record_events(5)
    assert "Audit chain intact: 5 events verified." in verify()


def test_an_edited_value_is_reported_at_that_event():
    record_events(5)
    behind_the_triggers_back(
        "UPDATE audit_auditevent SET after = %s WHERE sequence = 3", ['{"amount": "999.00"}']
    )
    with pytest.raises(CommandError, match=r"after 2 good events: event #3: edited"):
        verify()


def test_a_deleted_event_is_reported_as_missing():
    record_events(5)
    behind_the_triggers_back(
        "DELETE FROM audit_auditsearchterm WHERE event_id IN "
        "(SELECT id FROM audit_auditevent WHERE sequence = 2)"
    )
    behind_the_triggers_back("DELETE FROM audit_auditevent WHERE sequence = 2")
    with pytest.raises(CommandError, match=r"event #2: missing"):
        verify()


def test_a_deleted_last_event_is_caught_by_the_chain_head():
    record_events(3)
    behind_the_triggers_back("DELETE FROM audit_auditsearchterm")
    behind_the_triggers_back("DELETE FROM audit_auditevent WHERE sequence = 3")
    with pytest.raises(CommandError, match=r"chain head records #3 but the log ends at #2"):
        verify()


def test_swapped_events_are_reported_as_reordered():
    record_events(4)
    behind_the_triggers_back("UPDATE audit_auditevent SET sequence = -2 WHERE sequence = 2")
    behind_the_triggers_back("UPDATE audit_auditevent SET sequence = 2 WHERE sequence = 3")
    behind_the_triggers_back("UPDATE audit_auditevent SET sequence = 3 WHERE sequence = -2")
    with pytest.raises(CommandError, match=r"event #2: reordered"):
        verify()


def test_a_rewritten_hash_breaks_the_link_to_the_next_event():
    record_events(4)
    behind_the_triggers_back(
        "UPDATE audit_auditevent SET action = 'thing.hidden', hash = %s WHERE sequence = 2",
        ["f" * 64],
    )
    with pytest.raises(CommandError, match=r"event #2: edited"):
        verify()
