"""The fake panels' single endpoint: POST (form or JSON) or GET /sandbox/smm/<panel>/api/v2.

Actions (external-apis.md §3): services, add, status (order / orders), refill (order / orders),
refill_status (refill / refills), cancel (orders, or the older order), balance. Errors are
{"error": "<text>"} with HTTP 200, as most panels answer; an unknown action is
"Incorrect request".

What staff switch on per panel (SmmPanel.failure_mode) applies to `add` only, except "down"
(HTTP 503) and "invalid_key", which answer every action. "timeout" stores and charges the order
first, then holds the answer back: the "sent, but no answer" case a client must reconcile.
One-off failures injected for "smm.<panel>.<action>" (apps/sandbox/failures.py) come on top:
on `add`, http_500 / http_502 / malformed_json replace the answer *after* the order was stored.

The endpoint is built for a benchmark of ~1,000 adds a minute through several workers: sleeps
(latency_ms, timeout) never hold a database connection or a transaction, and the panel row is
locked only while an add's charge is taken. Every call lands in ApiCall as "smm.<panel>.<action>",
without the key.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.sandbox import services as sandbox_services
from apps.sandbox.failures import Kind, consume_failure
from apps.sandbox.guards import sandbox_only
from apps.sandbox.models import InjectedFailure
from apps.sandbox.provider_fakes import FAILURES_AFTER_PROCESSING, failure_response, json_response
from apps.sandbox.smm import services, wire
from apps.sandbox.smm.models import SmmPanel, SmmPanelOrder
from apps.sandbox.smm.services import (
    INCORRECT_ORDER,
    INCORRECT_REQUEST,
    INCORRECT_SERVICE,
    INVALID_KEY,
    NOT_ENOUGH_FUNDS,
    REFILL_NOT_FOUND,
    PanelRefusal,
)

Mode = SmmPanel.FailureMode
MAX_IDS = 100
TOO_MANY_REQUESTS = "Too many requests"
UNAVAILABLE_PAGE = (
    "<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
    "<center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center>"
    "</body></html>"
)


@dataclass
class Reply:
    """What the endpoint answers, and what the call log should say about it."""

    body: Any
    status: int = HTTPStatus.OK
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""
    injected: str = ""
    # An injected one-off failure's ready-made answer, which replaces everything above.
    replaced_by: HttpResponse | None = None

    def response(self) -> HttpResponse:
        if self.replaced_by is not None:
            return self.replaced_by
        if isinstance(self.body, str):
            return HttpResponse(self.body, status=self.status, content_type="text/html")
        return json_response(self.body, self.status, **self.headers)


def refusal(text: str) -> Reply:
    return Reply({"error": text}, error=text)


def unavailable(mode: str) -> Reply:
    return Reply(UNAVAILABLE_PAGE, HTTPStatus.SERVICE_UNAVAILABLE, error="down", injected=mode)


# --- the endpoint ----------------------------------------------------------------------------


@sandbox_only
@csrf_exempt
@never_cache
def panel_api(request: HttpRequest, panel: str) -> HttpResponse:
    started = time.monotonic()
    try:
        params = _params(request)
    except PanelRefusal as error:
        params, reply = {}, refusal(str(error))
    else:
        found = SmmPanel.objects.filter(name=panel).first()
        reply = _answer(found, params) if found else _unknown_panel()
    _record(panel, params, reply, started)
    return reply.response()


def _unknown_panel() -> Reply:
    return Reply({"error": INCORRECT_REQUEST}, HTTPStatus.NOT_FOUND, error="no such panel")


def _answer(panel: SmmPanel, params: dict[str, str]) -> Reply:
    _pause(panel.latency_ms / 1000)
    if panel.failure_mode == Mode.DOWN:
        return unavailable(Mode.DOWN)
    if panel.failure_mode == Mode.INVALID_KEY:
        return Reply({"error": INVALID_KEY}, error=INVALID_KEY, injected=Mode.INVALID_KEY)
    if not hmac.compare_digest(params.get("key", "").encode(), panel.api_key.encode()):
        return refusal(INVALID_KEY)
    action = params.get("action", "")
    handler = ACTIONS.get(action)
    if handler is None:
        return refusal(INCORRECT_REQUEST)
    failure = consume_failure(f"smm.{panel.name}.{action}")
    after = failure is not None and action == "add" and failure.kind in FAILURES_AFTER_PROCESSING
    if failure is not None and not after:
        if failure.kind != Kind.DELAY:
            return _failed(failure, Reply(None))
        _pause(failure.delay_seconds or 0)
    try:
        reply = handler(panel, params)
    except PanelRefusal as error:
        reply = refusal(str(error))
    return _failed(failure, reply) if after else reply


def _failed(failure: InjectedFailure, reply: Reply) -> Reply:
    """REPLY answered with the injected FAILURE instead (its kind noted for the call log)."""
    reply.replaced_by = failure_response(failure.kind, _error_body, failure.retry_after)
    reply.status, reply.injected = reply.replaced_by.status_code, failure.kind
    reply.error = reply.error or failure.kind
    return reply


def _error_body(status: int, text: str) -> dict:
    return {"error": text}


def _pause(seconds: float) -> None:
    """Sleep without holding a database connection (it goes back to the pool meanwhile)."""
    if seconds <= 0:
        return
    if not connection.in_atomic_block:
        connection.close()
    time.sleep(seconds)


def _params(request: HttpRequest) -> dict[str, str]:
    """The call's parameters from the query, a form body or a JSON body, as strings."""
    params = {key: request.GET.get(key, "") for key in request.GET}
    if request.method != "POST":
        return params
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise PanelRefusal(INCORRECT_REQUEST) from None
        if not isinstance(body, dict):
            raise PanelRefusal(INCORRECT_REQUEST)
        params.update({str(key): _text(value) for key, value in body.items()})
    else:
        params.update({key: request.POST.get(key, "") for key in request.POST})
    return params


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return "" if value is None else str(value)


