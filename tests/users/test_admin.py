"""The admin as each staff role sees it."""

import pytest
from django.urls import reverse

from tests.factories import BotUserFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_branded_viralcore(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert "ViralCore back-office" in response.content.decode()


@pytest.mark.parametrize("persona", ["support_agent", "finance_clerk", "second_approver"])
def test_every_role_can_search_bot_users_by_telegram_id(persona, request, client):
    client.force_login(request.getfixturevalue(persona))
    wanted = BotUserFactory(username="wanted")
    BotUserFactory(username="other")
    response = client.get(reverse("admin:users_botuser_changelist"), {"q": wanted.telegram_id})
    assert response.status_code == 200
    body = response.content.decode()
    assert "@wanted" in body
    assert "@other" not in body


def test_bot_user_change_page_is_read_only(second_approver, client):
    client.force_login(second_approver)
    user = BotUserFactory(username="before")
    url = reverse("admin:users_botuser_change", args=[user.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = client.post(url, {"username": "after", "telegram_id": user.telegram_id})
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.username == "before"


def test_support_sees_bot_users_but_not_staff_accounts_or_groups(support_agent, client):
    client.force_login(support_agent)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:users_botuser_changelist") in index
    assert reverse("admin:auth_user_changelist") not in index
    assert reverse("admin:auth_group_changelist") not in index
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_support_cannot_grant_themselves_a_group(support_agent, client):
    client.force_login(support_agent)
    url = reverse("admin:auth_user_change", args=[support_agent.pk])
    assert client.post(url, {"username": support_agent.username, "groups": []}).status_code == 403


def test_superuser_manages_staff_accounts(superuser, client):
    client.force_login(superuser)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200


def test_bot_user_changelist_query_count_does_not_grow_with_rows(
    second_approver, client, django_assert_max_num_queries
):
    referrer = BotUserFactory()
    BotUserFactory.create_batch(60, referrer=referrer)
    client.force_login(second_approver)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:users_botuser_changelist"))
    assert response.status_code == 200
