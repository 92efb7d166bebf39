"""Waiting nodes: durable delays, events delivered by signal, approvals decided by update.

A wait is shown in the run's state while it lasts, and it can be parked: when the run
continues as new, the next run picks it up with the same deadline.

A `wait_for_event` whose `match` raises on a delivered event (it reads a key the payload
lacks as a number, compares text with a number...) fails its node with an
`ExpressionError` naming the event, and that event is consumed: the node's `on_error`
decides what follows, as for any failure. Events before it that match are taken first.

An event goes to exactly one waiting node. When several waits could take events at the same
moment (two `wait_for_event` nodes for the same name, or iterations of a loop), they are
served in plan order: by node id, then by loop iteration; each takes the oldest event it
matches that no wait before it took, and the others keep waiting (`EVENT_PER_WAIT_PATCH`).
The matches of one workflow task share a budget of work (`matching.Matching`): past it, the
waits breathe and match on in the next task.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from app.contract.approvals import which_approval
    from app.contract.failures import FailureType
    from app.language.nodes.flow import (
        ApprovalParameters,
        DelayParameters,
        WaitForEventParameters,
    )
    from app.language.plan import Plan, PlanNode
    from workflows.bounded import as_json
    from workflows.errors import NodeFailedError
    from workflows.matching import Matching
    from workflows.node_status import STOP_WAITING, WAIT, move
    from workflows.scope import Outcome, Scope
    from workflows.state import (
        APPROVER_REFUSED,
        DecisionInput,
        EventInput,
        Parked,
        RunLimits,
        RunState,
        WaitingFor,
        expected_events,
    )

EVENT_BOUNDS_PATCH = "event-buffer-bounds"
"""Runs recorded before undelivered events were bounded keep every event (INVARIANTS.md)."""
EVENT_PER_WAIT_PATCH = "one-event-per-wait-in-plan-order"
"""Runs recorded before served concurrent event waits in the order they started waiting,
and failed the second of two that matched the same event. Only called when a second event
wait starts while another waits."""


FINISH_FOUND_WAITS_PATCH = "finish-waits-that-found-their-event"
"""Runs recorded before parked an event wait that had found its event but not taken it yet
(INVARIANTS.md). Only called when such a wait is asked to park."""


def _nothing_found() -> bool:
    return False


@dataclass
class _ParkedWait:
    what: WaitingFor
    found: Callable[[], bool] = _nothing_found
    """Whether what it waits for is there, and it is about to take it."""

    def parkable(self) -> bool:
        # An event found but not taken yet would travel in the next run's bounded buffer,
        # where the signals piling up while the run continues could push it out before the
        # wait is back: the wait takes it first, then the run continues.
        return not (self.found() and workflow.patched(FINISH_FOUND_WAITS_PATCH))

    def snapshot(self) -> Parked:
        return Parked(wait=self.what)


@dataclass(eq=False)
class _EventWait:
    """A `wait_for_event` under way, and the event it found."""

    order: tuple[str, tuple[int, ...]]
    """Where it is served among waits at the same moment: node id, then loop iteration."""
    parameters: WaitForEventParameters
    context: dict[str, Any]
    taken: EventInput | None = None
    broken: str | None = None
    """Why the match failed on `taken`, when it did."""
    found: bool = False
    """Its condition came true: `taken` is its, whatever arrives before it resumes."""
    unmatched: dict[int, EventInput] = field(default_factory=dict)
    """Events its match was false for, by identity: a match reads only the wait's context
    and the event, so they are not matched again (the dict keeps them, so ids stay theirs)."""


class Waits:
    """What the run waits for, and the events and decisions that arrived for it."""

    def __init__(
        self,
        plan: Plan,
        state: RunState,
        events: list[EventInput],
        decisions: dict[str, DecisionInput],
        limits: RunLimits,
    ) -> None:
        self.plan = plan
        self.state = state
        self.events = events
        """Delivered and not consumed yet, oldest first."""
        self._sizes = [_json_size(event) for event in events]
        """The JSON size of each of `events`, in the same order."""
        self.decisions = decisions
        self.limits = limits
        self.expected = expected_events(plan)
        self._event_waits: list[_EventWait] = []
        """Event waits under way, in the order they started."""
        self._in_plan_order = False
        """Whether event waits are served in plan order (`EVENT_PER_WAIT_PATCH`)."""
        self._changes = 0
        """Counts changes to the events and the event waits, so that one `_assign` serves
        every wait's condition until something changes."""
        self._assigned_at = -1
        self.matching = Matching()
        """The work of matching events in the current workflow task (`matching.py`)."""
        self.announce_approval: Callable[[str], Awaitable[None]] | None = None
        """Told of each approval as it starts waiting (not as a parked one is picked up
        again after continue-as-new): the run publishes it to its subscriptions."""

    # -- signals and updates ------------------------------------------------------------

    def deliver(self, event: EventInput) -> None:
        """Keep the event for a wait, within bounds: an event no wait of the plan is for is
        dropped, and past `RunLimits`' buffer bounds the oldest are (both counted in
        `RunState.dropped_events`), so a flood of events never grows the run's memory or its
        continue-as-new input. Only patched when it drops (`EVENT_BOUNDS_PATCH`)."""
        if event.name not in self.expected and workflow.patched(EVENT_BOUNDS_PATCH):
            self.state.dropped_events.unexpected += 1
            return
        self.events.append(event)
        self._sizes.append(_json_size(event))
        self._changes += 1
        limits = self.limits
        while len(self.events) > limits.buffered_events or (
            sum(self._sizes) > limits.buffered_event_bytes
        ):
            if not workflow.patched(EVENT_BOUNDS_PATCH):
                return
            self._take(0)
            self.state.dropped_events.overflow += 1

    def _take(self, index: int) -> EventInput:
        self._changes += 1
        del self._sizes[index]
        return self.events.pop(index)

    def waits_in(self, node_id: str) -> bool:
        """Whether `node_id` waits now (in any loop iteration)."""
        return any(wait.node_id == node_id for wait in self.state.waiting_for)

    def pending_approvals(self) -> list[str]:
        return [wait.node_id for wait in self.state.waiting_for if wait.kind == "approval"]

    def check_decision(self, decision: DecisionInput) -> str:
        # A validator's refusal leaves nothing in the history: its wording may change freely.
        """The approval node the decision is for; raises if it answers nothing waiting."""
        pending = self.pending_approvals()
        if decision.node_id is None:
            if len(pending) != 1:
                raise ValueError(which_approval(pending))
            node_id = pending[0]
        elif decision.node_id not in pending:
            raise ValueError(f"node '{decision.node_id}' is not waiting for an approval")
        else:
            node_id = decision.node_id
        approvers = self._approvers(node_id)
        if approvers and decision.by not in approvers:
            raise ApplicationError(
                f"'{decision.by}' is not among the approvers of approval '{node_id}'",
                type=APPROVER_REFUSED,
            )
        return node_id

    def check_approver(self, decision: DecisionInput) -> None:
        """Refuse, before it is accepted, a decision for an approval that names its approvers
        unless the API established who decides (`DecisionInput.verified`): a name alone
        proves nothing. Only the update's validator checks this, so decisions recorded
        before it replay as they were taken."""
        node_id = self.check_decision(decision)
        if self._approvers(node_id) and not decision.verified:
            raise ApplicationError(
                f"approval '{node_id}' names its approvers: '{decision.by}' must decide with "
                "an API key bound to them, or with their approval link (this key is bound "
                "to no person)",
                type=APPROVER_REFUSED,
            )

    def _approvers(self, node_id: str) -> list[str]:
        """Who may decide the approval `node_id` waits for: as rendered when it started."""
        for wait in self.state.waiting_for:
            if wait.node_id == node_id and wait.approvers is not None:
                return wait.approvers
        # Parked by an earlier version that kept no rendered list: the plan's, as it was.
        approvers: list[str] = self.plan.nodes[node_id].parameters.get("approvers") or []
        return approvers

    # -- nodes ----------------------------------------------------------------------------

    async def delay(
        self, node: PlanNode, parameters: Any, context: dict[str, Any], scope: Scope,
        parked: Parked | None,
    ) -> Outcome:  # fmt: skip
        now = workflow.now()
        until = parked.wait.until if parked and parked.wait else None
        if until is None:
            until = _moment(parameters, now)
        with self._waiting(scope, WaitingFor(node_id=node.id, kind="delay", until=until)):
            if until > now:
                await workflow.sleep(until - now)
        return Outcome("out", {"resumed_at": workflow.now().isoformat()})

    async def wait_for_event(
        self, node: PlanNode, parameters: Any, context: dict[str, Any], scope: Scope,
        parked: Parked | None,
    ) -> Outcome:  # fmt: skip
        wait = _EventWait(
            order=(node.id, tuple(int(index) for index in scope.iteration().split("/"))),
            parameters=parameters,
            context=context,
        )
        what = WaitingFor(
            node_id=node.id,
            kind="event",
            event=wait.parameters.event,
            until=_deadline(wait.parameters.timeout, parked),
        )
        if self._event_waits and not self._in_plan_order:
            self._in_plan_order = workflow.patched(EVENT_PER_WAIT_PATCH)
        self._event_waits.append(wait)
        self._changes += 1
        try:
            with self._waiting(scope, what, found=lambda: self._found(wait)):
                while True:
                    if not await _wait_until(
                        lambda: self._found(wait) or self.matching.short, what.until
                    ):
                        return Outcome("timeout", None)
                    if wait.found:
                        break
                    await self.matching.breathe()  # matched enough in this task: go on
        finally:
            self._event_waits.remove(wait)
            self._changes += 1
        event = wait.taken
        assert event is not None
        if self._in_plan_order:
            self._take(next(i for i, kept in enumerate(self.events) if kept is event))
        else:
            self._take(self.events.index(event))
        if wait.broken is not None:
            # The event is consumed with the failure, so a retry or a later wait of the
            # same event does not stumble on it again.
            raise NodeFailedError(
                f"the match expression failed on event '{event.name}': {wait.broken}",
                type=FailureType.ExpressionError,
            )
        return Outcome("out", event.payload)

    def _found(self, wait: _EventWait) -> bool:
        """Whether an event for `wait` is there (in `wait.taken`).

        Runs inside Temporal's condition check, where an exception would fail the workflow
        task (retried forever): a match that raises ends the wait instead.
        """
        self.matching.new_task()
        if self._in_plan_order:
            self._assign()
        elif not wait.found:
            self._oldest_match(wait, self.events)
        wait.found = wait.taken is not None
        return wait.found

    def _assign(self) -> None:
        """Give each event wait the oldest event it matches that no wait before it in plan
        order took; waits that found theirs already keep them."""
        if self._assigned_at == self._changes:
            return
        self._assigned_at = self._changes
        kept = {id(wait.taken) for wait in self._event_waits if wait.found}
        available = [event for event in self.events if id(event) not in kept]
        for wait in sorted(self._event_waits, key=lambda waiting: waiting.order):
            if wait.found:
                continue
            wait.taken, wait.broken = None, None
            self._oldest_match(wait, available)
            if wait.taken is not None:
                available = [event for event in available if event is not wait.taken]
        if self.matching.short:
            self._assigned_at = -1  # not every wait was served: again after the breath

    def _oldest_match(self, wait: _EventWait, events: list[EventInput]) -> None:
        """Set `wait.taken` to the first of `events` it matches, or whose match fails."""
        parameters = wait.parameters
        if len(wait.unmatched) > 2 * len(self.events):
            # Only those still buffered can come up again: a long wait keeps no more.
            kept = wait.unmatched
            wait.unmatched = {
                id(event): event for event in self.events if kept.get(id(event)) is event
            }
        for event in events:
            if event.name != parameters.event or wait.unmatched.get(id(event)) is event:
                continue
            if parameters.match:
                try:
                    matched = self.matching.match(
                        parameters.match, {**wait.context, "event": event.payload}
                    )
                except NodeFailedError as error:
                    wait.taken, wait.broken = event, error.message
                    return
                except Exception as error:
                    wait.taken = event
                    wait.broken = f"unexpected {type(error).__name__}: {error}"
                    return
                if matched is None:
                    return  # this task matched enough; the next one goes on (`Matching`)
                if not matched:
                    wait.unmatched[id(event)] = event
                    continue
            wait.taken = event
            return

    async def approval(
        self, node: PlanNode, parameters: Any, context: dict[str, Any], scope: Scope,
        parked: Parked | None,
    ) -> Outcome:  # fmt: skip
        approval: ApprovalParameters = parameters
        # Rendered (from the node's expression context) once, when the approval starts: a
        # parked approval keeps the list it started with, whatever the variables became.
        kept = parked.wait.approvers if parked and parked.wait else None
        what = WaitingFor(
            node_id=node.id,
            kind="approval",
            until=_deadline(approval.timeout, parked),
            approvers=list(approval.approvers) if kept is None else kept,
        )
        with self._waiting(scope, what):
            # Inside the wait: a decision sent meanwhile is kept for it, not refused.
            if parked is None and self.announce_approval is not None:
                await self.announce_approval(node.id)
            if not await _wait_until(lambda: node.id in self.decisions, what.until):
                return Outcome("timeout", None)
        decision = self.decisions.pop(node.id)
        output: dict[str, Any] = {
            "decision": "approved" if decision.approved else "rejected",
            "by": decision.by,
            "comment": decision.comment,
            "decided_at": workflow.now().isoformat(),
        }
        if decision.via is not None:
            # Who and how, as the API established it; decisions recorded before it kept
            # none, and their output stays as it was.
            output.update(
                verified=decision.verified,
                via=decision.via,
                key_id=decision.key_id,
                link_id=decision.link_id,
            )
        return Outcome("approved" if decision.approved else "rejected", output)

    @contextmanager
    def _waiting(
        self, scope: Scope, what: WaitingFor, found: Callable[[], bool] = _nothing_found
    ) -> Iterator[None]:
        """Shows the wait in the run's state, and lets the run leave it, while it lasts."""
        move(self.state.nodes[what.node_id], WAIT)
        self.state.waiting_for.append(what)
        scope.parks[what.node_id] = _ParkedWait(what, found)
        try:
            yield
        finally:
            del scope.parks[what.node_id]
            # By identity: another iteration of a loop may wait with an equal description.
            self.state.waiting_for[:] = [
                wait for wait in self.state.waiting_for if wait is not what
            ]
            if not self.waits_in(what.node_id):
                move(self.state.nodes[what.node_id], STOP_WAITING)


def _json_size(event: EventInput) -> int:
    return len(as_json(event.model_dump()).encode())


def _moment(delay: DelayParameters, now: datetime) -> datetime:
    if delay.duration is not None:
        return now + delay.duration
    try:
        until = datetime.fromisoformat(str(delay.until))
    except ValueError:
        raise NodeFailedError(
            f"'{delay.until}' is not an ISO 8601 timestamp", type=FailureType.InvalidTimestamp
        ) from None
    if until.tzinfo is None:
        raise NodeFailedError("the timestamp has no time zone", type=FailureType.InvalidTimestamp)
    return until


def _deadline(timeout: timedelta | None, parked: Parked | None) -> datetime | None:
    if parked is not None and parked.wait is not None:
        return parked.wait.until
    return workflow.now() + timeout if timeout is not None else None


async def _wait_until(condition: Callable[[], bool], deadline: datetime | None) -> bool:
    """Whether `condition` came true before the deadline (None: wait as long as it takes)."""
    left = None if deadline is None else deadline - workflow.now()
    if left is not None and left <= timedelta():
        # Picked up after its deadline passed (the run continued as new meanwhile).
        return condition()
    try:
        await workflow.wait_condition(condition, timeout=left)
    except TimeoutError:
        return False
    return True
