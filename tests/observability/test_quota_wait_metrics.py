"""An action that waits for a slot in its account's pacing is counted as a quota wait, with
the wait it was told, on the worker's metric meter (the SDK's, here into a buffer)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from temporalio import activity
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig
from temporalio.testing import ActivityEnvironment

from app.contract.failures import FailureType
from temporal.worker_metrics import _count_failure


async def test_a_pacing_wait_is_counted_with_its_length() -> None:
    buffer = MetricBuffer(1000)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    environment = ActivityEnvironment()
    environment.metric_meter = runtime.metric_meter
    environment.info = dataclasses.replace(environment.info, activity_type="x.post")

    @activity.defn
    async def paced() -> None:
        _count_failure(
            FailureType.QuotaWait.error(
                "waiting for a slot", next_retry_delay=timedelta(minutes=20)
            )
        )

    await environment.run(paced)

    updates = buffer.retrieve_updates()
    by_name = {update.metric.name: update for update in updates}
    assert by_name["flowhold_quota_waits"].value == 1
    assert by_name["flowhold_quota_waits"].attributes["activity"] == "x.post"
    assert by_name["flowhold_quota_wait"].value == 1200.0
    assert "flowhold_rate_limit_waits" not in by_name
    assert by_name["flowhold_action_failures"].attributes["failure_type"] == "QuotaWait"
