"""The correlation id: one id per request or task, carried into Celery and every log line.

Support staff paste it into the audit search to find everything one request did, so it must
follow the work across processes: the middleware sets it, Celery carries it in a message header
(see celery_correlation.py) and the logging filter stamps it on each record.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Request-ID"
MAX_LENGTH = 128
# Ids from load balancers and tracing systems: UUIDs, hex, AWS "Root=1-..." and the like.
VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:=;/+-]*$")

_current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class InvalidCorrelationId(ValueError):
    """A caller sent an X-Request-ID we will not carry into logs and audit events."""


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def validate_correlation_id(value: str) -> str:
    if len(value) > MAX_LENGTH:
        raise InvalidCorrelationId(f"{HEADER} must be at most {MAX_LENGTH} characters.")
    if not VALID_ID.match(value):
        raise InvalidCorrelationId(
            f"{HEADER} may contain only letters, digits and . _ : = ; / + - characters."
        )
    return value


def get_correlation_id() -> str | None:
    return _current.get()


@contextmanager
def correlation_scope(correlation_id: str | None = None) -> Iterator[str]:
    """Run a block under CORRELATION_ID (a new one when None); the previous id comes back after."""
    value = correlation_id or new_correlation_id()
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def set_correlation_id(value: str | None):
    """Set the id for the current context; returns a token for reset_correlation_id."""
    return _current.set(value)


def reset_correlation_id(token) -> None:
    _current.reset(token)


def clear_correlation_id(**kwargs) -> None:
    """Forget the current id (a request_finished receiver, hence **kwargs)."""
    _current.set(None)
