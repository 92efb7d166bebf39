"""Listing runs from Temporal's visibility store, always within one organization."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from temporalio.client import Client, WorkflowExecution

from app.contract import search_attributes as attrs
from app.errors import ErrorDetail, InvalidInputError
from app.services.runs.status import CONTINUED_AS_NEW, RunStatus, run_status, visibility_status
from app.vault.derivation import derive_key
from workflows.state import INTERPRETER_WORKFLOW, TriggerKind

RunTrigger = TriggerKind | Literal["sub_workflow"]
"""What started a run: a trigger of its workflow, or (`workflows.state.SUB_WORKFLOW_TRIGGER`)
a parent run's `sub_workflow` node."""
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:\-]{1,100}$")


@dataclass(frozen=True)
class RunFilter:
    """What to list; every field narrows the list, None means any."""

    workflow_id: str | None = None
    status: RunStatus | None = None
    trigger: RunTrigger | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None


@dataclass(frozen=True)
class RunSummary:
    id: str
    workflow_id: str | None
    workflow_version: int | None
    trigger: str | None
    status: RunStatus
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class RunPage:
    runs: list[RunSummary]
    count: int
    """How many runs match the filter, on every page."""
    next_page_token: str | None


def _quoted(value: str) -> str:
    # Values are checked against a strict pattern or produced by us: nothing to escape.
    return f'"{value}"'


def _timestamp(moment: datetime, name: str) -> str:
    if moment.tzinfo is None:
        raise InvalidInputError(
            "a time needs a time zone",
            [
                ErrorDetail(
                    path=("query", name), message="add Z or ±hh:mm", code="invalid_timestamp"
                )
            ],
        )
    return _quoted(moment.isoformat())


def visibility_query(organization_id: str, where: RunFilter) -> str:
    """A Temporal list filter for `where`; user values are checked before they are quoted."""
    clauses = [
        f"WorkflowType = {_quoted(INTERPRETER_WORKFLOW)}",
        f"{attrs.ORGANIZATION_ID.name} = {_quoted(organization_id)}",
    ]
    if where.workflow_id is not None:
        if not _SAFE_VALUE.match(where.workflow_id):
            raise InvalidInputError(
                "not a workflow id",
                [
                    ErrorDetail(
                        path=("query", "workflow_id"),
                        message="not a workflow id: ids look like wf_ then letters and digits",
                        code="wrong_form",
                    )
                ],
            )
        clauses.append(f"{attrs.WORKFLOW_ID.name} = {_quoted(where.workflow_id)}")
    if where.status is not None:
        clauses.append(f"ExecutionStatus = {_quoted(visibility_status(where.status))}")
    else:
        # An execution that continued as new is a past part of a run listed on its own.
        clauses.append(f"ExecutionStatus != {_quoted(CONTINUED_AS_NEW)}")
    if where.trigger is not None:
        clauses.append(f"{attrs.TRIGGER_KIND.name} = {_quoted(where.trigger)}")
    if where.started_after is not None:
        clauses.append(f"StartTime >= {_timestamp(where.started_after, 'started_after')}")
    if where.started_before is not None:
        clauses.append(f"StartTime < {_timestamp(where.started_before, 'started_before')}")
    return " AND ".join(clauses)


def _summary(execution: WorkflowExecution) -> RunSummary:
    found = execution.typed_search_attributes
    return RunSummary(
        id=execution.id,
        workflow_id=found.get(attrs.WORKFLOW_ID),
        workflow_version=found.get(attrs.WORKFLOW_VERSION),
        trigger=found.get(attrs.TRIGGER_KIND),
        status=run_status(execution.status),
        started_at=execution.start_time,
        ended_at=execution.close_time,
    )


def _bad_token() -> InvalidInputError:
    return InvalidInputError(
        "invalid page token",
        [
            ErrorDetail(
                path=("query", "page_token"),
                message="use a next_page_token as given",
                code="invalid_page_token",
            )
        ],
    )


_MAC_BYTES = 16


def _mac(token: bytes, query: str, signing_key: str) -> bytes:
    message = query.encode() + b"\n" + token
    key = derive_key(signing_key, "page-token")
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _encode_token(token: bytes | None, query: str, signing_key: str) -> str | None:
    """Temporal's token, signed for this query: a caller can only hand back what it was given
    for the same filter (Temporal answers a made-up token with an internal error)."""
    if not token:
        return None
    return base64.urlsafe_b64encode(_mac(token, query, signing_key) + token).decode().rstrip("=")


def _decode_token(text: str | None, query: str, signing_key: str) -> bytes | None:
    if not text:
        return None
    try:
        raw = base64.b64decode(
            text.encode() + b"=" * (-len(text) % 4), altchars=b"-_", validate=True
        )
    except (binascii.Error, ValueError):
        raise _bad_token() from None
    mac, token = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    if not token or not hmac.compare_digest(mac, _mac(token, query, signing_key)):
        raise _bad_token()
    return token


async def list_runs(
    client: Client,
    *,
    organization_id: str,
    where: RunFilter,
    page_size: int,
    page_token: str | None,
    signing_key: str,
) -> RunPage:
    """One page of runs, newest first."""
    query = visibility_query(organization_id, where)
    executions = client.list_workflows(
        query, page_size=page_size, next_page_token=_decode_token(page_token, query, signing_key)
    )
    await executions.fetch_next_page()
    count = (await client.count_workflows(query)).count
    return RunPage(
        runs=[_summary(execution) for execution in executions.current_page or []],
        count=count,
        next_page_token=_encode_token(executions.next_page_token, query, signing_key),
    )
