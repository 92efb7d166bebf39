"""The builder's contract: the workflow schema, the node catalog, the expression reference, the
failure types a run's nodes may show."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from app.api import catalog_ui
from app.api.deps import SettingsDep, get_caller
from app.api.responses import errors
from app.catalog import CATALOG
from app.contract.failures import FailureType
from app.language.expression_roots import ROOT_DOCS, RootContext
from app.language.expressions import FUNCTIONS_DOC
from app.language.node_type import ERROR_HANDLE, NodeType
from app.language.parameter_schema import field_widgets, parameters_json_schema
from app.language.workflow_schema import workflow_json_schema

router = APIRouter(
    tags=["language"], dependencies=[Depends(get_caller)], responses=errors(401, 422)
)


class AccountNeed(BaseModel):
    platform: str
    required: bool
    also: list[str] = Field(
        default_factory=list,
        description="Other platforms whose accounts the node also takes (`http.request`: an X "
        "or Instagram account, whose token goes only to that platform's own API).",
    )


class FieldHint(BaseModel):
    widget: str
    """`expression` (a bare expression), `json` (any JSON), `tabs` (a choice between shapes,
    such as an HTTP body), `textarea` (long text)."""


class NodeTypeUi(BaseModel):
    """How a builder may draw the type; presentation only."""

    icon: str
    """A name from the documented icon set (README, "Node catalog")."""
    color: str
    """A CSS hex colour, the category's."""
    order: int
    """Place in the palette within its category, lowest first."""
    handle_labels: dict[str, str]
    """Label of each fixed output handle (`error` too, except on triggers); empty: none."""
    fields: dict[str, FieldHint]
    """Widgets of top-level parameters that need more than their type says."""


class CategoryPublic(BaseModel):
    id: str
    title: str
    order: int
    icon: str
    color: str


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
    ui: NodeTypeUi


class NodeTypesPublic(BaseModel):
    data: list[NodeTypePublic]
    count: int
    error_handle: str = ERROR_HANDLE
    categories: list[CategoryPublic]
    """Palette groups, in order; every entry's `category` is one of them."""


class ExpressionRoot(BaseModel):
    name: str
    description: str
    available_in: list[RootContext]
    """`any` field; `loop_body` (a node in a loop's body branch); `wait_match` (a
    `wait_for_event`'s `match`); `error_route` (a node downstream of an `error` handle)."""


class ExpressionReference(BaseModel):
    roots: list[ExpressionRoot]
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


def _public(node_type: NodeType, position: int) -> NodeTypePublic:
    parameters_schema = parameters_json_schema(node_type.parameters)
    widgets = field_widgets(parameters_schema, node_type.expression_fields)
    return NodeTypePublic(
        type=node_type.type,
        kind=node_type.kind,
        category=node_type.category,
        title=node_type.title,
        description=node_type.description,
        parameters_schema=parameters_schema,
        handles=list(node_type.handles),
        handles_from_parameters=node_type.handles_from is not None,
        exclusive=node_type.exclusive,
        expression_fields=list(node_type.expression_fields),
        output_schema=dict(node_type.output),
        account=(
            AccountNeed(
                platform=node_type.account,
                required=node_type.account_required,
                also=list(node_type.other_accounts),
            )
            if node_type.account
            else None
        ),
        node_fields=list(node_type.node_fields),
        default_timeout_seconds=node_type.default_timeout(),
        ui=NodeTypeUi(
            icon=catalog_ui.icon_of(node_type),
            color=catalog_ui.category_of(node_type).color,
            order=catalog_ui.order_of(node_type, position),
            handle_labels=catalog_ui.handle_labels(node_type),
            fields={name: FieldHint(widget=widget) for name, widget in widgets.items()},
        ),
    )


def _categories() -> list[CategoryPublic]:
    used = {catalog_ui.category_of(node_type) for node_type in CATALOG.all_types()}
    return [
        CategoryPublic(
            id=category.id,
            title=category.title,
            order=category.order,
            icon=category.icon,
            color=category.color,
        )
        for category in sorted(used, key=lambda category: category.order)
    ]


_NODE_TYPES = NodeTypesPublic(
    data=[_public(node_type, position) for position, node_type in enumerate(CATALOG.all_types())],
    count=len(CATALOG),
    categories=_categories(),
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


_EXPRESSION_REFERENCE = ExpressionReference(
    roots=[
        ExpressionRoot(
            name=root.name, description=root.description, available_in=list(root.available_in)
        )
        for root in ROOT_DOCS
    ],
    functions=dict(FUNCTIONS_DOC),
)


@router.get("/node-types", operation_id="list_node_types", response_model=NodeTypesPublic)
async def list_node_types() -> NodeTypesPublic:
    """Every node type the engine runs: palette entry, parameter schema, handles, output."""
    return _NODE_TYPES


@router.get("/schema/workflow", operation_id="get_workflow_schema")
async def get_workflow_schema(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a workflow graph: the native form and React Flow's
    `toObject()` (engine fields under `data`, UI-only `note` and `group` nodes, `viewport`).
    Its `$id` is this URL under `PUBLIC_URL` (or the request's own base)."""
    base = settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return workflow_json_schema(f"{base}/schema/workflow")


@router.get(
    "/schema/expressions",
    operation_id="get_expression_reference",
    response_model=ExpressionReference,
)
async def get_expression_reference() -> ExpressionReference:
    """What `{{ }}` expressions can read (roots) and call (functions)."""
    return _EXPRESSION_REFERENCE


@router.get("/failure-types", operation_id="list_failure_types", response_model=FailureTypesPublic)
async def list_failure_types() -> FailureTypesPublic:
    """Every failure type a node may end with (its `error.type`), for `on_error` routes and
    `retry.non_retryable_error_types`: whether actions retry it, which node types may fail
    with it, and what to do. Besides these: `HTTP<status>` from `http.request` (408, 425, 429,
    500, 502, 503 and 504 retried), a `fail` node's own `error_type`, and the type a child run
    failed with."""
    return _FAILURE_TYPES
