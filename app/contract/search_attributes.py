"""The custom search attributes every run carries, so runs can be listed and filtered.

A run's status is Temporal's own `ExecutionStatus` (Running, Completed, Failed, Canceled,
Terminated, TimedOut, ContinuedAsNew), which the server sets as the run closes at no cost.
Runs used to carry `FlowRunStatus` too, "running" from the start and upserted when they
ended: one more command and history event (and visibility write) per run, for what
`ExecutionStatus` already says, and it stayed "running" on a terminated run. Runs started
now do not carry it; runs started with it still upsert it when they end, as their
histories expect (`workflows.run`).
"""

from __future__ import annotations

from typing import Any

from temporalio.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

ORGANIZATION_ID = SearchAttributeKey.for_keyword("FlowOrganizationId")
WORKFLOW_ID = SearchAttributeKey.for_keyword("FlowWorkflowId")
WORKFLOW_VERSION = SearchAttributeKey.for_int("FlowWorkflowVersion")
TRIGGER_KIND = SearchAttributeKey.for_keyword("FlowTriggerKind")
RUN_STATUS = SearchAttributeKey.for_keyword("FlowRunStatus")
"""Only on runs started before the status came from `ExecutionStatus`; still registered so
that they, and the filters over them, keep working."""

ALL = (ORGANIZATION_ID, WORKFLOW_ID, WORKFLOW_VERSION, TRIGGER_KIND, RUN_STATUS)

_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
}


def type_name(key: SearchAttributeKey[Any]) -> str:
    """The name Temporal's command lines give the key's type (`temporal server start-dev
    --search-attribute`, `tcld namespace search-attributes add`)."""
    return _TYPE_NAMES[key.indexed_value_type]


def for_run(
    *, organization_id: str, workflow_id: str, version: int, trigger_kind: str
) -> TypedSearchAttributes:
    """What a run starts with; its status is Temporal's `ExecutionStatus`."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(ORGANIZATION_ID, organization_id),
            SearchAttributePair(WORKFLOW_ID, workflow_id),
            SearchAttributePair(WORKFLOW_VERSION, version),
            SearchAttributePair(TRIGGER_KIND, trigger_kind),
        ]
    )
