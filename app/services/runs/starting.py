"""Starting runs: what a run carries, and the one call that starts the interpreter on it.

Every run, whether started by hand, by a webhook, by a schedule or as a re-run, starts from
a `RunStart` (`RunStart.of`, or `prepare_start` which reads the plans its sub-workflows may
start), so what travels with a run is decided in one place.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from referencing.exceptions import Unresolvable
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from app.contract import search_attributes as attrs
from app.db.models import Workflow, WorkflowVersion
from app.errors import ConflictError, ErrorDetail, InvalidInputError
from app.language.plan import Plan
from app.services import sub_workflows
from app.services.metrics import count_run_started
from app.services.payload_limits import check_run_input
from app.store import event_subscriptions as subscriptions_store
from temporal.fairness import run_priority
from workflows.state import (
    INTERPRETER_WORKFLOW,
    RunInput,
    RunMetadata,
    TriggerInput,
    TriggerKind,
)

MEMO_REQUEST_HASH = "request_hash"
MEMO_RERUN_OF = "rerun_of"
MEMO_REUSED = "reused_nodes"
"""A rerun from a failed step: the nodes it kept from the run it reruns (`rerun_of`)."""


def new_run_id() -> str:
    return f"run_{secrets.token_hex(12)}"


def keyed_run_id(organization_id: str, scope: str, key: str) -> str:
    """The run id a caller's key names: the same key in the same organization, the same id."""
    digest = hashlib.sha256(f"{organization_id}\n{scope}\n{key}".encode()).hexdigest()
    return f"run_{scope}_{digest[:32]}"


