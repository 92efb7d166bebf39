"""The run service: the one way every trigger starts runs, and the API reads and acts on them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from app.db.engine import release
from app.db.models import BulkOperation
from app.errors import AppError, ConflictError, TooManyRequestsError
from app.services import payload_limits
from app.services.quotas import RunQuotas
from app.services.runs import bulk as bulk_runs
from app.services.runs import control, rerunning
from app.services.runs.bulk import BulkOutcome, BulkRequest
from app.services.runs.deciders import Decider
from app.services.runs.details import trigger_payload
from app.services.runs.listing import RunFilter, RunPage, list_runs
from app.services.runs.node_details import NodeView, node_view
from app.services.runs.reading import (
    RunView,
    describe_run,
    follow_views,
    read_view,
    view_when_ended,
)
from app.services.runs.rerunning import CorrectedInput, RerunFrom, RerunVersion
from app.services.runs.starting import (
    RunStart,
    StartedRun,
    check_manual_input,
    keyed_run_id,
    prepare_start,
    request_hash,
    start_run,
)
from app.store import bulk_operations as bulk_store
from app.store import workflows as store
from workflows.state import SUB_WORKFLOW_TRIGGER, DecisionInput, EventInput


class RunService:
    """Runs on one Temporal namespace and task queue. Every call names the organization it
    acts for: another organization's run is not found (404)."""

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        page_token_key: str,
        quotas: RunQuotas | None = None,
    ) -> None:
        """
        Args:
            page_token_key: Signs the page tokens of `list`, so a caller can only hand back
                a token it was given (`app.services.runs.listing`).
            quotas: Checked before every start (`app.services.quotas`); None: no quotas.
        """
        self._client = client
        self._task_queue = task_queue
        self._page_token_key = page_token_key
        self._quotas = quotas

    async def start(
        self,
        start: RunStart,
        *,
        run_id: str | None = None,
        fingerprint: str | None = None,
        rerun_of: str | None = None,
        reused: list[str] | None = None,
        payload_field: tuple[str | int, ...] = ("body", "input"),
    ) -> StartedRun:
        """Start a run (`app.services.runs.starting.start_run`); webhooks call this with the
        `prepare_start` they made before giving their database connection back.

        Raises:
            TooManyRequestsError: One of the organization's quotas is spent.
        """
        admission = None
        if self._quotas is not None:
            try:
                admission = await self._quotas.admit(start.input.metadata.organization_id)
            except TooManyRequestsError:
                # A repeat of a request that started its run answers with that run, as it
                # would under the quota: it starts nothing.
                if run_id is None or not await self._exists(run_id):
                    raise
        try:
            started = await start_run(
                self._client,
                start,
                task_queue=self._task_queue,
                run_id=run_id,
                fingerprint=fingerprint,
                rerun_of=rerun_of,
                reused=reused,
                payload_field=payload_field,
            )
        except BaseException:
            if admission is not None and self._quotas is not None:
                await self._quotas.give_back(admission)
            raise
        if not started.created and admission is not None and self._quotas is not None:
            await self._quotas.give_back(admission)
        return started

    async def _exists(self, run_id: str) -> bool:
        try:
            await self._client.get_workflow_handle(run_id).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def start_manual(
        self,
        session: AsyncSession,
        *,
        organization_id: str,
        workflow_id: str,
        version: int | None,
        payload: Any,
        idempotency_key: str | None,
    ) -> StartedRun:
        """Start a run of `version` (None: the latest) from its manual trigger, with `payload`
        checked against the trigger's `input_schema`; `session` is released (`release`) before
        Temporal is called. An `idempotency_key` used before names
        the run it started (`created` False), or is a conflict with a different request."""
        stored = await store.get_version(
            session, organization_id=organization_id, workflow_id=workflow_id, version=version
        )
        start = await prepare_start(session, stored, trigger="manual", payload=payload)
        await release(session)
        check_manual_input(start.input, payload)
        return await self.start(
            start,
            run_id=keyed_run_id(organization_id, "key", idempotency_key)
            if idempotency_key
            else None,
            fingerprint=request_hash(workflow_id, version, payload),
        )

    async def rerun(
        self,
        session: AsyncSession,
        *,
        organization_id: str,
        run_id: str,
        start_from: RerunFrom = "start",
        version: RerunVersion = "same",
        corrected_input: CorrectedInput | None = None,
    ) -> StartedRun:
        """Start a failed, cancelled, terminated or timed-out run again, linked by
        `rerun_of`: from its start, or from the step that failed (keeping what the failed run
        finished, `app.services.runs.rerunning`); on its own version or the workflow's
        latest; with the input its chain started with, or `corrected_input`.

        Raises:
            ConflictError: The run cannot be rerun so: it succeeded or runs; it is a child
                run; it kept no progress to start from; or the latest version no longer
                fits what the rerun would keep (each node that does not, in the details).
        """
        ended = await rerunning.ended_run(
            self._client, organization_id=organization_id, run_id=run_id
        )
        original = ended.input
        trigger = original.trigger
        if trigger.kind == SUB_WORKFLOW_TRIGGER:
            raise ConflictError(
                f"run '{run_id}' is a sub-workflow run: re-run the run that started it"
            )
        stored = await store.get_version(
            session,
            organization_id=organization_id,
            workflow_id=original.metadata.workflow_id,
            version=original.metadata.workflow_version if version == "same" else None,
        )
        rerunning.check_trigger(stored.plan, trigger.node_id, trigger.kind, stored.version)
        payload = trigger.payload if corrected_input is None else corrected_input.payload
        start = await prepare_start(
            session, stored, trigger=trigger.kind, payload=payload, trigger_node=trigger.node_id
        )
        await release(session)
        if corrected_input is not None and trigger.kind == "manual":
            check_manual_input(start.input, payload)
        if start_from == "start":
            return await self.start(start, rerun_of=run_id)
        state, kept = rerunning.kept_progress(run_id, ended)
        kept = rerunning.without_triggers(kept, original.plan)
        problems = rerunning.mismatches(kept, original.plan, start.input.plan)
        if problems:
            raise ConflictError(
                f"version {stored.version} no longer fits what a rerun of '{run_id}' from its "
                "failed step would keep: rerun it from the start, or restore the nodes named",
                problems,
            )
        resumed = rerunning.resumed_from_failure(start.input, state, kept)
        return await self.start(
            replace(start, input=resumed),
            rerun_of=run_id,
            reused=rerunning.reused_nodes(kept),
        )

    async def bulk(
        self,
        session: AsyncSession,
        *,
        asked: BulkRequest,
        where: RunFilter,
        dry_run: bool,
    ) -> BulkOutcome:
        """Cancel, terminate or rerun every run `where` matches (`app.services.runs.bulk`);
        a dry run only counts them. Anything else is recorded with who asked."""
        where = bulk_runs.filter_for(asked.action, where)
        await release(session)
        matched = await bulk_runs.matching(
            self._client,
            organization_id=asked.organization_id,
            where=where,
            limit=bulk_runs.limit_of(asked.action),
        )
        if dry_run:
            return BulkOutcome(where=where, matched=matched, operation=None)
        bulk_runs.check_bounded(matched, asked.action)
        operation = BulkOperation(
            organization_id=asked.organization_id,
            action=asked.action,
            filter=bulk_runs.filter_record(where),
            options=asked.options(),
            matched=matched.count,
            run_ids=matched.run_ids,
            outcomes={},
            key_id=asked.key_id,
            person=asked.person,
        )
        if asked.action == "rerun":
            operation.outcomes = await self._rerun_each(session, asked, matched.run_ids)
        elif matched.run_ids:
            operation.batch_job_id = operation.id
            await bulk_runs.stop_in_batch(
                self._client,
                action=asked.action,
                job_id=operation.id,
                run_ids=matched.run_ids,
                reason=asked.reason,
                identity=f"flowhold key {asked.key_id}",
            )
        stored = await bulk_store.record_operation(session, operation)
        return BulkOutcome(where=where, matched=matched, operation=stored)

    async def _rerun_each(
        self, session: AsyncSession, asked: BulkRequest, run_ids: list[str]
    ) -> dict[str, Any]:
        outcomes: dict[str, Any] = {}
        for run_id in run_ids:
            try:
                started = await self.rerun(
                    session,
                    organization_id=asked.organization_id,
                    run_id=run_id,
                    start_from=asked.start_from,
                    version=asked.version,
                )
            except AppError as refused:
                outcomes[run_id] = {"error": refused.message}
            else:
                outcomes[run_id] = {"run_id": started.id}
        return outcomes

    async def batch_progress(self, job_id: str) -> bulk_runs.BatchProgress:
        """How far the Temporal batch operation of a bulk cancel or terminate has gone."""
        return await bulk_runs.describe_batch(self._client, job_id)

    async def read(self, *, organization_id: str, run_id: str) -> RunView:
        """The run now: live while it runs, its final state once it has ended; with the
        trigger payload it started with."""
        handle, description = await describe_run(
            self._client, organization_id=organization_id, run_id=run_id
        )
        view = await read_view(self._client, handle, description)
        return replace(view, input=await trigger_payload(self._client, handle, description))

    async def node(self, *, organization_id: str, run_id: str, node_id: str) -> NodeView:
        """One node of the run with what it received and each attempt of its work."""
        handle, description = await describe_run(
            self._client, organization_id=organization_id, run_id=run_id
        )
        view = await read_view(self._client, handle, description)
        return await node_view(self._client, handle, description, view, node_id)

    async def list(
        self, *, organization_id: str, where: RunFilter, page_size: int, page_token: str | None
    ) -> RunPage:
        """One page of the organization's runs, newest first (from Temporal's visibility)."""
        return await list_runs(
            self._client,
            organization_id=organization_id,
            where=where,
            page_size=page_size,
            page_token=page_token,
            signing_key=self._page_token_key,
        )

    async def follow(
        self, *, organization_id: str, run_id: str, poll: timedelta
    ) -> AsyncIterator[RunView]:
        """Each new view of the run until it has ended, the first one at once; a run that is
        not found is refused here, before anything is iterated."""
        handle, description = await describe_run(
            self._client, organization_id=organization_id, run_id=run_id
        )
        return follow_views(self._client, handle, description, poll)

    async def wait(self, *, organization_id: str, run_id: str, seconds: float) -> RunView | None:
        """The run once it has ended, if it ends within `seconds`; None otherwise."""
        handle, _ = await describe_run(self._client, organization_id=organization_id, run_id=run_id)
        return await view_when_ended(self._client, handle, seconds)

    async def event(self, *, organization_id: str, run_id: str, name: str, payload: Any) -> None:
        """Deliver a named event to the run's `wait_for_event` nodes (`control.send_event`)."""
        event = EventInput(name=name, payload=payload)
        payload_limits.check_event(event)
        await control.send_event(
            self._client, organization_id=organization_id, run_id=run_id, event=event
        )

    async def decide(
        self,
        *,
        organization_id: str,
        run_id: str,
        node_id: str | None,
        approved: bool,
        comment: str,
        decider: Decider,
    ) -> str:
        """Approve or reject a waiting approval as `decider`; returns the node decided
        (`control.decide`)."""
        decision = DecisionInput(
            node_id=node_id,
            approved=approved,
            comment=comment,
            by=decider.by,
            verified=decider.verified,
            via=decider.via,
            key_id=decider.key_id,
            link_id=decider.link_id,
        )
        return await control.decide(
            self._client, organization_id=organization_id, run_id=run_id, decision=decision
        )

    async def cancel(self, *, organization_id: str, run_id: str) -> None:
        """Ask the run to stop: its waits and actions are cancelled, it ends `cancelled`."""
        await control.cancel(self._client, organization_id=organization_id, run_id=run_id)

    async def terminate(self, *, organization_id: str, run_id: str, reason: str) -> None:
        """Stop the run at once, without letting it clean up: it ends `terminated`."""
        await control.terminate(
            self._client, organization_id=organization_id, run_id=run_id, reason=reason
        )
