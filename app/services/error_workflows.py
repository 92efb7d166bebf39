"""Starting a workflow's error workflow when one of its runs fails.

The interpreter calls this activity once, as its failed run ends (`workflows.run`), so it is
durable: a worker that dies meanwhile leaves the activity to be retried, and the error run's
id derives from the failed run's (`ERROR_RUN_SUFFIX`), so a retry never starts a second one.
The error workflow is read when the run fails (its latest version, from its manual trigger):
one deleted meanwhile, or without a manual trigger, is skipped with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from temporalio import activity

from activities.services import ActionServices
from app.contract.failed_runs import ERROR_RUN_SUFFIX, ERROR_WORKFLOW_ACTIVITY, FailedRun
from app.db.engine import Database
from app.errors import AppError, PayloadTooLargeError
from app.services.polling import poll_activities
from app.services.run_admission import ScheduledRunAdmission
from app.services.runs.starting import RunStart, prepare_start, start_run
from app.store import workflows as store

logger = logging.getLogger(__name__)


class ErrorWorkflows:
    """The activity, on the worker's database and task queue."""

    def __init__(self, database: Database, task_queue: str) -> None:
        self._database = database
        self._task_queue = task_queue

    @activity.defn(name=ERROR_WORKFLOW_ACTIVITY)
    async def start(self, failed: FailedRun) -> str | None:
        """Start the error workflow with `failed`'s details; its run id, or None when there
        is no error workflow to start."""
        starts = await self._starts(failed)
        if starts is None:
            return None
        client = activity.client()
        run_id = failed.run_id + ERROR_RUN_SUFFIX
        for start in starts:
            try:
                started = await start_run(client, start, task_queue=self._task_queue, run_id=run_id)
            except PayloadTooLargeError:
                continue  # the failed run's input is too large to pass on: without it
            return started.id
        return None

    async def _starts(self, failed: FailedRun) -> list[RunStart] | None:
        """The error run's start, with the failed run's input and without it."""
        async with self._database.session() as session:
            try:
                version = await store.get_version(
                    session,
                    organization_id=failed.organization_id,
                    workflow_id=failed.error_workflow_id,
                )
                return [
                    await prepare_start(
                        session, version, trigger="manual", payload=failed.details(with_input=keep)
                    )
                    for keep in (True, False)
                ]
            except AppError as error:
                logger.warning(
                    "run %s failed; its error workflow %s was not started: %s",
                    failed.run_id,
                    failed.error_workflow_id,
                    error.message,
                )
                return None


def engine_activities(services: ActionServices, task_queue: str) -> Sequence[Callable[..., Any]]:
    """The activities a worker registers beside the platforms' (`temporal.worker`)."""
    return [
        ErrorWorkflows(services.database, task_queue).start,
        *poll_activities(services.database, task_queue),
        ScheduledRunAdmission(services.database).admit,
    ]
