"""Staff give a group its job (comments, likes, admin) and its place in the comment rotation."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.bot.models import TelegramGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return TelegramGroup.objects.create(chat_id=-1009, title="Raiders", chat_type="supergroup")


def change(client, superuser, group, **fields):
    client.force_login(superuser)
    return client.post(f"/admin/bot/telegramgroup/{group.pk}/change/", fields)


def test_setting_a_groups_role_and_position_is_audited(client, superuser, group):
    response = change(client, superuser, group, role="comments", position="3")

    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.role, group.position) == ("comments", 3)
    event = AuditEvent.objects.get(action="telegram_group.role_changed")
    assert event.before == {"role": "", "position": 0}
    assert event.after == {"role": "comments", "position": 3}


def test_a_negative_position_is_refused_and_changes_nothing(client, superuser, group):
    response = change(client, superuser, group, role="comments", position="-1")

    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0" in response.content.decode()
    group.refresh_from_db()
    assert (group.role, group.position) == ("", 0)
    assert not AuditEvent.objects.filter(action="telegram_group.role_changed").exists()
