"""What the bulk operations on runs accept and return."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class BulkCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {"action": "cancel", "dry_run": True},
                {"action": "rerun", "dry_run": False, "from": "failed_step", "version": "latest"},
            ]
        },
    )

    action: Literal["cancel", "terminate", "rerun"] = Field(
        description="`cancel` or `terminate` the running runs the filter matches, or `rerun` "
        "the ended ones (the filter's `status` says which: failed, cancelled, terminated or "
        "timed_out)."
    )
    dry_run: bool = Field(
        default=True,
        description="Only count the runs the filter matches (the default: say `false` to act).",
    )
    reason: str = Field(default="", max_length=1000, description="Why, for `terminate`.")
    start_from: Literal["start", "failed_step"] = Field(
        default="start", alias="from", description="For `rerun`, as `POST /runs/{id}/rerun`."
    )
    version: Literal["same", "latest"] = Field(
        default="same", description="For `rerun`, as `POST /runs/{id}/rerun`."
    )


class BulkPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str | None = Field(description="The recorded operation; null for a dry run.")
    action: str
    dry_run: bool
    filter: dict[str, Any] = Field(description="The run list's filters it matched runs with.")
    matched: int = Field(description="How many runs the filter matched.")
    max_runs: int = Field(description="The most runs one such operation acts on.")
    run_ids: list[str] = Field(description="The runs it acts (or would act) on, newest first.")
    outcomes: dict[str, Any] = Field(
        default_factory=dict,
        description="For `rerun`: by run id, the new run (`run_id`) or why not (`error`).",
    )
    options: dict[str, Any] = Field(default_factory=dict)
    key_id: str | None = Field(default=None, description="The API key that asked.")
    person: str | None = Field(default=None, description="That key's person, if any.")
    created_at: datetime | None = None
    batch: BatchPublic | None = Field(
        default=None,
        description="For `cancel` and `terminate`: Temporal's batch operation, as it stands "
        "(read when the operation is read by id).",
    )


class BatchPublic(BaseModel):
    job_id: str
    state: Literal["running", "completed", "failed", "unknown"]
    total: int
    completed: int
    failed: int


class BulkListPublic(BaseModel):
    data: list[BulkPublic]


BulkPublic.model_rebuild()
