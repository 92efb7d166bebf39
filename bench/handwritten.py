"""The benchmarks' hand-written workflows: what a graph does, written directly as Temporal
code, calling the same activity with the same options as the interpreter.

`HandWrittenWorkflow` is `bench.interpreter`'s graph; `WebhookAutomationByHand` is the GET →
`if` → POST of `bench.worker_cpu` and `bench.temporal_floor` (issue 14's automation)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from activities.http.nodes import NODE_TYPES as HTTP_NODE_TYPES
    from app.contract.actions import OUTPUT_KEY, ActionInput
    from workflows.nodes import DEFAULT_HEARTBEAT_TIMEOUT, retry_policy

HAND_WRITTEN_WORKFLOW = "BenchHandWritten"
_HTTP_REQUEST = next(node_type for node_type in HTTP_NODE_TYPES if node_type.type == "http.request")
HTTP_REQUEST_TIMEOUT = timedelta(seconds=_HTTP_REQUEST.default_timeout() or 0)
"""The time limit the compiler writes into the graph's plan for its `http.request` nodes
(`start_to_close_timeout`), so that both sides schedule the same activity."""


@workflow.defn(name=HAND_WRITTEN_WORKFLOW)
class HandWrittenWorkflow:
    @workflow.run
    async def run(self, base_url: str) -> dict[str, Any]:
        first = await self._get(f"{base_url}/step/1", "a")
        total = 0
        if first["body"]["ok"]:
            total = first["body"]["n"]
            second = await self._get(f"{base_url}/step/2", "b")
            total += second["body"]["n"]
        third = await self._get(f"{base_url}/step/3", "c")
        return {"total": total, "last": third["body"]["n"]}

    async def _get(self, url: str, node_id: str) -> dict[str, Any]:
        # No result_type: like the interpreter's, the result is decoded as plain JSON.
        result: dict[str, Any] = await workflow.execute_activity(
            "http.request",
            ActionInput(
                node_id=node_id,
                node_type="http.request",
                parameters={"url": url},
                organization_id="org_bench",
                idempotency_key=f"{workflow.info().workflow_id}/{node_id}/0",
            ),
            start_to_close_timeout=HTTP_REQUEST_TIMEOUT,
            heartbeat_timeout=DEFAULT_HEARTBEAT_TIMEOUT,
            retry_policy=retry_policy(None),
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        return result


WEBHOOK_AUTOMATION_BY_HAND = "BenchWebhookAutomationByHand"


@workflow.defn(name=WEBHOOK_AUTOMATION_BY_HAND)
class WebhookAutomationByHand:
    """GET `/item`; if its body's `ok`, POST its `n` to `/sink`. Each call is scheduled as the
    interpreter schedules an action node (`workflows/nodes.py: NodeRunner._action`): the same
    activity, input, timeouts, retry policy, cancellation type, priority and summary."""

    @workflow.run
    async def run(self, base_url: str) -> dict[str, Any]:
        fetched = await self._call("fetch", {"url": f"{base_url}/item"})
        if not fetched["body"]["ok"]:
            return {"sent": False}
        body = {"type": "json", "json": {"n": fetched["body"]["n"]}}
        sent = await self._call("send", {"method": "POST", "url": f"{base_url}/sink", "body": body})
        return {"sent": True, "status": sent["status"]}

    async def _call(self, node_id: str, parameters: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await workflow.execute_activity(
            "http.request",
            ActionInput(
                node_id=node_id,
                node_type="http.request",
                parameters=parameters,
                organization_id="org_bench",
                idempotency_key=f"{workflow.info().workflow_id}/{node_id}/0",
                report_attempt=True,
            ),
            start_to_close_timeout=HTTP_REQUEST_TIMEOUT,
            heartbeat_timeout=DEFAULT_HEARTBEAT_TIMEOUT,
            retry_policy=retry_policy(None),
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            priority=workflow.info().priority,
            summary=f"{node_id} ({node_id})",
        )
        output: dict[str, Any] = result[OUTPUT_KEY]
        return output
