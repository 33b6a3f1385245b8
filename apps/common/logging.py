"""Logging filters: the correlation id on every record, and secrets removed before output.

Redaction is by shape where a shape is unambiguous (a Telegram bot token, a Flutterwave key, a
bearer header, a PEM private key) and by label where it is not: a 0x-prefixed 64-hex private key
looks exactly like a transaction hash and a 10-digit NUBAN like a Telegram id, so those are only
removed when a label (``private_key=``, ``"account_number": ...``) says what they are. That keeps
tx hashes, Telegram ids and references readable for support staff.
"""

from __future__ import annotations

import logging
import re

from apps.common.correlation import get_correlation_id

REDACTED = "[REDACTED]"
NO_CORRELATION_ID = "-"

# Words that make the value after them secret, in "word=value", "word: value", '"word": "value"'.
SENSITIVE_LABELS = (
    r"password|passwd|secret(?:_key)?|api[_-]?key|access[_-]?token|refresh[_-]?token|token"
    r"|private[_-]?key|seed[_-]?phrase|mnemonic|verif[_-]?hash|authorization"
    r"|x-telegram-bot-api-secret-token|encryption[_-]?key|client[_-]?secret"
)

SHAPED_SECRETS = (
    # Telegram bot token: <bot id>:<35 characters>, alone or inside an api.telegram.org/bot URL.
    re.compile(r"(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}"),
    # Flutterwave secret/public/encryption keys.
    re.compile(r"FLW(?:SECK|PUBK)(?:_TEST)?-[A-Za-z0-9]+(?:-X)?"),
    re.compile(r"FLWSECK_TEST[A-Za-z0-9]+"),
    # Bearer and Basic credentials in headers or text.
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    # PEM private keys.
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
)

LABELLED_SECRET = re.compile(
    rf"""(?ix)
    (?P<label>["']?\b[\w-]*?(?:{SENSITIVE_LABELS})["']?\s*[:=]\s*)
    (?P<quote>["']?)
    (?P<value>(?:bearer\s+|basic\s+)?[^\s"',;&}}]+)
    """
)

# Bank account numbers stay recognisable by their last four digits only.
LABELLED_ACCOUNT_NUMBER = re.compile(
    r"""(?ix)
    (?P<label>["']?\b(?:account[_-]?number|account[_-]?no|nuban|iban)["']?\s*[:=]\s*)
    (?P<quote>["']?)
    (?P<value>\d{6,20})
    """
)


def _mask_account_number(match: re.Match) -> str:
    digits = match.group("value")
    masked = "*" * (len(digits) - 4) + digits[-4:]
    return f"{match.group('label')}{match.group('quote')}{masked}"


def _mask_labelled_secret(match: re.Match) -> str:
    return f"{match.group('label')}{match.group('quote')}{REDACTED}"


def redact(text: str) -> str:
    """TEXT with every secret we can recognise replaced; ids and tx hashes untouched."""
    for pattern in SHAPED_SECRETS:
        text = pattern.sub(_shaped_replacement, text)
    text = LABELLED_ACCOUNT_NUMBER.sub(_mask_account_number, text)
    return LABELLED_SECRET.sub(_mask_labelled_secret, text)


def _shaped_replacement(match: re.Match) -> str:
    scheme = match.group(1) if match.re.groups else None
    return f"{scheme} {REDACTED}" if scheme else REDACTED


class CorrelationIdFilter(logging.Filter):
    """Stamp ``record.correlation_id`` with the id of the request or task being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "correlation_id", None):
            record.correlation_id = get_correlation_id() or NO_CORRELATION_ID
        return True


class RedactSecretsFilter(logging.Filter):
    """Render the message, the traceback and string extras through ``redact`` before output."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            # Formatters that re-render exc_info themselves would bring the raw text back.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))
) | {"message", "asctime", "correlation_id"}
