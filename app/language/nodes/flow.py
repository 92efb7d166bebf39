"""Flow node types: branching, joining, waiting, looping, sub-workflows and ending a run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from app.language.node_type import NodeType, Parameters
from app.language.nodes.fields import Duration, ExpressionText, HandleName, Strict
from app.language.parameter_validators import (
    check_timestamp,
    check_unique,
    exactly_one,
    field_error,
    worded_pattern,
)

DEFAULT_HANDLE = "default"
"""The switch output taken when no case matches."""

WORKFLOW_ID_PATTERN = worded_pattern(
    r"^wf_[A-Za-z0-9]{1,37}$", "a workflow id: wf_ then up to 37 letters and digits"
)
EVENT_NAME_PATTERN = worded_pattern(
    r"^[A-Za-z0-9_.:\-]+$", "an event name of letters, digits and _ . : -"
)
ERROR_TYPE_PATTERN = worded_pattern(
    r"^[A-Za-z_][A-Za-z0-9_.]{0,99}$",
    "an error type: up to 100 letters, digits, _ and ., not starting with a digit or .",
)


class IfParameters(Parameters):
    """Parameters of `if`."""

    condition: ExpressionText = Field(
        description=(
            "Expression deciding the branch: `true` when its value is truthy (not null, false, "
            "0, empty text, empty list or empty object), else `false`."
        ),
        json_schema_extra={"examples": ["nodes.check.status == 200", "len(trigger.items) > 0"]},
    )


def _case_handle(value: str) -> str:
    if value == DEFAULT_HANDLE:
        raise ValueError(f"'{DEFAULT_HANDLE}' is the output taken when no case matches")
    return value


class SwitchCase(Strict):
    """One case of a switch: its output handle and the condition that selects it."""

    handle: Annotated[HandleName, AfterValidator(_case_handle)] = Field(
        description="Name of this case's output (letters, digits, _ and -; not default or error).",
        json_schema_extra={"examples": ["urgent", "needs-review"]},
    )
    condition: ExpressionText = Field(
        description="Expression selecting this case when truthy.",
        json_schema_extra={"examples": ["trigger.priority == 'high'"]},
    )


class SwitchParameters(Parameters):
    """Parameters of `switch`."""

    cases: list[SwitchCase] = Field(
        min_length=1,
        max_length=50,
        description=(
            "Cases in order: the first whose condition is truthy wins; "
            "when none is, the run continues from `default`."
        ),
        json_schema_extra={
            "examples": [
                [
                    {"handle": "urgent", "condition": "trigger.priority == 'high'"},
                    {"handle": "normal", "condition": "trigger.priority == 'normal'"},
                ]
            ]
        },
    )

    @model_validator(mode="after")
    def _unique_handles(self) -> Self:
        seen: set[str] = set()
        for index, case in enumerate(self.cases):
            if case.handle in seen:
                raise field_error(
                    self, ("cases", index, "handle"), f"case '{case.handle}' is used twice"
                )
            seen.add(case.handle)
        return self


def switch_handles(parameters: Any) -> tuple[str, ...]:
    """The outputs of a switch: its case handles in order, then `default`.

    Args:
        parameters: `SwitchParameters`, or the parameters mapping as written in a graph;
            from a mapping, malformed cases are skipped so handles can still be listed for
            a node whose parameters have problems.
    """
    if isinstance(parameters, SwitchParameters):
        handles = [case.handle for case in parameters.cases]
    else:
        cases = parameters.get("cases") if isinstance(parameters, Mapping) else None
        handles = [
            case["handle"]
            for case in (cases if isinstance(cases, list) else [])
            if isinstance(case, Mapping) and isinstance(case.get("handle"), str)
        ]
    return (*dict.fromkeys(handles), DEFAULT_HANDLE)


class JoinParameters(Parameters):
    """Parameters of `join`."""

    mode: Literal["all", "first"] = Field(
        default="all",
        description=(
            "all: wait for every incoming branch still running (branches not taken don't "
            "count); first: continue as soon as one arrives (the others run to their end "
            "but do not start the join again)."
        ),
    )


class DelayParameters(Parameters):
    """Parameters of `delay`: exactly one of `duration` or `until`."""

    duration: Duration | None = Field(
        default=None,
        description="How long to wait: ISO 8601 (PT15M) or seconds, at most 365 days.",
        json_schema_extra={"examples": ["PT15M", "P1D", "PT90S"]},
    )
    until: (
        Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(check_timestamp)] | None
    ) = Field(
        default=None,
        description=(
            "Wait until this moment: an ISO 8601 timestamp with a time zone, or a template "
            "producing one. A moment already past continues at once."
        ),
        json_schema_extra={"examples": ["2025-01-31T09:00:00Z", "{{ trigger.publish_at }}"]},
    )

    @model_validator(mode="after")
    def _one_of_duration_or_until(self) -> Self:
        exactly_one(self, ("duration", "until"))
        return self


class WaitForEventParameters(Parameters):
    """Parameters of `wait_for_event`."""

    event: str = Field(
        min_length=1,
        max_length=100,
        pattern=EVENT_NAME_PATTERN,
        description="Name of the event to wait for (letters, digits and _ . : -).",
        json_schema_extra={"examples": ["payment.completed", "review:done"]},
    )
    match: ExpressionText | None = Field(
        default=None,
        description=(
            "Expression an event must satisfy to be taken, reading the delivered payload as "
            "`event`; other events of that name are ignored. Empty: the first event is taken."
        ),
        json_schema_extra={"examples": ["event.order_id == trigger.order_id"]},
    )
    timeout: Duration | None = Field(
        default=None,
        description="Give up after this long and continue from `timeout`. Empty: wait forever.",
        json_schema_extra={"examples": ["PT1H", "P7D"]},
    )


ApproverName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=320,
        # Compared exactly with the person a key is bound to: spaces around a name, or a
        # control character in it, would make an approver nobody can ever be.
        pattern=r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$",
    ),
]


class ApprovalParameters(Parameters):
    """Parameters of `approval`."""

    message: str = Field(
        min_length=1,
        max_length=10_000,
        description="What the approver sees: what is being decided and why.",
        json_schema_extra={"examples": ["Publish this post?\n\n{{ nodes.draft.text }}"]},
    )
    approvers: list[ApproverName] = Field(
        default_factory=list,
        max_length=100,
        description=(
            "Who may decide (the persons API keys are bound to, such as e-mail addresses); "
            "templates are rendered when the approval starts and each must give a non-empty "
            "text. Only a key bound to one of them, or their approval link, decides; anyone "
            "else is refused (403). Empty: anyone with write access to the workflow."
        ),
        json_schema_extra={"examples": [["ana@example.com", "lee@example.com"]]},
    )
    timeout: Duration | None = Field(
        default=None,
        description="Continue from `timeout` when nobody decides in time. Empty: wait forever.",
        json_schema_extra={"examples": ["P2D"]},
    )

    @field_validator("approvers")
    @classmethod
    def _unique_approvers(cls, approvers: list[str]) -> list[str]:
        check_unique(approvers, "approver")
        return approvers


DEFAULT_MAX_ITERATIONS = 100
"""How often a loop with `until` runs its body when `max_iterations` is not given."""


class LoopParameters(Parameters):
    """Parameters of `loop`: over the items of a list, or again and again `until` a
    condition holds."""

    items: ExpressionText | None = Field(
        default=None,
        description=(
            "Expression producing the list to go through; in the `body` branch, `item` is the "
            "current element and `index` its position. Give this or `until`."
        ),
        json_schema_extra={"examples": ["nodes.fetch.body.items", "trigger.users"]},
    )
    until: ExpressionText | None = Field(
        default=None,
        description=(
            "Repeat the `body` branch until this expression is truthy, checked after each "
            "iteration with `item` the iteration's result (the output of the body's last "
            "node) and `index` its number from 0. In the body, `item` is the previous "
            "iteration's result (null in the first). Give this or `items`."
        ),
        json_schema_extra={"examples": ["item.body.status == 'ready'"]},
    )
    delay: Duration | None = Field(
        default=None,
        description=(
            "With `until`: how long to wait between two iterations (a durable timer: the "
            "run may be restarted or continue as new meanwhile). Empty: no wait."
        ),
        json_schema_extra={"examples": ["PT30S", "PT5M"]},
    )
    max_iterations: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description=(
            "With `until`: the node fails (`UntilNotMet`) when the condition is still false "
            f"after this many iterations (1-10,000; {DEFAULT_MAX_ITERATIONS} when empty)."
        ),
    )
    max_concurrency: int = Field(
        default=1,
        ge=1,
        le=50,
        description="How many items run at the same time (1-50); 1 with `until`.",
    )
    max_items: int = Field(
        default=10_000,
        ge=1,
        le=100_000,
        description="The node fails when the list is longer than this (1-100,000).",
    )

    @model_validator(mode="after")
    def _items_or_until(self) -> Self:
        exactly_one(self, ("items", "until"))
        if self.until is None:
            for name in ("delay", "max_iterations"):
                if getattr(self, name) is not None:
                    raise field_error(self, (name,), f"{name} applies only to a loop with until")
        elif self.max_concurrency != 1:
            # Each iteration reads the previous one's result: they cannot overlap.
            raise field_error(
                self, ("max_concurrency",), "a loop with until runs one iteration at a time"
            )
        return self

    @property
    def iteration_bound(self) -> int:
        return self.max_iterations or DEFAULT_MAX_ITERATIONS


class SubWorkflowParameters(Parameters):
    """Parameters of `sub_workflow`."""

    workflow_id: str = Field(
        max_length=40,
        pattern=WORKFLOW_ID_PATTERN,
        description="The workflow to run, from the same organization (its id, wf_...).",
        json_schema_extra={"examples": ["wf_3f9a1c2b7d4e5f60718293a4"]},
    )
    version: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Which version to run. Empty: the latest when this workflow is saved; a run "
            "always runs the version its own workflow version was saved with."
        ),
    )
    input: Any = Field(
        default=None,
        description="The child run's input (templates allowed anywhere inside).",
        json_schema_extra={"examples": [{"user": "{{ item.id }}"}]},
    )
    wait: bool = Field(
        default=True,
        description=(
            "Wait for the child run and output its result; otherwise continue at once "
            "with the child's run id."
        ),
    )


class StopParameters(Parameters):
    """Parameters of `stop`."""

    output: Any = Field(
        default=None,
        description="The run's output (templates allowed anywhere inside).",
        json_schema_extra={"examples": [{"posted": "{{ nodes.post.id }}"}]},
    )


class FailParameters(Parameters):
    """Parameters of `fail`."""

    message: str = Field(
        min_length=1,
        max_length=1000,
        description="Why the run failed, as shown in its history.",
        json_schema_extra={"examples": ["Order {{ trigger.order_id }} has no items"]},
    )
    error_type: str = Field(
        default="WorkflowFailed",
        pattern=ERROR_TYPE_PATTERN,
        description="Error type a parent workflow or API client can tell failures apart by.",
        json_schema_extra={"examples": ["WorkflowFailed", "InvalidOrder"]},
    )


_DECISION = {
    "type": "object",
    "properties": {
        "decision": {"enum": ["approved", "rejected", "timeout"]},
        "by": {"type": ["string", "null"], "description": "Who decided; null on timeout."},
        "comment": {"type": ["string", "null"]},
        "decided_at": {"type": "string", "format": "date-time"},
        "verified": {
            "type": "boolean",
            "description": "Whether `by` was established by the engine (a key bound to that "
            "person, or their approval link); false: a key bound to no one named them.",
        },
        "via": {"enum": ["key", "link"], "description": "How the decision came."},
        "key_id": {
            "type": ["string", "null"],
            "description": "The API key that decided, or that minted the link.",
        },
        "link_id": {"type": ["string", "null"], "description": "The approval link used."},
    },
    "required": ["decision", "by", "comment", "decided_at"],
}

NODE_TYPES: tuple[NodeType, ...] = (
    NodeType(
        type="if",
        kind="control",
        category="flow",
        title="If",
        description="Continues from `true` or `false` depending on a condition.",
        parameters=IfParameters,
        handles=("true", "false"),
        exclusive=True,
        output={"type": "object", "properties": {"result": {"type": "boolean"}}},
        expression_fields=("condition",),
    ),
    NodeType(
        type="switch",
        kind="control",
        category="flow",
        title="Switch",
        description="Continues from the first case whose condition holds, else from `default`.",
        parameters=SwitchParameters,
        handles=(DEFAULT_HANDLE,),
        handles_from=switch_handles,
        exclusive=True,
        output={"type": "object", "properties": {"handle": {"type": "string"}}},
        expression_fields=("cases.*.condition",),
    ),
    NodeType(
        type="join",
        kind="control",
        category="flow",
        title="Join",
        description="Waits for parallel branches to arrive before continuing.",
        parameters=JoinParameters,
        literal_fields=("mode",),
        output={
            "type": "object",
            "additionalProperties": True,
            "description": "Each arrived incoming node's id → its output.",
        },
    ),
    NodeType(
        type="delay",
        kind="control",
        category="flow",
        title="Delay",
        description="Pauses the run for a duration or until a moment, without using a worker.",
        parameters=DelayParameters,
        output={
            "type": "object",
            "properties": {"resumed_at": {"type": "string", "format": "date-time"}},
        },
    ),
    NodeType(
        type="wait_for_event",
        kind="control",
        category="flow",
        title="Wait for event",
        description="Pauses the run until a named event is sent to it, or a timeout passes.",
        parameters=WaitForEventParameters,
        handles=("out", "timeout"),
        exclusive=True,
        output={"description": "The delivered event's payload (null on timeout)."},
        expression_fields=("match",),
    ),
    NodeType(
        type="approval",
        kind="control",
        category="flow",
        title="Approval",
        description="Pauses the run until a person approves or rejects, or a timeout passes.",
        parameters=ApprovalParameters,
        handles=("approved", "rejected", "timeout"),
        exclusive=True,
        output=_DECISION,
    ),
    NodeType(
        type="loop",
        kind="control",
        category="flow",
        title="Loop",
        description=(
            "Runs the `body` branch once per item of a list, or again and again until a "
            "condition holds, then continues from `done`."
        ),
        parameters=LoopParameters,
        handles=("body", "done"),
        output={
            "type": "object",
            "properties": {
                "results": {
                    "type": "array",
                    "description": "Output of the body's last node for each item, in order.",
                },
                "count": {"type": "integer", "minimum": 0},
                "last": {
                    "description": (
                        "With `until`: the result of the last iteration, the one that met it."
                    )
                },
            },
        },
        expression_fields=("items", "until"),
    ),
    NodeType(
        type="sub_workflow",
        kind="control",
        category="flow",
        title="Run workflow",
        description=(
            "Runs another workflow of the organization as a child run, from its manual "
            "trigger with `input` as the trigger's payload."
        ),
        parameters=SubWorkflowParameters,
        # The child run's time limit; a child run is not retried.
        tuning=("timeout_seconds",),
        output={
            "description": (
                "The child run's output: the outputs of the nodes it ended on, by id. "
                "When not waiting: `{run_id}`."
            )
        },
    ),
    NodeType(
        type="stop",
        kind="control",
        category="flow",
        title="Stop",
        description="Ends the run successfully here, with an optional output.",
        parameters=StopParameters,
        handles=(),
        output={"description": "The `output` parameter, which becomes the run's output."},
    ),
    NodeType(
        type="fail",
        kind="control",
        category="flow",
        title="Fail",
        description="Ends the run as failed, with a message and an error type.",
        parameters=FailParameters,
        handles=(),
        output={},
    ),
)
