"""Plain Temporal workflows for `bench.temporal_floor`: what Temporal itself costs per run.

`BareTwoSteps` is two durable steps that do no I/O (each an activity returning a small
dict), with the SDK's default options; `Empty` returns at once (one workflow task). Neither
touches the engine: they are the floor a run of two durable steps, or of none, can cost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow

BARE_TWO_STEPS = "BenchBareTwoSteps"
EMPTY = "BenchEmpty"
STEP_ACTIVITY = "bench.small_step"


@activity.defn(name=STEP_ACTIVITY)
async def small_step(name: str) -> dict[str, Any]:
    return {"step": name, "ok": True, "n": 7}


@workflow.defn(name=BARE_TWO_STEPS)
class BareTwoSteps:
    @workflow.run
    async def run(self, _: str) -> dict[str, Any]:
        # A start-to-close timeout is the one option the SDK requires.
        first: dict[str, Any] = await workflow.execute_activity(
            small_step, "first", start_to_close_timeout=timedelta(seconds=30)
        )
        if not first["ok"]:
            return first
        second: dict[str, Any] = await workflow.execute_activity(
            small_step, "second", start_to_close_timeout=timedelta(seconds=30)
        )
        return second


@workflow.defn(name=EMPTY)
class Empty:
    @workflow.run
    async def run(self, _: str) -> dict[str, Any]:
        return {"ok": True}
