"""Admin login attempts are limited per username and per client IP."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from tests.factories import STAFF_PASSWORD, StaffUserFactory

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]


def attempt(client, username, password, ip="203.0.113.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


@override_settings(ADMIN_LOGIN_RATE_PER_USERNAME="5/12h", ADMIN_LOGIN_RATE_PER_IP="100/12h")
def test_sixth_attempt_on_a_username_is_refused_even_with_the_right_password(client):
    staff = StaffUserFactory()
    for _ in range(5):
        assert attempt(client, staff.username, "wrong").status_code == 200
    response = attempt(client, staff.username, STAFF_PASSWORD)
    assert response.status_code == 429
    assert "Too many login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(ADMIN_LOGIN_RATE_PER_USERNAME="5/12h", ADMIN_LOGIN_RATE_PER_IP="100/12h")
def test_username_limit_ignores_case_and_spaces(client):
    StaffUserFactory(username="alice")
    for variant in ["alice", "ALICE", " Alice ", "alicE", "alice"]:
        attempt(client, variant, "wrong")
    assert attempt(client, "alice", STAFF_PASSWORD).status_code == 429


@override_settings(ADMIN_LOGIN_RATE_PER_USERNAME="100/12h", ADMIN_LOGIN_RATE_PER_IP="3/12h")
def test_one_ip_trying_many_usernames_is_refused(client):
    for number in range(3):
        attempt(client, f"guess{number}", "wrong", ip="198.51.100.9")
    assert attempt(client, "guess9", "wrong", ip="198.51.100.9").status_code == 429
    assert attempt(client, "guess9", "wrong", ip="198.51.100.10").status_code == 200


@override_settings(ADMIN_LOGIN_RATE_PER_USERNAME="2/12h", ADMIN_LOGIN_RATE_PER_IP="2/12h")
def test_successful_logins_do_not_count_towards_the_limit(client):
    staff = StaffUserFactory()
    for _ in range(4):
        assert attempt(client, staff.username, STAFF_PASSWORD).status_code == 302
        client.logout()


@pytest.mark.redis
@pytest.mark.postgres
def test_failures_in_another_process_lock_the_username_here(client):
    """Two gunicorn workers share the counters through Redis."""
    staff = StaffUserFactory(username="shared-victim")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "viralcore.settings_test",
        "DATABASE_URL": _test_database_url(),
        "ADMIN_LOGIN_RATE_PER_USERNAME": "5/12h",
    }
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "c = Client();"
        "codes = [c.post('/admin/login/', {'username': 'shared-victim', 'password': 'x'},"
        " REMOTE_ADDR='192.0.2.1').status_code for _ in range(5)];"
        "print(codes)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[200, 200, 200, 200, 200]"
    with override_settings(ADMIN_LOGIN_RATE_PER_USERNAME="5/12h"):
        assert attempt(client, staff.username, STAFF_PASSWORD).status_code == 429


def _test_database_url() -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"