def request_hash(*parts: Any) -> str:
    """A fingerprint of what a request asked for, to tell a repeat from a different request."""
    return hashlib.sha256(
        json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def trigger_node_of(plan: Plan, kind: TriggerKind) -> str:
    """The plan's first enabled trigger node of this kind."""
    found = [node_id for node_id in plan.triggers if plan.nodes[node_id].type == f"trigger.{kind}"]
    for node_id in found:
        if not plan.nodes[node_id].disabled:
            return node_id
    if found:
        raise ConflictError(
            f"the {kind} trigger '{found[0]}' is disabled, so it starts no run: enable it "
            "in a new version"
        )
    raise InvalidInputError(f"this workflow has no {kind} trigger")


@dataclass(frozen=True)
class RunStart:
    """What a run of one exact version starts with: its input (its plan, the trigger, its
    metadata, and the plans its sub-workflows may start) and what it is listed by."""

    input: RunInput
    search_attributes: TypedSearchAttributes
    summary: str
    """What the Temporal UI shows for the run: the workflow's name and its trigger."""

    @classmethod
    def of(
        cls,
        version: WorkflowVersion,
        *,
        trigger: TriggerKind,
        payload: Any,
        carried: Mapping[str, Plan],
        trigger_node: str | None = None,
        error_workflow_id: str | None = None,
        workflow_name: str | None = None,
        admit_by_quota: bool = False,
        run_events: bool = True,
    ) -> RunStart:
        """A run of `version` from its `trigger_node` (by default its first `trigger`).

        Args:
            carried: The plans its sub-workflows may start
                (`app.services.sub_workflows.plans_for`).
            run_events: Whether the run publishes its events (`RunInput.run_events`): a start
                that can read the subscriptions passes whether any listens
                (`listened_to`); schedules and polls, whose start input is fixed when they
                are set up, publish always.
        """
        plan = version.plan
        node_id = trigger_node or trigger_node_of(plan, trigger)
        if node_id not in plan.triggers or plan.nodes[node_id].type != f"trigger.{trigger}":
            raise InvalidInputError(f"node '{node_id}' is not a {trigger} trigger of this workflow")
        if plan.nodes[node_id].disabled:
            # The interpreter would pass straight through it: a disabled trigger starts nothing.
            raise ConflictError(
                f"trigger '{node_id}' is disabled, so it starts no run: enable it in a new version"
            )
        run_input = RunInput(
            plan=plan,
            workflows=dict(carried),
            trigger=TriggerInput(kind=trigger, node_id=node_id, payload=payload),
            metadata=RunMetadata(
                organization_id=version.organization_id,
                workflow_id=version.workflow_id,
                workflow_version=version.version,
                plan_hash=version.plan_hash,
            ),
            error_workflow_id=error_workflow_id,
            run_events=run_events,
            admit_by_quota=admit_by_quota,
        )
        search_attributes = attrs.for_run(
            organization_id=version.organization_id,
            workflow_id=version.workflow_id,
            version=version.version,
            trigger_kind=trigger,
        )
        summary = run_summary(workflow_name or version.workflow_id, trigger)
        return cls(input=run_input, search_attributes=search_attributes, summary=summary)


SUMMARY_LENGTH = 200
"""Temporal keeps a summary as user metadata on the start event; the UI shows one line."""


def run_summary(workflow_name: str, trigger: str) -> str:
    """`Announce launches (webhook)`: what an operator reads in the Temporal UI's run list
    instead of `FlowRun`. Names are the organization's own words, shown only to those who can
    read the namespace."""
    suffix = f" ({trigger})"
    return workflow_name[: SUMMARY_LENGTH - len(suffix)] + suffix


async def prepare_start(
    session: AsyncSession,
    version: WorkflowVersion,
    *,
    trigger: TriggerKind,
    payload: Any,
    trigger_node: str | None = None,
) -> RunStart:
    """`RunStart.of`, with the plans its sub-workflows may start read from the database.

    Raises:
        ConflictError: A sub-workflow's pinned version no longer exists.
    """
    carried = await sub_workflows.plans_for(session, version)
    workflow = await session.get(Workflow, version.workflow_id)
    return RunStart.of(
        version,
        trigger=trigger,
        payload=payload,
        carried=carried,
        trigger_node=trigger_node,
        error_workflow_id=workflow.error_workflow_id if workflow else None,
        workflow_name=workflow.name if workflow else None,
        run_events=await listened_to(session, version),
    )


async def listened_to(session: AsyncSession, version: WorkflowVersion) -> bool:
    """Whether a run of `version` starting now has a subscription to publish its events to.
    A run no one listens to skips the publishing step at each of its events (a local
    activity and a database read in the worker: ~8 % of a short run's CPU,
    bench/README.md), so a subscription hears of the runs started after it was enabled."""
    return await subscriptions_store.any_for_workflow(
        session, organization_id=version.organization_id, workflow_id=version.workflow_id
    )


def check_manual_input(run_input: RunInput, payload: Any) -> None:
    """Refuse input the manual trigger's `input_schema` does not accept, naming every field."""
    schema = run_input.plan.nodes[run_input.trigger.node_id].parameters.get("input_schema")
    if not schema:
        return
    validator = jsonschema.Draft202012Validator(schema)
    try:
        problems = sorted(validator.iter_errors(payload), key=lambda error: list(error.path))
    except Unresolvable as error:
        # Versions stored before refs were checked at validation: never fetch, never a 500.
        raise InvalidInputError(
            "the manual trigger's input_schema has a $ref that does not resolve inside it: "
            "save the workflow again with local refs only",
            [
                ErrorDetail(
                    message=f"cannot resolve $ref '{error.ref}'",
                    path=("body", "input"),
                    node_id=run_input.trigger.node_id,
                    code="input_schema",
                )
            ],
        ) from None
    if problems:
        raise InvalidInputError(
            "the input does not match the manual trigger's input_schema",
            [
                ErrorDetail(
                    message=problem.message,
                    path=("body", "input", *problem.path),
                    node_id=run_input.trigger.node_id,
                    code="input_schema",
                )
                for problem in problems[:50]
            ],
        )


@dataclass(frozen=True)
class StartedRun:
    id: str
    workflow_id: str
    workflow_version: int
    created: bool
    """False when the run id named a run that already existed (a repeated request)."""


async def start_run(
    client: Client,
    start: RunStart,
    *,
    task_queue: str,
    run_id: str | None = None,
    fingerprint: str | None = None,
    rerun_of: str | None = None,
    reused: list[str] | None = None,
    payload_field: tuple[str | int, ...] = ("body", "input"),
) -> StartedRun:
    """Start the interpreter on `start`; the run id is its Temporal workflow id.

    A given `run_id` is never started twice, even after the first run ended: the existing
    run is returned instead, unless its `fingerprint` differs (the same key sent with
    another request), which is a conflict. An input too large for Temporal is a 413 naming
    `payload_field`, where the trigger's payload came from.
    """
    check_run_input(start.input, field=payload_field)
    memo: dict[str, Any] = {}
    if fingerprint is not None:
        memo[MEMO_REQUEST_HASH] = fingerprint
    if rerun_of is not None:
        memo[MEMO_RERUN_OF] = rerun_of
    if reused is not None:
        memo[MEMO_REUSED] = reused
    chosen = run_id or new_run_id()
    metadata = start.input.metadata
    try:
        await client.start_workflow(
            INTERPRETER_WORKFLOW,
            start.input,
            id=chosen,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            memo=memo or None,
            search_attributes=start.search_attributes,
            priority=run_priority(metadata.organization_id),
            static_summary=start.summary,
        )
    except WorkflowAlreadyStartedError:
        if run_id is None:
            raise
        description = await client.get_workflow_handle(chosen).describe()
        earlier = (await description.memo()).get(MEMO_REQUEST_HASH)
        if fingerprint is not None and earlier != fingerprint:
            raise ConflictError(
                "this Idempotency-Key was already used with a different request"
            ) from None
        created = False
    else:
        created = True
        count_run_started(start.input.trigger.kind)
    return StartedRun(
        id=chosen,
        workflow_id=metadata.workflow_id,
        workflow_version=metadata.workflow_version,
        created=created,
    )
