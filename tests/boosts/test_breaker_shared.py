"""One breaker per provider for the whole fleet: failures seen by one process stop the others."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from apps.boosts.clients.smm import smm_breaker
from apps.boosts.models import PhaseStatus
from tests.boosts.dispatch_helpers import dispatch_once, make_order
from tests.boosts.fake_panels import fake_orders

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# Another Python process: five adds against the failing panel through the real client.
FAIL_FIVE_TIMES = textwrap.dedent(
    """
    import django, sys
    django.setup()
    from apps.boosts.clients.smm import SmmError, build_smm_client
    client = build_smm_client(name="plugsmms", api_url=sys.argv[1], api_key_env="SMM_UNSET_KEY")
    for _ in range(5):
        try:
            client.add(service=6073, link="https://x.com/a/status/1", quantity=100)
        except SmmError as error:
            print(error.kind)
    """
)
READ_STATE = textwrap.dedent(
    """
    import django, sys, time
    django.setup()
    from apps.boosts.clients.smm import smm_breaker
    breaker = smm_breaker("plugsmms")
    breaker.clock = lambda: time.time() + float(sys.argv[1])
    print(breaker.state())
    """
)


def _other_process(script: str, *args: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "viralcore.settings_test"}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split()


def test_failures_in_another_process_open_the_breaker_here_and_it_half_opens_after_60s(
    smm_panel, smm_provider
):
    smm_panel("plugsmms", failure_mode="server_error")
    smm_panel("smmflare")
    first = smm_provider("plugsmms", priority=1)
    smm_provider("smmflare", priority=2)

    assert _other_process(FAIL_FIVE_TIMES, first.api_url) == ["transient"] * 5

    breaker = smm_breaker("plugsmms")
    assert breaker.state() == "open"
    assert _other_process(READ_STATE, "45") == ["open"]
    assert _other_process(READ_STATE, "61") == ["half_open"]
    breaker.clock = lambda: time.time() + 61
    assert breaker.state() == "half_open"

    # Here, the open breaker sends the phase to the next provider with no call to the first.
    smm_panel("plugsmms", failure_mode="")
    order = make_order(provider=first, phases=[(100, 0)])
    dispatch_once()
    assert order.phases.get().status == PhaseStatus.PLACED
    assert fake_orders("plugsmms") == []
    assert len(fake_orders("smmflare")) == 1
