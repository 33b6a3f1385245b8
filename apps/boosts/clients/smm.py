"""SMM panel API v2 (Perfect-Panel style: plugsmms, smmflare, smmstone; external-apis.md §3).

One endpoint per panel, a form-encoded POST carrying `key` and `action`. What callers rely on:

- Every failure is an SmmError whose `kind` says what to do next: FUNDS (try another panel, alert),
  PERMANENT (this panel will never take it), RATE_LIMITED and TRANSIENT (later), BREAKER_OPEN
  (nothing was sent), UNKNOWN_OUTCOME (an `add` may have been placed: reconcile, never re-send
  blindly). An `{"error": ...}` body at any HTTP status is an error: panels answer 200 for most.
- `add` is sent once; lookups (`status`, `balance`, `services`) are retried on transient errors.
  `refill` and `cancel` are sent once: a lost answer is asked about again by the caller.
- Rate-limit answers count as failures on the breaker shared by every process (smm_breaker), so a
  panel that throttles us is left alone for a while instead of being hammered by every worker.
- The key travels only in the request body, which ProviderClient never logs; panel texts are
  scrubbed of it before they reach a message, and nothing here has a repr that shows it.
- Panels disagree on details (numbers as strings, lower-case statuses, "Unknown" remains,
  missing currency, an extra "status":"success"): the parse_* functions accept them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import partial
from typing import Any

import httpx
from django.conf import settings

from apps.common.http.breaker import CircuitBreaker
from apps.common.http.client import ProviderClient, parse_retry_after
from apps.common.http.decimal_json import loads_decimal_json
from apps.common.http.errors import (
    CircuitOpenError,
    ProviderBadResponse,
    ProviderError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from viralcore.env import ConfigError, Env

# Panels accept at most this many ids in one multi call (`orders=1,2,...`).
MAX_IDS_PER_CALL = 100
# Panel texts in our messages are cut here: enough to diagnose, short enough for a log line.
DETAIL_CHARS = 200
STATUS_NAMES = ("Pending", "In progress", "Processing", "Completed", "Partial", "Canceled")
# Status spellings seen in the wild, keyed by their lower-case, single-spaced form.
_STATUS_ALIASES = {
    **{name.lower(): name for name in STATUS_NAMES},
    "inprogress": "In progress",
    "complete": "Completed",
    "cancelled": "Canceled",
}
_TRUE_WORDS = frozenset({"1", "true", "yes"})
# Nothing reached the panel when these end a call: connecting (or waiting for a pooled
# connection) failed.
_NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


# --- error kinds -----------------------------------------------------------------------------


class SmmErrorKind(StrEnum):
    FUNDS = "funds"
    PERMANENT = "permanent"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    BREAKER_OPEN = "breaker_open"
    UNKNOWN_OUTCOME = "unknown_outcome"


# Checked in this order; the first kind with a matching (lower-case) fragment wins.
_RULES: tuple[tuple[SmmErrorKind, tuple[str, ...]], ...] = (
    (SmmErrorKind.FUNDS, ("not enough funds", "insufficient balance", "insufficient funds")),
    (SmmErrorKind.RATE_LIMITED, ("rate limit", "too many requests")),
    (
        SmmErrorKind.TRANSIENT,
        ("active order with this link", "connection refused", "could not connect"),
    ),
    (
        SmmErrorKind.PERMANENT,
        (
            "incorrect service",
            "invalid service",
            "incorrect api key",
            "invalid api key",
            "unauthorized",
            "forbidden",
            "incorrect link",
            "invalid link",
            "invalid url",
            "incorrect request",
            "quantity less than minimal",
            "quantity more than maximal",
        ),
    ),
)


def _known_kind(message: str) -> SmmErrorKind | None:
    text = message.lower()
    for kind, fragments in _RULES:
        if any(fragment in text for fragment in fragments):
            return kind
    return None


def classify(message: str) -> SmmErrorKind:
    """The kind of a panel's error text; an unknown text is TRANSIENT (worth another try later)."""
    return _known_kind(message or "") or SmmErrorKind.TRANSIENT


