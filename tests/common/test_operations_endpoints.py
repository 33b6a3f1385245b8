"""/health/, /ready/ and /metrics as the platform, Prometheus and an outsider see them."""

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

DEAD_REDIS = {
    "default": {
        "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
}


def test_health_answers_without_touching_the_database(client):
    # No django_db mark: any database access in the view would fail this test.
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_reports_every_dependency_ok(client):
    response = client.get("/ready/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "ok", "migrations": "ok"}


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_naming_the_database_when_it_is_down(client):
    original = dict(connection.settings_dict)
    # Set the open connection aside rather than closing it: closing the last connection to
    # SQLite's in-memory test database would destroy the database for every later test.
    kept = connection.connection
    connection.connection = None
    if connection.vendor == "postgresql":
        connection.settings_dict["PORT"] = 1
    else:
        connection.settings_dict["NAME"] = "/nonexistent/folder/viralcore.sqlite3"
    try:
        response = client.get("/ready/")
    finally:
        connection.close()
        connection.settings_dict.update(original)
        connection.connection = kept
    assert response.status_code == 503
    body = response.json()
    assert "database" in body["failed"]
    assert body["status"] == "unavailable"
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
@override_settings(CACHES=DEAD_REDIS)
def test_ready_is_503_naming_the_cache_when_redis_is_down(client):
    response = client.get("/ready/")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="redis://:s3cret-pass@127.0.0.1:1/0")
def test_ready_is_503_naming_the_broker_without_its_password(client):
    response = client.get("/ready/")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert "s3cret-pass" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_while_a_migration_is_unapplied(client):
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied("users", "0001_initial")
    try:
        response = client.get("/ready/")
    finally:
        recorder.record_applied("users", "0001_initial")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert "users.0001_initial" in body["checks"]["migrations"]


@pytest.mark.django_db
def test_metrics_answer_loopback_callers_when_no_token_is_set(client):
    client.get("/health/")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in text


@pytest.mark.django_db
def test_database_queries_are_counted_in_metrics(client):
    client.get("/ready/")
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "django_db_execute_total" in text


def test_metrics_refuse_remote_callers_when_no_token_is_set(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.50")
    assert response.status_code == 401


@override_settings(METRICS_TOKEN="metrics-token-for-tests")
@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        ("metrics-token-for-tests", 401),
        ("Bearer metrics-token-for-tests", 200),
    ],
)
def test_metrics_need_the_bearer_token_when_one_is_set(client, header, status):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    # Loopback is not enough once a token is configured.
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", **extra)
    assert response.status_code == status


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_the_api_schema_and_docs_are_for_staff_only(client, path):
    assert client.get(path).status_code in (401, 403)
