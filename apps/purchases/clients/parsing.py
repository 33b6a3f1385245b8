"""Turning a provider answer we cannot read into a clear ProviderBadResponse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from apps.common.http.client import BODY_EXCERPT_CHARS
from apps.common.http.errors import ProviderBadResponse


class AnswerParsing:
    """For ProviderClient subclasses: name the provider and what was wrong, keep the body."""

    provider: str

    def _bad(self, what: str, body: Any) -> ProviderBadResponse:
        return ProviderBadResponse(
            f"{self.provider}: malformed answer: {what}",
            provider=self.provider,
            status_code=200,
            body=json.dumps(body, default=str)[:BODY_EXCERPT_CHARS],
        )

    @contextmanager
    def _parsing(self, what: str, body: Any) -> Iterator[None]:
        """Turn a missing field or a value of the wrong type in BODY into ProviderBadResponse."""
        try:
            yield
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            detail = f"{type(error).__name__}: {error}"
            raise self._bad(f"unexpected {what} answer ({detail})", body) from error
