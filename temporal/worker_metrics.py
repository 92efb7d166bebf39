"""A worker's Prometheus endpoint: the Temporal SDK's own metrics (task latencies, slots,
polls, activity and workflow outcomes) and the engine's, served by the SDK's runtime at
`WORKER_METRICS_ADDRESS`.

The engine's come from two places: the interpreter counts nodes and retries through the
workflow metric meter (`workflows/engine_metrics.py`), and `ActionMetricsInterceptor` counts
what actions answer through the activity meter: failures by type, the waits platforms ask
for when a rate limit is spent, and the waits an account's own pacing quota asks for.
Labels are activity and failure types, never a tenant."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from app.contract.failures import QUOTA_WAIT_TYPES, RATE_LIMIT_TYPES, FailureType

RATE_LIMITED = RATE_LIMIT_TYPES | {FailureType.AiRateLimited.value}
"""Failures whose retry waits for a platform's window: counted as rate-limit waits."""


def metrics_runtime(bind_address: str) -> Runtime:
    """A runtime whose metrics Prometheus scrapes at `bind_address` (`host:port`); counters
    end in `_total` as Prometheus names them."""
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=bind_address, counters_total_suffix=True, durations_as_seconds=True
            )
        )
    )


class ActionMetricsInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountingActivity(next)


class _CountingActivity(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await self.next.execute_activity(input)
        except ApplicationError as error:
            _count_failure(error)
            raise


def _count_failure(error: ApplicationError) -> None:
    meter = activity.metric_meter()
    failure = error.type or "ApplicationError"
    attributes = {
        "activity": activity.info().activity_type,
        "failure_type": failure,
        "retried": "false" if error.non_retryable else "true",
    }
    meter.create_counter(
        "flowhold_action_failures", "Failed attempts of actions, by activity and failure type."
    ).add(1, attributes)
    if failure in RATE_LIMITED and not error.non_retryable:
        waited = {"activity": attributes["activity"], "failure_type": failure}
        meter.create_counter(
            "flowhold_rate_limit_waits", "Attempts that ended on a spent rate limit, to wait."
        ).add(1, waited)
        if error.next_retry_delay is not None:
            meter.create_histogram_float(
                "flowhold_rate_limit_wait", "The wait a platform asked for.", "s"
            ).record(error.next_retry_delay.total_seconds(), waited)
    if failure in QUOTA_WAIT_TYPES:
        paced = {"activity": attributes["activity"]}
        meter.create_counter(
            "flowhold_quota_waits", "Attempts that waited for a slot in their account's pacing."
        ).add(1, paced)
        if error.next_retry_delay is not None:
            meter.create_histogram_float(
                "flowhold_quota_wait", "The wait an account's pacing asked for.", "s"
            ).record(error.next_retry_delay.total_seconds(), paced)
