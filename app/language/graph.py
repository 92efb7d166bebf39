"""The workflow graph as people send it: React Flow's `toObject()` or the native form.

Both forms normalise to `WorkflowGraph`. UI-only fields (`position`, `selected`,
`dragging`, `measured`, `viewport`, `parentId`, ...) are accepted and dropped. A React Flow
node may carry a generic `type` (`"flowNode"`) with the engine's type in `data.type`; UI-only
nodes (`note`, `group`) stay in `nodes` and are skipped by validation and the compiler.
`ReactFlowNode`, `NoteNode` and `GroupNode` describe those shapes for schemas and builders.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.language.parameter_validators import is_templated, worded_pattern
from app.language.plan import RetrySpec

NODE_ID_PATTERN = worded_pattern(
    r"^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,99}$",
    "a node id: 1 to 100 letters, digits and _ . : -, not starting with . : or -",
)
VARIABLE_PATTERN = worded_pattern(
    r"^[A-Za-z_][A-Za-z0-9_]{0,63}$",
    "a name of letters, digits and _, at most 64, not starting with a digit",
)


class _Lenient(BaseModel):
    """Unknown keys are UI state or future fields: ignore them rather than reject the graph."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


MAX_ACCOUNT_ID_LENGTH = 40
MAX_ACCOUNT_TEMPLATE_LENGTH = 500
"""A template may be longer than an id: it names where the id comes from."""


class _NodeFields(_Lenient):
    """What a node does besides its id and type, in the native form and in React Flow's `data`."""

    name: str | None = Field(default=None, max_length=200, description="Shown in the builder.")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="The node type's parameters; strings may hold {{ }}."
    )
    account_id: str | None = Field(
        default=None,
        max_length=MAX_ACCOUNT_TEMPLATE_LENGTH,
        description="The connected account an action uses: its id, or a `{{ }}` template "
        "giving one at run time (checked then against the organization's accounts).",
    )
    retry: RetrySpec | None = Field(
        default=None, description="Retries of an action; only actions take one."
    )
    timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        le=31 * 86_400,
        description="Time limit of one attempt of an action, or of a sub-workflow's child run.",
    )
    on_error: Literal["fail", "continue", "route"] = Field(
        default="fail",
        description="fail the run; continue with the error as output; or follow the `error` edge.",
    )
    disabled: bool = Field(default=False, description="Skipped: the run passes straight through.")

    @field_validator("account_id")
    @classmethod
    def _id_or_template(cls, value: str | None) -> str | None:
        if value is not None and not is_templated(value) and len(value) > MAX_ACCOUNT_ID_LENGTH:
            raise ValueError(
                f"an account id has at most {MAX_ACCOUNT_ID_LENGTH} characters "
                "(or write a {{ }} template that gives one at run time)"
            )
        return value


class GraphNode(_NodeFields):
    """A node: what it does (`type`, `parameters`) and how it behaves when things go wrong."""

    id: str = Field(pattern=NODE_ID_PATTERN, description="Stable id; edges and expressions use it.")
    type: str = Field(min_length=1, max_length=100, description="A type from `GET /node-types`.")

    @property
    def ui_only(self) -> bool:
        """A sticky note or a group: drawn by the builder, never run."""
        return self.type in UI_NODE_TYPES


UI_NODE_TYPES = frozenset({"note", "group"})
"""Node types a builder draws and the engine ignores (no edges may join them)."""


class Position(BaseModel):
    x: float
    y: float


class ReactFlowNodeData(_NodeFields):
    """A React Flow node's `data`: the native node's fields, the engine's type among them."""

    type: str = Field(
        min_length=1, max_length=100, description="The engine's node type; wins over the node's."
    )
    label: str | None = Field(default=None, description="Used as `name` when there is none.")


class ReactFlowNode(_Lenient):
    """A node as React Flow's `toObject()` exports it: any `type` the builder draws it with
    (`"flowNode"`), the engine's fields under `data`."""

    id: str = Field(pattern=NODE_ID_PATTERN)
    type: str | None = Field(default=None, description="The builder's own; `data.type` decides.")
    position: Position | None = None
    data: ReactFlowNodeData


class NoteNode(_Lenient):
    """A sticky note: kept with the graph, never run, no edges."""

    id: str = Field(pattern=NODE_ID_PATTERN)
    type: Literal["note"]
    position: Position | None = None
    width: float | None = None
    height: float | None = None
    data: dict[str, Any] = Field(default_factory=dict, examples=[{"text": "Ask Ana first"}])


class GroupNode(_Lenient):
    """A group frame; its children's `parentId` is layout only."""

    id: str = Field(pattern=NODE_ID_PATTERN)
    type: Literal["group"]
    position: Position | None = None
    width: float | None = None
    height: float | None = None
    data: dict[str, Any] = Field(default_factory=dict, examples=[{"label": "Publishing"}])


class GraphEdge(_Lenient):
    id: str | None = Field(default=None, max_length=200)
    source: str = Field(max_length=100)
    target: str = Field(max_length=100)
    source_handle: str | None = Field(
        default=None,
        alias="sourceHandle",
        max_length=100,
        description="Which output of the source: `true`/`false`, a switch case, `error`, ...",
    )
    target_handle: str | None = Field(default=None, alias="targetHandle", max_length=100)


class WorkflowSettings(_Lenient):
    timezone: str = Field(default="UTC", description="IANA time zone for dates and schedules.")
    variables: dict[str, Any] = Field(
        default_factory=dict, description="Workflow variables and their initial values (`vars`)."
    )


class WorkflowGraph(_Lenient):
    """A workflow graph in its native form (React Flow's `toObject()` is accepted too)."""

    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    nodes: list[GraphNode]
    edges: list[GraphEdge] = Field(default_factory=list)
    settings: WorkflowSettings = Field(default_factory=WorkflowSettings)


_NODE_FIELDS = (
    "name", "parameters", "account_id", "retry", "timeout_seconds", "on_error", "disabled",
)  # fmt: skip


def _flatten_react_flow_node(node: Any) -> Any:
    """React Flow keeps our fields under `data`; lift them to the node itself. The engine's
    type in `data.type` wins over the node's own, which is the builder's drawing type."""
    if not isinstance(node, dict):
        return node
    data = node.get("data")
    engine_type = data["type"] if isinstance(data, dict) and "type" in data else node.get("type")
    if isinstance(engine_type, str) and engine_type in UI_NODE_TYPES:
        # A note's text or a group's size is the builder's; only its id and type matter here.
        return {"id": node.get("id"), "type": engine_type}
    if not isinstance(data, dict):
        return node
    flat = {key: value for key, value in node.items() if key != "data"}
    if "type" in data:
        flat["type"] = engine_type
    for key in _NODE_FIELDS:
        if key in data and key not in flat:
            flat[key] = data[key]
    if "name" not in flat and isinstance(data.get("label"), str):
        flat["name"] = data["label"]
    return flat


def normalize(document: Any) -> Any:
    """The document with React Flow's node layout folded into the native one."""
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), list):
        return document
    return {**document, "nodes": [_flatten_react_flow_node(node) for node in document["nodes"]]}
