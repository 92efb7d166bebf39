"""What the API accepts and returns. Table rows never leave through these unfiltered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from workflows.state import RunState


class WorkflowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    graph: dict[str, Any] = Field(
        description="The graph: React Flow's `toObject()` or the native form.",
        examples=[
            {
                "nodes": [
                    {"id": "start", "type": "trigger.manual"},
                    {
                        "id": "greet",
                        "type": "transform",
                        "parameters": {"value": {"greeting": "Hello {{ trigger.name }}"}},
                    },
                ],
                "edges": [{"source": "start", "target": "greet"}],
            }
        ],
    )


class WorkflowValidate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: dict[str, Any] = Field(description="The graph to check, as for create.")


class GraphValidation(BaseModel):
    valid: bool
    plan_hash: str | None = Field(description="Hash of the compiled plan when valid.")
    errors: list[dict[str, Any]] = Field(
        description="Every problem: `path`, `message`, `node_id`, `code`."
    )


class WorkflowPublic(BaseModel):
    id: str
    name: str
    description: str
    active: bool
    latest_version: int
    created_at: datetime
    updated_at: datetime


class WorkflowVersionPublic(BaseModel):
    workflow_id: str
    version: int
    graph: dict[str, Any]
    plan_hash: str
    created_at: datetime


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: Any = Field(default=None, description="The trigger payload, readable as `trigger`.")
    version: int | None = Field(default=None, ge=1, description="Defaults to the latest version.")


class RunCreated(BaseModel):
    id: str
    workflow_id: str
    version: int


class RunPublic(RunState):
    id: str


class Health(BaseModel):
    status: str
    checks: dict[str, str]
