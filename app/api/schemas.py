"""What the API accepts and returns. Table rows never leave through these unfiltered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_VERSION = 1_000_000
"""No workflow has more versions; larger numbers are refused before they reach a database."""

GRAPH_EXAMPLE: dict[str, Any] = {
    "nodes": [
        {
            "id": "start",
            "type": "trigger.manual",
            "parameters": {
                "input_schema": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}},
                    "required": ["name"],
                }
            },
        },
        {
            "id": "greet",
            "type": "transform",
            "parameters": {"value": {"greeting": "Hello {{ trigger.name }}"}},
        },
    ],
    "edges": [{"source": "start", "target": "greet"}],
}


class WorkflowBase(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["Greet a user"])
    description: str = Field(default="", max_length=2000, examples=["Says hello."])


class WorkflowCreate(WorkflowBase):
    model_config = ConfigDict(extra="forbid")

    graph: dict[str, Any] = Field(
        description="The graph: React Flow's `toObject()` or the native form.",
        examples=[GRAPH_EXAMPLE],
    )


class WorkflowUpdate(BaseModel):
    """Every field is optional; a `graph` makes a new version, earlier ones stay readable."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    graph: dict[str, Any] | None = Field(
        default=None,
        description="The new graph: stored as the next version.",
        examples=[GRAPH_EXAMPLE],
    )
    base_version: int | None = Field(
        default=None,
        ge=1,
        le=MAX_VERSION,
        description="The version this edit started from: 409 if someone saved another since.",
        examples=[1],
    )
    error_workflow_id: str | None = Field(
        default=None,
        max_length=40,
        description="Another workflow of the organization, started (from its manual trigger) "
        "with the failed run's details whenever a run of this one fails; null: none.",
        examples=["wf_9a8b7c6d5e4f3a2b1c0d9e8f"],
    )


class WorkflowDuplicate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Default: '<name> (copy)'.",
        examples=["Greet a user, in French"],
    )


class WorkflowValidate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: dict[str, Any] = Field(
        description="The graph to check, as for create.", examples=[GRAPH_EXAMPLE]
    )


class GraphValidation(BaseModel):
    valid: bool
    plan_hash: str | None = Field(description="Hash of the compiled plan when valid.")
    errors: list[dict[str, Any]] = Field(
        description="Every problem: `path`, `message`, `node_id`, `edge_id`, `code`."
    )


class WorkflowPublic(WorkflowBase):
    id: str
    active: bool
    latest_version: int
    error_workflow_id: str | None = Field(
        default=None, description="Started with the details of every failed run of this one."
    )
    created_at: datetime
    updated_at: datetime


class WorkflowDetail(WorkflowPublic):
    """A workflow with its latest version's graph, so a builder opens it in one read."""

    graph: dict[str, Any] = Field(description="The latest version's graph, as it was stored.")
    plan_hash: str = Field(description="The latest version's plan hash.")


class WorkflowsPublic(BaseModel):
    data: list[WorkflowPublic]
    count: int = Field(description="How many workflows match, on every page.")


class WorkflowVersionSummary(BaseModel):
    workflow_id: str
    version: int
    plan_hash: str
    created_at: datetime


class WorkflowVersionPublic(WorkflowVersionSummary):
    graph: dict[str, Any]
    plan: dict[str, Any] = Field(
        description=(
            "The compiled plan every run of this version carries and the interpreter walks: "
            "nodes by id with their parameters, edges (`next`), retries and timeouts, and the "
            "pinned version of each sub-workflow. `plan_hash` is its SHA-256."
        )
    )

    @field_validator("plan", mode="before")
    @classmethod
    def _plan_as_json(cls, plan: Any) -> Any:
        # The store hands back a typed `Plan`; the answer shows it as the JSON runs carry.
        return plan.model_dump(mode="json") if isinstance(plan, BaseModel) else plan


class WorkflowVersionsPublic(BaseModel):
    data: list[WorkflowVersionSummary]
    count: int


EXPORT_FORMAT: Literal["flowhold.workflow"] = "flowhold.workflow"


class WorkflowExport(BaseModel):
    """A workflow as a file: import it into any organization to get the same workflow."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "format": EXPORT_FORMAT,
                    "format_version": 1,
                    "name": "Greet a user",
                    "description": "Says hello.",
                    "graph": GRAPH_EXAMPLE,
                }
            ]
        },
    )

    format: Literal["flowhold.workflow"] = EXPORT_FORMAT
    format_version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    graph: dict[str, Any]


class WorkflowImport(WorkflowExport):
    """An exported workflow to create here, with the accounts it used mapped to this
    organization's."""

    accounts: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Exported account id → this organization's account id, for every account the "
            "workflow's nodes use that does not exist here."
        ),
        json_schema_extra={"examples": [{"acc_exported": "acc_mine"}]},
    )


class Health(BaseModel):
    status: str
    checks: dict[str, str]


Person = Annotated[
    str,
    Field(
        min_length=1,
        max_length=320,
        # The shape of an approval's approvers (`app.language.nodes.flow`): compared exactly.
        pattern=r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$",
    ),
]
