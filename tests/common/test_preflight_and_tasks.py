import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from apps.common.tasks import HEARTBEAT_CACHE_KEY, heartbeat

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_preflight_passes_when_database_and_broker_answer():
    output = StringIO()
    call_command("preflight", stdout=output)
    assert "reachable" in output.getvalue()


def test_preflight_names_an_unreachable_database_without_its_password():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "viralcore.settings",
        "DATABASE_URL": "postgres://app:pw-never-shown@127.0.0.1:1/viralcore",
        "CELERY_BROKER_URL": "redis://:broker-pw@127.0.0.1:1/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "preflight"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "database at 127.0.0.1 is unreachable" in result.stderr
    assert "Celery broker is unreachable" in result.stderr
    assert "pw-never-shown" not in result.stderr and "broker-pw" not in result.stderr
    assert "Traceback" not in result.stderr


def test_heartbeat_records_when_the_worker_last_ran():
    stamp = heartbeat.apply().get()
    assert cache.get(HEARTBEAT_CACHE_KEY) == stamp
