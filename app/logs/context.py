"""The fields every log line of a request or an activity carries.

A request's fields are one dict bound when it starts and filled as it learns more (the
organization once the key is checked): a dict, not values set one by one, because FastAPI
may run parts of a request in copies of its context, and each copy shares the same dict."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

FIELDS = (
    "organization_id",
    "workflow_id",
    "run_id",
    "node_id",
    "attempt",
    "activity",
    "request_id",
)
"""What lines carry, in this order, when known."""

_fields: ContextVar[dict[str, Any] | None] = ContextVar("flowhold_log_fields", default=None)


def bound_fields() -> dict[str, Any]:
    """What the current request or activity has bound (empty outside one)."""
    return _fields.get() or {}


def log_fields(**fields: Any) -> None:
    """Add `fields` to the current request's or activity's lines; outside one, nothing."""
    current = _fields.get()
    if current is not None:
        current.update({k: v for k, v in fields.items() if v is not None})


@contextmanager
def bind(**fields: Any) -> Iterator[dict[str, Any]]:
    """Lines written inside carry `fields` (and whatever `log_fields` adds)."""
    bound = {k: v for k, v in fields.items() if v is not None}
    token = _fields.set(bound)
    try:
        yield bound
    finally:
        _fields.reset(token)


def bind_for_task(**fields: Any) -> None:
    """Bind `fields` for the rest of the current task (an activity's, which ends with it)."""
    _fields.set({k: v for k, v in fields.items() if v is not None})
