"""What a scheduled run asks before it does its work: whether its organization's run quotas
let it through (`app.services.run_admission` answers, `workflows.run` asks). Runs fired by
Temporal Schedules never pass through the API, which checks every other start. Part of
recorded histories: fields are only ever added, with defaults."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

ADMIT_ACTIVITY = "flowhold.admit_scheduled_run"


class RunAdmissionRequest(BaseModel):
    """One scheduled run asking to start: `run_id` is its id (Temporal's workflow id),
    `execution_id` Temporal's id of this execution of it, which makes asking again answer the
    same (two manual triggers in one second give two executions one workflow id)."""

    model_config = ConfigDict(frozen=True)

    organization_id: str
    run_id: str
    execution_id: str
