"""The two line formats and how a process installs them.

Every line is redacted (`redaction.redact`) after it is formatted, so a secret in a message,
its arguments or an exception's text never leaves. A typed failure (a temporalio
`ApplicationError`: what actions raise for a platform's 429 or 404, retried or not) is one
line with its type and message: the traceback of an expected failure says nothing an
operator can act on, and the SDK logs one for every failed attempt. Anything else keeps
its traceback: it is a bug."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, Literal

from opentelemetry import trace
from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

from app.logs.context import FIELDS, bound_fields
from app.logs.redaction import redact

LogFormat = Literal["json", "text"]

_FROM_TEMPORAL = {"workflow_id": "run_id", "attempt": "attempt", "activity_type": "activity"}
"""Fields the SDK's loggers put on their records (`temporal_activity`, `temporal_workflow`)
under our names: a run's id is its workflow id."""


def line_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The ids a line is about: bound by the request or activity, else the SDK's."""
    found: dict[str, Any] = {}
    for extra in ("temporal_activity", "temporal_workflow"):
        details = getattr(record, extra, None)
        if isinstance(details, dict):
            for theirs, ours in _FROM_TEMPORAL.items():
                if details.get(theirs) is not None:
                    found[ours] = details[theirs]
    found.update(bound_fields())
    fields = {name: found[name] for name in FIELDS if name in found}
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        # The line and the trace it belongs to, found from one another.
        fields["trace_id"] = format(span.trace_id, "032x")
    return fields


def failure_of(record: logging.LogRecord) -> tuple[str | None, str | None]:
    """(one-line cause, traceback): a typed failure gets the first only."""
    if not record.exc_info or record.exc_info[1] is None:
        return None, None
    error = record.exc_info[1]
    if isinstance(error, ApplicationError):
        retried = "not retried" if error.non_retryable else "retried"
        return f"{error.type or 'ApplicationError'} ({retried}): {error.message}", None
    cause = f"{type(error).__name__}: {error}"
    return cause, "".join(traceback.format_exception(*record.exc_info)).rstrip()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **line_fields(record),
        }
        extra = getattr(record, "access", None)
        if isinstance(extra, dict):
            line.update(extra)
        cause, trace = failure_of(record)
        if cause is not None:
            line["error"] = cause
        if trace is not None:
            line["traceback"] = trace
        return redact(json.dumps(line, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        text = f"{when} {record.levelname} {record.name}: {record.getMessage()}"
        fields = line_fields(record)
        if fields:
            text += " [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]"
        cause, trace = failure_of(record)
        if trace is not None:
            text += "\n" + trace
        elif cause is not None:
            text += f": {cause}"
        return redact(text)


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(level: str, log_format: LogFormat) -> None:
    """One handler on the root logger, to stderr, for the whole process (uvicorn's loggers
    included); the SDK's loggers put their ids on the record, not in the message."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    activity.logger.activity_info_on_message = False
    workflow.logger.workflow_info_on_message = False
