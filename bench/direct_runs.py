"""Starting runs of a stack's workflow with the Temporal client directly, as the API would.

The API's `POST /workflows/{id}/runs` reads the version, builds a `RunStart` and calls
`client.start_workflow` (`app.services.runs.starting.start_run`). Benches that compare with
it, or that only need many runs started fast, read the version once from the stack's own
database and make every start the same call with the same input, search attributes,
priority and memo, without the HTTP request, authentication and database reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, create_engine, select
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy

from app.db.models import WorkflowVersion
from app.services.runs.starting import MEMO_REQUEST_HASH, RunStart, new_run_id, request_hash
from temporal.fairness import run_priority
from workflows.state import INTERPRETER_WORKFLOW


@dataclass(frozen=True)
class StackWorkflow:
    """A workflow created on a stack through its API, with what a direct start needs."""

    id: str
    version: WorkflowVersion
    task_queue: str


async def create_workflow(api: httpx.AsyncClient, graph: dict[str, Any], name: str) -> str:
    created = await api.post("/workflows", json={"name": name, "graph": graph})
    if created.status_code != 201:
        raise SystemExit(f"the workflow was refused: {created.text}")
    return str(created.json()["id"])


def stored_version(data_dir: Path, workflow_id: str) -> WorkflowVersion:
    """The workflow's latest version as the API reads it, from the stack's SQLite file."""
    engine = create_engine(f"sqlite:///{data_dir / 'flowhold.db'}")
    try:
        with Session(engine) as session:
            found = session.exec(
                select(WorkflowVersion)
                .where(WorkflowVersion.workflow_id == workflow_id)
                .order_by(WorkflowVersion.version.desc())  # type: ignore[attr-defined]
            ).first()
            if found is None:
                raise SystemExit(f"no version of {workflow_id} in {data_dir}")
            session.expunge(found)
            return found
    finally:
        engine.dispose()


def run_start(version: WorkflowVersion, payload: Any) -> RunStart:
    """What `start_manual` builds for this version (no sub-workflows, no error workflow)."""
    return RunStart.of(version, trigger="manual", payload=payload, carried={})


async def start_directly(
    client: Client, workflow: StackWorkflow, start: RunStart, payload: Any
) -> str:
    """The Temporal call `start_run` makes for a manual start without an Idempotency-Key."""
    run_id = new_run_id()
    await client.start_workflow(
        INTERPRETER_WORKFLOW,
        start.input,
        id=run_id,
        task_queue=workflow.task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        memo={MEMO_REQUEST_HASH: request_hash(workflow.id, None, payload)},
        search_attributes=start.search_attributes,
        priority=run_priority(workflow.version.organization_id),
    )
    return run_id
