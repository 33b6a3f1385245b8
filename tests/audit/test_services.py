"""Recording audit events: who, what, when, in the caller's transaction, chained."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from apps.audit.actors import Actor, as_actor
from apps.audit.chain import GENESIS_HASH
from apps.audit.models import AuditEvent, AuditSearchTerm
from apps.audit.services import AuditError, record_event
from apps.audit.verify import verify_chain
from apps.common.correlation import correlation_scope
from apps.common.db.models import AppendOnlyError
from tests.factories import BotUserFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def record(**overrides):
    fields = dict(
        actor=Actor.system("tests"), action="thing.happened", object_type="thing", object_id=1
    )
    with transaction.atomic():
        return record_event(**{**fields, **overrides})


def test_an_event_names_its_actor_request_and_change():
    staff = StaffUserFactory(username="clerk")
    with correlation_scope("req-77"):
        event = record(
            actor=staff,
            action="withdrawal.approved",
            object_type="withdrawal",
            object_id=12,
            before={"status": "requested"},
            after={"status": "approved", "amount": Decimal("150.00")},
            reason="checked bank details",
        )
    event.refresh_from_db()
    assert (event.actor_type, event.actor_id, event.actor_label) == (
        "staff",
        str(staff.pk),
        "clerk",
    )
    assert event.correlation_id == "req-77"
    assert event.after == {"status": "approved", "amount": "150.00"}
    assert event.reason == "checked bank details"


def test_a_bot_user_actor_is_named_by_telegram_id_and_handle():
    actor = as_actor(BotUserFactory(telegram_id=5123456789, username="ada"))
    assert (actor.type, actor.id, actor.label) == ("bot_user", "5123456789", "@ada")


def test_every_change_must_name_an_actor():
    with pytest.raises(TypeError, match="names its actor"):
        record(actor=None)
    with pytest.raises(ValueError, match="needs the name of the job"):
        Actor.system("")
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("action", ["approved", "Withdrawal.Approved", "withdrawal approved", ""])
def test_an_action_must_be_a_dotted_lower_case_name(action):
    with pytest.raises(AuditError, match="dotted name"):
        record(action=action)
    assert AuditEvent.objects.count() == 0


def test_events_chain_each_to_the_one_before():
    first, second = record(), record()
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert (first.sequence, second.sequence) == (1, 2)
    assert verify_chain().ok


def test_an_event_is_rolled_back_with_the_change_it_describes():
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(actor=Actor.system("tests"), action="thing.failed", object_type="thing")
        raise RuntimeError("the change failed after the event was written")
    assert AuditEvent.objects.count() == 0
    assert record().sequence == 1
    assert verify_chain().ok


def test_events_are_indexed_by_ids_usernames_and_values():
    bot_user = BotUserFactory(telegram_id=5123456789, username="Ada_Boosts")
    tx_hash = "0x" + "AB" * 32
    event = record(actor=bot_user, after={"tx_hash": tx_hash, "nested": [{"ref": "VC-WD-9"}]})
    terms = set(AuditSearchTerm.objects.filter(event=event).values_list("term", flat=True))
    assert {"5123456789", "ada_boosts", tx_hash.lower(), "vc-wd-9"} <= terms


def test_events_can_be_neither_edited_nor_deleted_through_the_orm():
    event = record()
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET reason = 'rewritten'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent CASCADE",
    ],
)
def test_postgres_refuses_update_delete_and_truncate_on_the_audit_table(statement):
    from django.db.utils import IntegrityError, InternalError

    record()
    refused = pytest.raises((IntegrityError, InternalError), match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        # Fire the deferred foreign-key checks first, or TRUNCATE refuses for that reason.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)
    assert AuditEvent.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_unbroken_chain():
    errors = []

    def writer(number):
        try:
            for round_number in range(10):
                record(object_id=f"{number}-{round_number}")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify_chain()
    assert report.ok, report.problem
    assert report.events_checked == 80
