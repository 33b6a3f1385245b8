"""The admin in a real browser: Debian's Chromium driven by Selenium, never a downloaded browser.

The tests here skip, saying why, when Chromium, its driver or Selenium is missing; .ci/run
installs Debian's `chromium` and `chromium-driver` packages so they run in CI.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SKIP_REASON = (
    "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver); "
    ".ci/run installs them"
)
# Headless, no sandbox (CI runs as root in a container), and nothing that phones home.
CHROMIUM_ARGUMENTS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
)
# Seconds to wait for a page or an element before the test fails.
WAIT_SECONDS = 15


def missing_browser() -> str:
    """Why the browser tests cannot run here, or "" when they can."""
    if importlib.util.find_spec("selenium") is None:
        return f"selenium is not installed; {SKIP_REASON}"
    for needed in (CHROMIUM, CHROMEDRIVER):
        if not needed.is_file():
            return f"{needed} is missing; {SKIP_REASON}"
    return ""


@pytest.fixture
def chromium(tmp_path, monkeypatch):
    """A headless Chromium with a fresh profile, closed after the test."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Both paths are given, so Selenium Manager never runs; offline in case it ever would.
    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in CHROMIUM_ARGUMENTS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(
        options=options,
        service=Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "driver.log")),
    )
    driver.set_page_load_timeout(WAIT_SECONDS * 2)
    try:
        yield driver
    finally:
        driver.quit()