def _record(panel: str, params: dict[str, str], reply: Reply, started: float) -> None:
    action = params.get("action", "")[:20] or "-"
    sandbox_services.record_api_call(
        method=f"smm.{panel}.{action}",
        params={key: value for key, value in params.items() if key != "key"},
        http_status=reply.status,
        ok=reply.status < HTTPStatus.BAD_REQUEST and not reply.error,
        description=reply.error or f"HTTP {reply.status}",
        injected=reply.injected,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


# --- reading parameters ----------------------------------------------------------------------


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _id_list(value: str) -> list[str]:
    ids = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not ids or len(ids) > MAX_IDS:
        raise PanelRefusal(INCORRECT_REQUEST)
    return ids


# --- actions ---------------------------------------------------------------------------------


def add(panel: SmmPanel, params: dict[str, str]) -> Reply:
    injected = _injected_add_failure(panel.failure_mode)
    if injected is not None:
        return injected
    order = services.place_order(
        panel,
        service_id=_number(params.get("service")),
        link=params.get("link", "").strip(),
        quantity=_number(params.get("quantity")),
    )
    reply = Reply({"order": order.wire_id})
    if panel.failure_mode == Mode.TIMEOUT:
        _pause(panel.timeout_seconds)
        reply.injected = Mode.TIMEOUT
    return reply


def _injected_add_failure(mode: str) -> Reply | None:
    """The answer an add gets instead of being handled, for the modes that refuse it."""
    if mode == Mode.RATE_LIMIT:
        body = {"error": TOO_MANY_REQUESTS}
        headers = {"Retry_After": "1"}
        return Reply(body, HTTPStatus.TOO_MANY_REQUESTS, headers, TOO_MANY_REQUESTS, mode)
    if mode == Mode.SERVER_ERROR:
        return unavailable(mode)
    texts = {Mode.INVALID_SERVICE: INCORRECT_SERVICE, Mode.NO_FUNDS: NOT_ENOUGH_FUNDS}
    if mode in texts:
        return Reply({"error": texts[mode]}, error=texts[mode], injected=mode)
    return None


def status(panel: SmmPanel, params: dict[str, str]) -> Reply:
    if "orders" in params:
        ids = _id_list(params["orders"])
        found = services.find_orders(panel, ids)
        missing = {"error": INCORRECT_ORDER}
        return Reply({i: _order_status(found[i]) if i in found else missing for i in ids})
    order = services.find_orders(panel, [params.get("order", "")])
    if not order:
        raise PanelRefusal(INCORRECT_ORDER)
    return Reply(_order_status(next(iter(order.values()))))


def _order_status(order: SmmPanelOrder) -> dict:
    order = services.settle_order(order)
    return wire.order_status(services.order_state(order), order.panel.currency)


def refill(panel: SmmPanel, params: dict[str, str]) -> Reply:
    if "orders" in params:
        return Reply(_per_order(panel, params["orders"], "refill", _refill_id))
    order = services.find_orders(panel, [params.get("order", "")])
    if not order:
        raise PanelRefusal(INCORRECT_ORDER)
    return Reply({"refill": str(_refill_id(next(iter(order.values()))))})


def _refill_id(order: SmmPanelOrder) -> int:
    return services.request_refill(order).wire_id


def cancel(panel: SmmPanel, params: dict[str, str]) -> Reply:
    if "orders" in params:
        return Reply(_per_order(panel, params["orders"], "cancel", _cancel_flag))
    order = services.find_orders(panel, [params.get("order", "")])
    if not order:
        raise PanelRefusal(INCORRECT_ORDER)
    return Reply({"cancel": str(_cancel_flag(next(iter(order.values()))))})


def _cancel_flag(order: SmmPanelOrder) -> int:
    services.cancel_order(order)
    return 1


def _per_order(
    panel: SmmPanel, orders: str, answer: str, act: Callable[[SmmPanelOrder], Any]
) -> list[dict]:
    """[{"order": id, ANSWER: what ACT gave, or {"error": text}}] for a multi refill/cancel."""
    ids = _id_list(orders)
    found = services.find_orders(panel, ids)
    items = []
    for wire_id in ids:
        try:
            if wire_id not in found:
                raise PanelRefusal(INCORRECT_ORDER)
            outcome: Any = act(found[wire_id])
        except PanelRefusal as error:
            outcome = {"error": str(error)}
        items.append({"order": wire.echoed_id(wire_id), answer: outcome})
    return items


def refill_status(panel: SmmPanel, params: dict[str, str]) -> Reply:
    if "refills" in params:
        ids = _id_list(params["refills"])
        found = services.find_refills(panel, ids)
        missing = {"error": REFILL_NOT_FOUND}
        return Reply(
            [
                {
                    "refill": wire.echoed_id(i),
                    "status": services.refill_state(found[i]) if i in found else missing,
                }
                for i in ids
            ]
        )
    found = services.find_refills(panel, [params.get("refill", "")])
    if not found:
        raise PanelRefusal(REFILL_NOT_FOUND)
    return Reply({"status": services.refill_state(next(iter(found.values())))})


def balance(panel: SmmPanel, params: dict[str, str]) -> Reply:
    panel.refresh_from_db(fields=["balance", "currency"])
    return Reply({"balance": wire.amount(panel.balance), "currency": panel.currency})


def service_list(panel: SmmPanel, params: dict[str, str]) -> Reply:
    return Reply([wire.service(row) for row in panel.services.all()])


ACTIONS: dict[str, Callable[[SmmPanel, dict[str, str]], Reply]] = {
    "services": service_list,
    "add": add,
    "status": status,
    "refill": refill,
    "refill_status": refill_status,
    "cancel": cancel,
    "balance": balance,
}
