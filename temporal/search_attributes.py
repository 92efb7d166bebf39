"""The custom search attributes every run carries, so runs can be listed and filtered."""

from __future__ import annotations

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

ALL = (ORGANIZATION_ID, WORKFLOW_ID, WORKFLOW_VERSION, TRIGGER_KIND, RUN_STATUS)


def for_run(
    *, organization_id: str, workflow_id: str, version: int, trigger_kind: str
) -> TypedSearchAttributes:
    """What a run starts with; its status is upserted when it ends."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(ORGANIZATION_ID, organization_id),
            SearchAttributePair(WORKFLOW_ID, workflow_id),
            SearchAttributePair(WORKFLOW_VERSION, version),
            SearchAttributePair(TRIGGER_KIND, trigger_kind),
            SearchAttributePair(RUN_STATUS, "running"),
        ]
    )


def dev_server_flags() -> list[str]:
    """`--search-attribute NAME=Type` flags for `temporal server start-dev`."""
    kinds = {
        SearchAttributeIndexedValueType.KEYWORD: "Keyword",
        SearchAttributeIndexedValueType.INT: "Int",
    }
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type]}"]
    return flags
