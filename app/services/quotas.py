"""An organization's run quotas, checked before every run the API starts: `runs_per_hour`
(runs started per clock hour, UTC) and `max_concurrent_runs` (top-level runs running at once).

Runs per hour are counted in the database (`app.store.quotas`: one row per organization and
hour, raised by an atomic conditional `UPDATE`), so every API process shares one count and a
restart forgets nothing. A start that turns out to start nothing (a repeated request naming
a run that exists, a start Temporal refused) gives its count back.

Runs at once are counted in Temporal's visibility store: running runs carrying the
organization's search attribute. Nothing has to be released when a run ends, so nothing
leaks when a run ends while no API process is up, is terminated, or times out; the price is
that visibility is eventually consistent, and starts racing each other within that delay
may pass the limit by the few in flight. Sub-workflow runs are part of their parent's run:
they are neither counted nor refused (a parent would fail half-way otherwise). Error
workflows do not pass through here (see the README).

Runs fired by Temporal Schedules never pass through the API: such a run, before its first
node, asks an engine activity (`app.services.run_admission`) to admit it. A
refused one does none of its work and fails with `QuotaExceeded` (not retried; the message
names the quota and when it frees); the schedule's next firing tries again. Its hour's count
is taken once per execution however often the activity is retried
(`app.store.quotas.admit_scheduled_run`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from app.contract import search_attributes as attrs
from app.db.engine import Database
from app.db.models import Organization
from app.errors import ErrorDetail, TooManyRequestsError
from app.store import quotas as store
from workflows.state import INTERPRETER_WORKFLOW, SUB_WORKFLOW_TRIGGER

CONCURRENCY_RETRY_AFTER = 30
"""Seconds a start refused for runs at once is told to wait: when a run ends is unknown."""

QUOTA_RUNS_PER_HOUR = "quota_runs_per_hour"
QUOTA_CONCURRENT_RUNS = "quota_concurrent_runs"


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def running_query(organization_id: str, *, besides: str | None = None) -> str:
    """The organization's top-level runs that are running now, in Temporal's list filter;
    other than the run `besides` (a scheduled run asking is running already)."""
    terms = [
        f"WorkflowType = '{INTERPRETER_WORKFLOW}'",
        f"{attrs.ORGANIZATION_ID.name} = '{organization_id}'",
        "ExecutionStatus = 'Running'",
        f"{attrs.TRIGGER_KIND.name} != '{SUB_WORKFLOW_TRIGGER}'",
    ]
    if besides is not None:
        terms.append(f"WorkflowId != '{besides}'")
    return " AND ".join(terms)


@dataclass(frozen=True)
class Admission:
    """A start the quotas let through; `hour` is the hour it was counted in, if it was."""

    organization_id: str
    hour: datetime | None


class RunQuotas:
    """The quotas of every organization, read from the database at each start."""

    def __init__(self, database: Database, client: Client) -> None:
        self._database = database
        self._client = client

    async def admit(
        self,
        organization_id: str,
        *,
        now: datetime | None = None,
        run_id: str | None = None,
        execution_id: str | None = None,
    ) -> Admission:
        """Let one start through, counting it, or refuse it. `run_id` names a run that has
        started already (one a schedule fired): it is not counted among the runs at once; and
        admitting its `execution_id` again answers the same without counting it again.

        Raises:
            TooManyRequestsError: A quota is spent; `retry_after` says when to try again.
        """
        now = now or datetime.now(UTC)
        async with self._database.session() as session:
            organization = await session.get(Organization, organization_id)
        # The session is closed: no pool connection waits on Temporal's answer below.
        if organization is None:
            return Admission(organization_id, None)
        per_hour = organization.runs_per_hour
        at_once = organization.max_concurrent_runs
        if at_once is not None:
            query = running_query(organization_id, besides=run_id)
            running = (await self._client.count_workflows(query)).count
            if running >= at_once:
                message = (
                    f"the organization has {running} runs running and its quota "
                    f"max_concurrent_runs is {at_once}: try again once runs have ended"
                )
                raise TooManyRequestsError(
                    message,
                    [ErrorDetail(message, ("organization", "quotas", "max_concurrent_runs"),
                                 code=QUOTA_CONCURRENT_RUNS)],
                    retry_after=CONCURRENCY_RETRY_AFTER,
                )  # fmt: skip
        if per_hour is None:
            return Admission(organization_id, None)
        hour = hour_of(now)
        async with self._database.session() as session:
            if execution_id is None:
                counted = await store.take_run_start(
                    session, organization_id=organization_id, hour=hour, limit=per_hour
                )
            else:
                counted = await store.admit_scheduled_run(
                    session, organization_id=organization_id, execution_id=execution_id,
                    hour=hour, limit=per_hour,
                )  # fmt: skip
            if not counted:
                next_hour = hour + timedelta(hours=1)
                wait = max(1, math.ceil((next_hour - now).total_seconds()))
                message = (
                    f"the organization started {per_hour} runs this hour, its quota "
                    f"runs_per_hour: try again at {next_hour.isoformat()}"
                )
                raise TooManyRequestsError(
                    message,
                    [ErrorDetail(message, ("organization", "quotas", "runs_per_hour"),
                                 code=QUOTA_RUNS_PER_HOUR)],
                    retry_after=wait,
                )  # fmt: skip
        return Admission(organization_id, hour)

    async def give_back(self, admission: Admission) -> None:
        """Uncount an admitted start that started nothing."""
        if admission.hour is None:
            return
        async with self._database.session() as session:
            await store.give_back_run_start(
                session, organization_id=admission.organization_id, hour=admission.hour
            )
