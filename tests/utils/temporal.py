"""Housekeeping on the test Temporal servers."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
from collections.abc import Iterator
from typing import Any

from temporalio.api.workflowservice.v1 import ListOpenWorkflowExecutionsRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

CLOSE_TIMEOUT_SECONDS = 10.0


async def _open_runs(client: Client) -> list[WorkflowHandle[object, object]]:
    # The time-skipping server has no ListWorkflowExecutions; the older listing works on both.
    page = await client.workflow_service.list_open_workflow_executions(
        ListOpenWorkflowExecutionsRequest(namespace=client.namespace, maximum_page_size=1000)
    )
    return [
        client.get_workflow_handle(info.execution.workflow_id, run_id=info.execution.run_id)
        for info in page.executions
    ]


async def close_open_runs(client: Client) -> None:
    """Cancel what a test left open and wait for it to close, while its worker still runs.

    On the time-skipping server a run whose worker stopped in the middle of a workflow task
    (a cancel sent as a test ends, say) keeps that task started for good, and time never
    skips again: every later test that waits on a timer hangs. Closing runs with the worker
    alive avoids that; whatever will not close is terminated.
    """
    handles = await _open_runs(client)
    for handle in handles:
        with contextlib.suppress(RPCError):
            await handle.cancel()
    for handle in handles:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await handle.result()
    for handle in await _open_runs(client):
        try:
            await handle.terminate(reason="left open by a test")
        except RPCError as error:
            # A child may end with its parent between the listing and this call.
            if error.status != RPCStatusCode.NOT_FOUND:
                raise


async def history_text(handle: WorkflowHandle[Any, Any]) -> str:
    """A run's whole history as searchable text: every string of its JSON form, and the
    decoded bytes of every payload (inputs, results, heartbeat details, failures), which
    that form holds in base64."""
    history = json.loads((await handle.fetch_history()).to_json())
    return "\n".join(_strings(history))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            yield base64.b64decode(value, validate=True).decode()
