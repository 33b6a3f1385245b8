"""Carry the correlation id from whoever sends a task to the worker that runs it.

The sender's id travels as a message header; the worker runs the task under it, so the task's
log lines and audit events carry the id of the request that caused them. A task sent with no
id (beat, a shell) gets a fresh one.
"""

from __future__ import annotations

from celery import signals

from apps.common.correlation import (
    get_correlation_id,
    new_correlation_id,
    reset_correlation_id,
    set_correlation_id,
)

# Not "correlation_id": Celery already uses that name for the task id on task.request.
HEADER_NAME = "viralcore_correlation_id"
_TOKENS: dict[str, object] = {}


@signals.before_task_publish.connect(weak=False)
def add_correlation_header(headers=None, **kwargs):
    if headers is not None and not headers.get(HEADER_NAME):
        headers[HEADER_NAME] = get_correlation_id() or new_correlation_id()


@signals.task_prerun.connect(weak=False)
def enter_task_correlation(task_id=None, task=None, **kwargs):
    request = getattr(task, "request", None)
    # Eager runs (tests, shells) are not published: they keep the caller's id.
    correlation_id = (
        getattr(request, HEADER_NAME, None) or get_correlation_id() or new_correlation_id()
    )
    _TOKENS[task_id] = set_correlation_id(correlation_id)


@signals.task_postrun.connect(weak=False)
def leave_task_correlation(task_id=None, **kwargs):
    token = _TOKENS.pop(task_id, None)
    if token is not None:
        reset_correlation_id(token)
