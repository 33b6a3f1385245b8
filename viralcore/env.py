"""Strict parsing of configuration from environment variables.

Every reader names the variable in its error, so a bad deployment stops at start-up with a
message an operator can act on, instead of running with a silently wrong value. Secrets may be
given as ``<NAME>_FILE`` (a path whose content is the value), the way container platforms mount
them. Error messages never echo a value: it might be a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
HOST_PATTERN = re.compile(r"^(\*|\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])$")


class ConfigError(ImproperlyConfigured):
    """A configuration value is missing or malformed. The message names the variable."""


class Env:
    """Reads typed values from a mapping of environment variables (``os.environ`` by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def raw(self, name: str) -> str | None:
        """The value of NAME, or the content of the file named by NAME_FILE; None when unset."""
        file_name = f"{name}_FILE"
        direct = self.environ.get(name)
        path = self.environ.get(file_name)
        if direct is not None and path is not None:
            raise ConfigError(f"Set either {name} or {file_name}, not both.")
        if path is None:
            return direct
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(
                f"{file_name} names a file that cannot be read ({error.strerror})."
            ) from None

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name)
        if value is None or value == "":
            return default
        return value

    def bool(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None or value.strip() == "":
            return default
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConfigError(f"{name} must be one of true/false, yes/no, on/off, 1/0.")

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.raw(name)
        if value is None or value.strip() == "":
            return default
        try:
            number = int(value.strip(), 10)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number.") from None
        if minimum is not None and number < minimum:
            raise ConfigError(f"{name} must be at least {minimum}.")
        return number

    def decimal(
        self, name: str, default: str | None, *, minimum: str | None = None
    ) -> Decimal | None:
        """A decimal number (money, percentages), parsed exactly: never through float."""
        value = self.raw(name)
        if value is None or value.strip() == "":
            return Decimal(default) if default is not None else None
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ConfigError(f"{name} must be a decimal number such as 0.50.") from None
        if not number.is_finite():
            raise ConfigError(f"{name} must be a finite decimal number.")
        if minimum is not None and number < Decimal(minimum):
            raise ConfigError(f"{name} must be at least {minimum}.")
        return number

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.str(name, default)
        if value not in choices:
            raise ConfigError(f"{name} must be one of: {', '.join(choices)}.")
        return value

    def time_of_day(self, name: str, default: str) -> tuple[int, int]:
        """ "HH:MM" (24-hour clock) as (hour, minute)."""
        value = self.str(name, default)
        hours, _, minutes = value.partition(":")
        if not (len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
            raise ConfigError(f"{name} must be a time of day such as 12:00.")
        if int(hours) > 23 or int(minutes) > 59:
            raise ConfigError(f"{name} must be a time of day such as 12:00.")
        return int(hours), int(minutes)

    def hosts(self, name: str, default: list[str]) -> list[str]:
        """A comma-separated list of host names, as ALLOWED_HOSTS expects."""
        value = self.raw(name)
        if value is None or value.strip() == "":
            return list(default)
        hosts = [part.strip() for part in value.split(",") if part.strip()]
        bad = [host for host in hosts if not HOST_PATTERN.match(host)]
        if bad or not hosts:
            raise ConfigError(f"{name} must be a comma-separated list of host names.")
        return hosts

    def url(self, name: str, schemes: tuple[str, ...], default: str | None = None) -> str | None:
        """A URL whose scheme is one of SCHEMES; the message never repeats the URL (passwords)."""
        value = self.str(name, default)
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise ConfigError(f"{name} is not a valid URL.") from None
        if parts.scheme not in schemes:
            raise ConfigError(f"{name} must be a URL starting with one of: {', '.join(schemes)}.")
        return value
