"""Test settings: the same configuration as the environment gives, made fast and hermetic.

The suite runs twice in CI: with no environment (SQLite, no Redis) and with DATABASE_URL and
REDIS_URL pointing at the real services; both go through this module.
"""

from viralcore.settings import *  # noqa: F403
from viralcore.settings import DATABASES, REDIS_URL

# Hashing passwords with PBKDF2 dominates a suite that logs users in; tests need no strength.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test connects and disconnects on its own; a pool would keep connections across the
# database setup and the threads that concurrency tests start.
for _database in DATABASES.values():
    _database.get("OPTIONS", {}).pop("pool", None)
    _database["CONN_MAX_AGE"] = 0
    if _database["ENGINE"].endswith("postgresql"):
        # Same backend, plus a flush that may empty append-only tables (see its docstring).
        _database["ENGINE"] = "tests.pg_backend"

if not REDIS_URL:
    # Without Redis, tasks travel through kombu's in-memory transport inside the test process.
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
