"""What a failed run tells the activity that starts its workflow's error workflow: the
interpreter sends it, `app.services.error_workflows` receives it. Part of recorded histories:
fields are only ever added, with defaults."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

ERROR_WORKFLOW_ACTIVITY = "flowhold.start_error_workflow"
ERROR_RUN_SUFFIX = "~error"
"""The error workflow's run has the failed run's id and this: started once however often the
activity is retried, and a failed error run starts no error workflow of its own (no loops)."""


class FailedRunError(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: str
    message: str


class FailedRun(BaseModel):
    """A run that failed, and the error workflow to start with its details."""

    model_config = ConfigDict(frozen=True)

    organization_id: str
    error_workflow_id: str
    run_id: str
    workflow_id: str
    workflow_version: int
    trigger: str
    node_id: str | None
    error: FailedRunError
    input: Any = None
    """The trigger payload the failed run started with."""

    def details(self, *, with_input: bool = True) -> dict[str, Any]:
        """The error workflow's trigger payload (readable there as `trigger`)."""
        return {
            "run_id": self.run_id,
            "workflow_id": self.workflow_id,
            "workflow_version": self.workflow_version,
            "trigger": self.trigger,
            "node_id": self.node_id,
            "error": self.error.model_dump(),
            "input": self.input if with_input else None,
            "input_dropped": not with_input,
        }
