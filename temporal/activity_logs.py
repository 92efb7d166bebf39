"""The log fields of an activity: every line it writes, and the SDK's own line when it
fails, carry the organization, the run (its workflow id), the node and the attempt.

Bound for the activity's task, which the SDK runs each activity in and logs its failure
from; the task's context ends with it."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from app.logs.context import bind_for_task


class ActivityLogFieldsInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Binding(next)


class _Binding(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        action = input.args[0] if input.args else None
        bind_for_task(
            organization_id=getattr(action, "organization_id", None),
            run_id=info.workflow_id,
            node_id=getattr(action, "node_id", None),
            attempt=info.attempt,
            activity=info.activity_type,
        )
        return await self.next.execute_activity(input)
