"""What comparing and restoring versions of a workflow answer and take."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas import MAX_VERSION


class _Answer(BaseModel):
    # Filled from the language's diff, which is dataclasses.
    model_config = ConfigDict(from_attributes=True)


class FieldChangePublic(_Answer):
    path: str = Field(description="The field, dotted: `parameters.text`, `retry.maximum_attempts`.")
    before: Any = Field(default=None, description="Null where the field was not set.")
    after: Any = Field(default=None, description="Null where the field is no longer set.")


class NodeRefPublic(_Answer):
    id: str
    type: str


class NodeChangePublic(_Answer):
    id: str
    type: str = Field(description="Its type in the newer version (a change of type is listed).")
    changes: list[FieldChangePublic]


class EdgeRefPublic(_Answer):
    source: str
    target: str
    source_handle: str | None = None
    target_handle: str | None = None


class WorkflowVersionDiff(_Answer):
    """What changed from version `from_version` to `to_version` (what runs see: the
    builder's layout, positions and notes' text are not compared)."""

    workflow_id: str
    from_version: int
    to_version: int
    identical: bool
    nodes_added: list[NodeRefPublic]
    nodes_removed: list[NodeRefPublic]
    nodes_changed: list[NodeChangePublic]
    edges_added: list[EdgeRefPublic]
    edges_removed: list[EdgeRefPublic]
    settings_changed: list[FieldChangePublic] = Field(
        description="Workflow settings (`timezone`, `variables.<name>`)."
    )


class VersionRestore(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"base_version": 3}]})

    base_version: int | None = Field(
        default=None,
        ge=1,
        le=MAX_VERSION,
        description="The version you last saw as the latest: 409 if someone saved another since.",
        examples=[3],
    )