class SmmError(Exception):
    """A failed panel call. str() names the panel, the action and a short safe reason."""

    def __init__(
        self,
        message: str,
        *,
        kind: SmmErrorKind,
        provider: str = "",
        retry_after: float | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.provider = provider
        # Seconds the panel (or the breaker) asked us to wait, when it said so.
        self.retry_after = retry_after
        # The panel's own error text (or our reason), scrubbed and cut: fit for a status column.
        self.detail = detail

    def __reduce__(self):
        # Keyword-only arguments: without this, a pickled error (Celery, multiprocessing)
        # could not be rebuilt.
        keywords = {"kind": self.kind, "provider": self.provider}
        keywords |= {"retry_after": self.retry_after, "detail": self.detail}
        return partial(SmmError, **keywords), self.args


# --- answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmmOrderStatus:
    # One of STATUS_NAMES; "" when the panel gave no usable status (then `error` says why).
    status: str
    remains: int | None = None
    charge: Decimal | None = None
    start_count: int | None = None
    currency: str = ""
    error: str | None = None


@dataclass(frozen=True)
class SmmBalance:
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class SmmService:
    id: int
    name: str
    type: str
    category: str
    rate: Decimal  # per 1000
    min: int
    max: int
    refill: bool
    cancel: bool


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a JSON number or numeric string; None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(_text(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _int(value: Any) -> int | None:
    """An int from 157, "157", "157.0" or "-2"; None for "Unknown", "" and the like."""
    number = _decimal(value)
    return int(number) if number is not None else None


def _flag(value: Any) -> bool:
    return value is True or (not isinstance(value, bool) and _text(value).lower() in _TRUE_WORDS)


def error_text(body: Any) -> str | None:
    """The `error` of an answer like {"error": "Incorrect order ID"}; None when there is none."""
    if isinstance(body, dict) and body.get("error") not in (None, "", False):
        return _text(body["error"])
    return None


def normalise_status(raw: Any) -> str | None:
    """ "in progress", "IN_PROGRESS", "Cancelled" -> the contract's spelling; None if unknown."""
    key = " ".join(_text(raw).replace("_", " ").split()).lower()
    return _STATUS_ALIASES.get(key)


def parse_order_status(body: dict) -> SmmOrderStatus:
    """One order's entry of a `status` answer, or its per-order error."""
    problem = error_text(body)
    if problem is not None:
        return SmmOrderStatus(status="", error=problem)
    status = normalise_status(body.get("status"))
    return SmmOrderStatus(
        status=status or "",
        remains=_int(body.get("remains")),
        charge=_decimal(body.get("charge")),
        start_count=_int(body.get("start_count")),
        currency=_text(body.get("currency")),
        error=None if status else f"Unrecognised status {_text(body.get('status'))[:40]!r}",
    )


def parse_statuses(body: Any, order_ids: list[str]) -> dict[str, SmmOrderStatus]:
    """A multi `status` answer keyed by id; ids the panel left out are left out here too."""
    if not isinstance(body, dict):
        raise ValueError("a status answer that is not an object")
    if len(order_ids) == 1 and order_ids[0] not in body and normalise_status(body.get("status")):
        # A panel that answered the single form to a one-id multi request.
        return {order_ids[0]: parse_order_status(body)}
    found = {}
    for order_id in order_ids:
        entry = body.get(order_id)
        if isinstance(entry, dict):
            found[order_id] = parse_order_status(entry)
    return found


def parse_balance(body: Any) -> SmmBalance:
    amount = _decimal(body.get("balance")) if isinstance(body, dict) else None
    if amount is None:
        raise ValueError("a balance answer without a balance")
    return SmmBalance(amount=amount, currency=_text(body.get("currency")))


def parse_service(item: Any) -> SmmService | None:
    """One entry of a `services` answer; None when it has no usable id or rate."""
    if not isinstance(item, dict):
        return None
    service_id, rate = _int(item.get("service")), _decimal(item.get("rate"))
    if service_id is None or rate is None:
        return None
    return SmmService(
        id=service_id,
        name=_text(item.get("name")),
        type=_text(item.get("type")) or "Default",
        category=_text(item.get("category")),
        rate=rate,
        min=_int(item.get("min")) or 0,
        max=_int(item.get("max")) or 0,
        refill=_flag(item.get("refill")),
        cancel=_flag(item.get("cancel")),
    )


def parse_services(body: Any) -> list[SmmService]:
    if not isinstance(body, list):
        raise ValueError("a services answer that is not a list")
    return [service for service in map(parse_service, body) if service is not None]


def parse_order_id(body: Any) -> str | None:
    """The id in {"order": 23501} (or "23501"); None when the answer has no usable id."""
    value = body.get("order") if isinstance(body, dict) else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        number = _int(value)
        return str(number) if number is not None and number > 0 and number == value else None
    order_id = _text(value)
    return order_id if 0 < len(order_id) <= 64 else None


def _per_order(body: Any, order_ids: list[str], field: str) -> dict[str, Any]:
    """{id: value of FIELD} from a multi answer [{"order": 1, FIELD: ...}], or the single form."""
    if isinstance(body, dict) and len(order_ids) == 1 and field in body:
        return {order_ids[0]: body[field]}
    if not isinstance(body, list):
        raise ValueError(f"a {field} answer that is not a list")
    wanted = set(order_ids)
    found = {}
    for item in body:
        order_id = _text(item.get("order")) if isinstance(item, dict) else ""
        if order_id in wanted:
            found[order_id] = item.get(field)
    return found


# --- the client ------------------------------------------------------------------------------


class _RateLimited(ProviderRejected):
    """A 429, or a 200/4xx whose error text says "rate limit": the panel throttles us."""


def _ids(order_ids: Iterable[Any]) -> list[str]:
    unique = dict.fromkeys(_text(order_id) for order_id in order_ids)
    return [order_id for order_id in unique if order_id]


def _chunks(order_ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(order_ids), MAX_IDS_PER_CALL):
        yield order_ids[start : start + MAX_IDS_PER_CALL]


def _json_of(response: httpx.Response) -> Any:
    """The answer with fractions as Decimal (charges, rates); ValueError when it is not JSON."""
    return loads_decimal_json(response.content)


def _answered_error(response: httpx.Response) -> str | None:
    try:
        return error_text(_json_of(response))
    except ValueError:
        return None


def _nothing_sent(error: ProviderError) -> bool:
    return isinstance(error.__cause__, _NOTHING_SENT)


class SmmClient(ProviderClient):
    def __init__(
        self,
        api_url: str,
        *,
        provider_name: str,
        api_key: str,
        breaker: CircuitBreaker | None = None,
        **options: Any,
    ) -> None:
        if not api_key:
            raise SmmError(
                f"{provider_name}: no API key", kind=SmmErrorKind.PERMANENT, provider=provider_name
            )
        breaker = breaker if breaker is not None else smm_breaker(provider_name)
        super().__init__(api_url, provider_name, breaker=breaker, **options)
        # Posted to exactly: httpx would append "/" to a base URL's path, and panels' routes
        # are ".../api/v2" without one.
        self._api_url = api_url
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"<SmmClient {self.provider}>"

    # --- actions ---

    def add(self, *, service: int, link: str, quantity: int) -> str:
        """Place a Default order; the panel's order id. Sent once, whatever happens."""
        if not link or quantity < 1:
            raise ValueError("an order needs a link and a quantity of at least 1")
        body = self._call("add", idempotent=False, service=service, link=link, quantity=quantity)
        order_id = parse_order_id(body)
        if order_id is None:
            raise self._error(SmmErrorKind.UNKNOWN_OUTCOME, "add", "an answer without an order id")
        return order_id

    def status(self, order_ids: list[str]) -> dict[str, SmmOrderStatus]:
        found: dict[str, SmmOrderStatus] = {}
        for chunk in _chunks(_ids(order_ids)):
            body = self._call("status", idempotent=True, orders=",".join(chunk))
            found.update(self._parsed("status", partial(parse_statuses, order_ids=chunk), body))
        return found

    def balance(self) -> SmmBalance:
        return self._parsed("balance", parse_balance, self._call("balance", idempotent=True))

    def services(self) -> list[SmmService]:
        return self._parsed("services", parse_services, self._call("services", idempotent=True))

    def refill(self, order_ids: list[str]) -> dict[str, str | SmmError]:
        """The refill id per order, or the panel's per-order refusal as an SmmError."""
        answers = self._per_order_call("refill", order_ids)
        return {order_id: self._refill_result(value) for order_id, value in answers.items()}

    def cancel(self, order_ids: list[str]) -> dict[str, bool | str]:
        """True per canceled order, or the panel's per-order error text."""
        answers = self._per_order_call("cancel", order_ids)
        return {order_id: self._cancel_result(value) for order_id, value in answers.items()}

    # --- one call ---

    def _call(self, action: str, *, idempotent: bool, **params: Any) -> Any:
        form = {"key": self._api_key, "action": action, **params}
        try:
            response = self.request("POST", self._api_url, data=form, idempotent=idempotent)
            body = self._json(response)
        except ProviderError as error:
            raise self._translated(error, action) from error
        problem = error_text(body)
        if problem is not None:
            raise self._error(classify(problem), action, problem)
        return body

    def _json(self, response: httpx.Response) -> Any:
        try:
            return _json_of(response)
        except ValueError as exc:
            raise ProviderBadResponse(
                f"{self._where(response.request)} returned malformed JSON",
                provider=self.provider,
                status_code=response.status_code,
                body="",
            ) from exc

    def _check_status(
        self, request: httpx.Request, response: httpx.Response, number: int, attempts: int
    ) -> httpx.Response:
        """ProviderClient's checks, plus: a rate-limit answer is a failure for the breaker."""
        status = response.status_code
        if status < 500:
            problem = _answered_error(response)
            if status == 429 or (problem and _known_kind(problem) is SmmErrorKind.RATE_LIMITED):
                self.breaker.record_failure()
                raise _RateLimited(
                    f"{self._where(request)} rate limited (HTTP {status})",
                    provider=self.provider,
                    status_code=status,
                    body=problem or "",
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                )
        return super()._check_status(request, response, number, attempts)

    def _per_order_call(self, action: str, order_ids: list[str]) -> dict[str, Any]:
        """{id: the panel's value for it} of a multi refill/cancel, sent once per 100 ids."""
        answers: dict[str, Any] = {}
        for chunk in _chunks(_ids(order_ids)):
            body = self._call(action, idempotent=False, orders=",".join(chunk))
            parse = partial(_per_order, order_ids=chunk, field=action)
            answers.update(self._parsed(action, parse, body))
        return answers

    def _parsed(self, action: str, parse: Callable[[Any], Any], body: Any) -> Any:
        try:
            return parse(body)
        except (ValueError, TypeError, AttributeError):
            raise self._error(
                SmmErrorKind.TRANSIENT, action, "an answer of an unexpected shape"
            ) from None

    def _refill_result(self, value: Any) -> str | SmmError:
        problem = error_text(value)
        if problem is not None:
            return self._error(classify(problem), "refill", problem)
        refill_id = "" if isinstance(value, dict | list | bool) else _text(value)
        if not refill_id:
            return self._error(SmmErrorKind.TRANSIENT, "refill", "an answer without a refill id")
        return refill_id

    def _cancel_result(self, value: Any) -> bool | str:
        problem = error_text(value)
        if problem is not None:
            return self._scrubbed(problem)
        return True if _flag(value) else "Not canceled"

    # --- errors ---

    def _error(
        self, kind: SmmErrorKind, action: str, detail: str, retry_after: float | None = None
    ) -> SmmError:
        detail = self._scrubbed(detail)
        return SmmError(
            f"{self.provider} {action} failed ({kind}): {detail}",
            kind=kind,
            provider=self.provider,
            retry_after=retry_after,
            detail=detail,
        )

    def _scrubbed(self, text: str) -> str:
        """TEXT fit for a message: one line, the key removed (a panel may echo it), cut short."""
        text = " ".join(str(text).replace(self._api_key, "[REDACTED]").split())
        return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"

    def _translated(self, error: ProviderError, action: str) -> SmmError:
        kind, detail = _kind_of(error, placing=action == "add")
        return self._error(kind, action, detail, retry_after=error.retry_after)


def _kind_of(error: ProviderError, *, placing: bool) -> tuple[SmmErrorKind, str]:
    """What a ProviderClient failure means for the caller, and a safe reason.

    PLACING (an `add`): once the request may have left, a lost answer is UNKNOWN_OUTCOME.
    """
    maybe_placed = SmmErrorKind.UNKNOWN_OUTCOME if placing else SmmErrorKind.TRANSIENT
    if isinstance(error, CircuitOpenError):
        return SmmErrorKind.BREAKER_OPEN, "circuit open, nothing was sent"
    if isinstance(error, _RateLimited) or error.status_code == 429:
        body = error.body if isinstance(error, _RateLimited) else ""
        return SmmErrorKind.RATE_LIMITED, body or f"HTTP {error.status_code}"
    if isinstance(error, ProviderRejected):
        # Any other 4xx: the panel's text decides when we know it; otherwise it is about us.
        text = error_text(error.body) or ""
        kind = _known_kind(text) or SmmErrorKind.PERMANENT
        return kind, text or f"HTTP {error.status_code}"
    if isinstance(error, ProviderTimeout):
        if _nothing_sent(error):
            return SmmErrorKind.TRANSIENT, "could not connect in time"
        return maybe_placed, f"no answer in time ({type(error.__cause__).__name__})"
    if isinstance(error, ProviderUnavailable):
        if error.status_code:
            return SmmErrorKind.TRANSIENT, f"HTTP {error.status_code}"
        if _nothing_sent(error):
            return SmmErrorKind.TRANSIENT, "could not connect"
        return maybe_placed, f"connection lost ({type(error.__cause__).__name__})"
    if isinstance(error, ProviderBadResponse):
        return maybe_placed, f"an answer that is not JSON (HTTP {error.status_code})"
    return SmmErrorKind.TRANSIENT, type(error).__name__


# --- building clients ------------------------------------------------------------------------


def smm_breaker(provider_name: str) -> CircuitBreaker:
    """The panel's breaker, shared by every process through the Django cache."""
    return CircuitBreaker(f"smm:{provider_name}", failure_threshold=5, reset_timeout=60)


def _key_from(provider_name: str, env_name: str) -> str:
    """The key in ENV_NAME (or ENV_NAME_FILE); the sandbox key when unset and SANDBOX is on."""
    try:
        key = Env().raw(env_name) or ""
    except ConfigError as error:  # its message names the variable, never a value
        raise SmmError(
            f"{provider_name}: {error}", kind=SmmErrorKind.PERMANENT, provider=provider_name
        ) from None
    if key:
        return key
    if settings.SANDBOX:
        return settings.SANDBOX_SMM_API_KEY
    raise SmmError(
        f"{provider_name}: the API key variable {env_name} is not set",
        kind=SmmErrorKind.PERMANENT,
        provider=provider_name,
    )


def api_key_for(provider) -> str:
    return _key_from(provider.name, provider.api_key_env)


def smm_timeout() -> httpx.Timeout:
    # A long read timeout: an `add` that times out is UNKNOWN_OUTCOME and costs a reconciliation.
    return httpx.Timeout(connect=5.0, read=float(settings.SMM_READ_TIMEOUT), write=10.0, pool=5.0)


def build_smm_client(
    provider=None,
    *,
    name: str | None = None,
    api_url: str | None = None,
    api_key_env: str | None = None,
) -> SmmClient:
    """A client for a Provider row, or for the snapshot fields a boost order kept."""
    if provider is not None:
        name, api_url, api_key_env = provider.name, provider.api_url, provider.api_key_env
    if not (name and api_url and api_key_env):
        raise ValueError("build_smm_client needs a Provider, or name, api_url and api_key_env")
    return SmmClient(
        api_url,
        provider_name=name,
        api_key=_key_from(name, api_key_env),
        timeout=smm_timeout(),
        max_retries=2,
        breaker=smm_breaker(name),
    )
