"""The builder's contract: the workflow schema, the node catalog, the expression reference, the
failure types a run's nodes may show."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.api.deps import get_caller
from app.api.responses import errors
from app.catalog import CATALOG
from app.contract.failures import FailureType
from app.language.expressions import FUNCTIONS_DOC, ROOTS
from app.language.graph import WorkflowGraph
from app.language.node_type import ERROR_HANDLE, NodeType

router = APIRouter(
    tags=["language"], dependencies=[Depends(get_caller)], responses=errors(401, 422)
)


class AccountNeed(BaseModel):
    platform: str
    required: bool


class NodeTypePublic(BaseModel):
    type: str
    kind: str
    category: str
    title: str
    description: str
    parameters_schema: dict[str, Any]
    handles: list[str]
    """Output handles; `error` exists on every node whose on_error is `route`."""
    handles_from_parameters: bool
    """True when the handles depend on the parameters (a switch's cases)."""
    exclusive: bool
    """A run leaves through exactly one handle (if, switch, waits)."""
    expression_fields: list[str]
    """Parameters that hold a bare expression rather than a `{{ }}` template."""
    output_schema: dict[str, Any]
    account: AccountNeed | None
    node_fields: list[str]
    """Node-level fields that apply to this type besides `id`, `type` and `parameters`; a graph
    that sets `retry` or `timeout_seconds` on a type that does not list them is refused."""
    default_timeout_seconds: float | None
    """Actions: the time limit of one attempt when the node sets no `timeout_seconds` (an
    HTTP request or an Instagram publication given a longer wait of its own gets more)."""


class NodeTypesPublic(BaseModel):
    data: list[NodeTypePublic]
    count: int
    error_handle: str = ERROR_HANDLE


class ExpressionReference(BaseModel):
    roots: list[str]
    functions: dict[str, str]


class FailureTypePublic(BaseModel):
    type: str
    """What a failed node's `error.type` says."""
    retryable: bool
    """Whether an action failing with it is retried within its node's `retry` policy; listing
    it in `retry.non_retryable_error_types` makes such a failure final at once."""
    node_types: list[str]
    """The node types that may fail with it."""
    meaning: str
    """What happened, and what a person should do."""


class FailureTypesPublic(BaseModel):
    data: list[FailureTypePublic]
    count: int


def _public(node_type: NodeType) -> NodeTypePublic:
    return NodeTypePublic(
        type=node_type.type,
        kind=node_type.kind,
        category=node_type.category,
        title=node_type.title,
        description=node_type.description,
        parameters_schema=node_type.parameters.model_json_schema(),
        handles=list(node_type.handles),
        handles_from_parameters=node_type.handles_from is not None,
        exclusive=node_type.exclusive,
        expression_fields=list(node_type.expression_fields),
        output_schema=dict(node_type.output),
        account=(
            AccountNeed(platform=node_type.account, required=node_type.account_required)
            if node_type.account
            else None
        ),
        node_fields=list(node_type.node_fields),
        default_timeout_seconds=node_type.default_timeout(),
    )


_NODE_TYPES = NodeTypesPublic(
    data=[_public(node_type) for node_type in CATALOG.all_types()],
    count=len(CATALOG),
)
_FAILURE_TYPES = FailureTypesPublic(
    data=[
        FailureTypePublic(
            type=failure.value,
            retryable=failure.retryable,
            node_types=[
                node_type.type
                for node_type in CATALOG.all_types()
                if failure.applies_to(node_type.type, node_type.kind)
            ],
            meaning=failure.meaning,
        )
        for failure in FailureType
    ],
    count=len(FailureType),
)
_WORKFLOW_SCHEMA = WorkflowGraph.model_json_schema(by_alias=True)


@router.get("/node-types", operation_id="list_node_types", response_model=NodeTypesPublic)
async def list_node_types() -> NodeTypesPublic:
    """Every node type the engine runs: palette entry, parameter schema, handles, output."""
    return _NODE_TYPES


@router.get("/schema/workflow", operation_id="get_workflow_schema")
async def get_workflow_schema() -> dict[str, Any]:
    """The JSON Schema of a workflow graph (React Flow's `toObject()` is accepted too)."""
    return _WORKFLOW_SCHEMA


@router.get(
    "/schema/expressions",
    operation_id="get_expression_reference",
    response_model=ExpressionReference,
)
async def get_expression_reference() -> ExpressionReference:
    """What `{{ }}` expressions can read (roots) and call (functions)."""
    return ExpressionReference(roots=list(ROOTS), functions=dict(FUNCTIONS_DOC))


@router.get("/failure-types", operation_id="list_failure_types", response_model=FailureTypesPublic)
async def list_failure_types() -> FailureTypesPublic:
    """Every failure type a node may end with (its `error.type`), for `on_error` routes and
    `retry.non_retryable_error_types`: whether actions retry it, which node types may fail
    with it, and what to do. Besides these: `HTTP<status>` from `http.request` (408, 425, 429,
    500, 502, 503 and 504 retried), a `fail` node's own `error_type`, and the type a child run
    failed with."""
    return _FAILURE_TYPES
