"""The run list's filters, as query parameters: `GET /runs` lists by them, `POST /runs/bulk`
acts on what they match."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query

from app.services.runs import RunFilter, RunStatus, RunTrigger


def run_filter(
    workflow_id: Annotated[str | None, Query(max_length=100)] = None,
    status_: Annotated[RunStatus | None, Query(alias="status")] = None,
    trigger: Annotated[
        RunTrigger | None,
        Query(description="What started the runs; `sub_workflow`: child runs of a parent."),
    ] = None,
    started_after: Annotated[
        datetime | None, Query(description="ISO 8601 with a time zone, inclusive.")
    ] = None,
    started_before: Annotated[
        datetime | None, Query(description="ISO 8601 with a time zone, exclusive.")
    ] = None,
) -> RunFilter:
    return RunFilter(
        workflow_id=workflow_id,
        status=status_,
        trigger=trigger,
        started_after=started_after,
        started_before=started_before,
    )


RunFilterDep = Annotated[RunFilter, Depends(run_filter)]
