"""The CI secret scan catches committed credentials and does not print them."""

import subprocess
import sys
from pathlib import Path

import pytest

SCANNER = Path(__file__).resolve().parents[1] / "scripts" / "scan_secrets.py"

# Assembled at run time so this file itself passes the scan.
FAKE_SECRETS = {
    "Telegram bot token": "BOT_TOKEN = '" + "712345678" + ":" + "AAF" + "q" * 32 + "'",
    "Flutterwave secret key": "key = 'FLW" + "SECK" + "-" + "ab12" * 8 + "-X'",
    "PEM private key": "-----BEGIN " + "PRIVATE KEY-----\n" + "MIIBVw" * 20 + "\n",
    "labelled private key": "private_key = '0x" + "4f" * 32 + "'",
}


def scan(*paths):
    return subprocess.run(
        [sys.executable, str(SCANNER), *map(str, paths)], capture_output=True, text=True
    )


@pytest.mark.parametrize(("kind", "content"), FAKE_SECRETS.items())
def test_a_committed_secret_fails_the_scan_without_being_printed(tmp_path, kind, content):
    leaked = tmp_path / "settings_local.py"
    leaked.write_text("# config\n" + content + "\n")
    result = scan(leaked)
    assert result.returncode == 1
    assert f"settings_local.py:2: looks like a {kind}" in result.stdout
    secret_part = content.split("'")[1] if "'" in content else content[20:60]
    assert secret_part not in result.stdout


def test_tx_hashes_and_telegram_ids_are_not_secrets(tmp_path):
    clean = tmp_path / "fixtures.py"
    clean.write_text("TX = '0x" + "ab" * 32 + "'\nTELEGRAM_ID = 5123456789\n")
    result = scan(clean)
    assert result.returncode == 0
    assert "clean (1 files)" in result.stdout


def test_the_repository_itself_is_clean():
    result = subprocess.run(
        [sys.executable, str(SCANNER), "--repo", str(SCANNER.parents[1])],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
