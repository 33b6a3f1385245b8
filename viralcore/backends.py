"""Turn the service URLs of the environment into Django and Celery settings.

Database and cache go through django-prometheus' backends, so query and cache metrics come for
free on /metrics (PostgreSQL through apps.common.db.postgresql, which builds django-prometheus'
cursor class once per process instead of once per connection).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from viralcore.env import ConfigError

PROMETHEUS_DB_ENGINES = {
    "django.db.backends.postgresql": "apps.common.db.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}


def database_settings(url: str, *, pool_max_size: int) -> dict:
    """DATABASES['default'] for a postgres:// or sqlite:// URL."""
    try:
        config = dj_database_url.parse(url)
    except ValueError:
        raise ConfigError("DATABASE_URL is not a PostgreSQL or SQLite URL.") from None
    engine = PROMETHEUS_DB_ENGINES.get(config["ENGINE"])
    if engine is None:
        raise ConfigError("DATABASE_URL must be a postgres:// or sqlite:// URL.")
    config["ENGINE"] = engine
    if engine.endswith("postgresql"):
        # Django's native psycopg pool: each process keeps up to pool_max_size connections and
        # hands them to requests; CONN_MAX_AGE must then stay 0 (the pool owns the lifetime).
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "pool": {"min_size": 1, "max_size": pool_max_size, "timeout": 10},
            # A database that does not answer must fail a request, not hang it.
            "connect_timeout": 5,
        }
    else:
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets the web process read while the worker writes; IMMEDIATE takes the write lock
        # at BEGIN so two writers queue instead of failing with "database is locked" mid-way.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


def cache_settings(redis_url: str | None) -> dict:
    """CACHES: Redis when configured (shared by every process), else in-process memory."""
    if redis_url:
        default = {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "viralcore",
            "OPTIONS": {
                # Fail fast: a dead Redis must make /ready/ answer 503 in time, not hang it.
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    else:
        default = {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache"}
    return {"default": default}


def broker_transport_options(broker_url: str, var_dir: Path) -> dict:
    """Celery transport options; the filesystem broker keeps its queue under var/."""
    if not broker_url.startswith("filesystem://"):
        return {}
    queue = var_dir / "celery" / "queue"
    processed = var_dir / "celery" / "processed"
    control = var_dir / "celery" / "control"
    for folder in (queue, processed, control):
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "store_processed": False,
        # Worker remote-control messages; without this kombu writes them under the cwd.
        "control_folder": str(control),
    }
