"""Every registered ModelAdmin answers its changelist and search for a superuser.

Per-app tests cover change pages and each role's view; this one catches an admin that crashes
(a bad list_display, a search field that does not exist) the day it is registered.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_changelist_and_search_answer(superuser, client, app_label, model_name):
    client.force_login(superuser)
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "12345"}).status_code == 200
