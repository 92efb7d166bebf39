"""One kind of node, as the catalog knows it: node modules build these, the catalog lists them."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationInfo,
    model_validator,
)

from app.language.parameter_validators import rendered_as_text
from app.language.plan import NodeKind

DEFAULT_ACTION_TIMEOUT_SECONDS = 300.0
"""The time limit of one attempt of an action whose type and node set none."""
ERROR_HANDLE = "error"
"""Every node may route failures through this handle when its `on_error` is `route`."""

TUNING_FIELDS = ("retry", "timeout_seconds")
"""Node-level fields that only some node types use; the others refuse them."""


class Parameters(BaseModel):
    """Base of every node's parameter model: unknown parameters are mistakes, not UI state.

    Any string may hold `{{ }}` templates. A field whose value is a whole template (e.g.
    `"{{ vars.limit }}"` for an integer) cannot be type-checked before the run; validation
    accepts it and the rendered value is checked when the node runs.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _rendered_as_text(
        cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo
    ) -> Self:
        return rendered_as_text(data, handler, info)


@dataclass(frozen=True)
class NodeType:
    """Everything known about one kind of node: its palette entry, its checks, its runtime."""

    type: str
    """The name a graph uses, e.g. `x.post`."""
    kind: NodeKind
    """`trigger` starts runs, `control` runs inside the workflow, `action` is one activity."""
    category: str
    """Palette group: `trigger`, `flow`, `data`, `http`, `x`, `instagram`, ..."""
    title: str
    description: str
    parameters: builtins.type[Parameters]
    """Pydantic model of the parameters; its JSON Schema is published in the catalog."""
    handles: tuple[str, ...] = ("out",)
    """Output handles edges can leave from (besides `error`, which every node has)."""
    handles_from: Callable[[Any], tuple[str, ...]] | None = None
    """For handles that depend on parameters (switch cases): parameters → handles."""
    exclusive: bool = False
    """The handles are alternatives: one run leaves through exactly one of them."""
    output: Mapping[str, Any] = field(default_factory=dict)
    """JSON Schema of what the node outputs (readable as `nodes.<id>`)."""
    expression_fields: tuple[str, ...] = ()
    """Parameters holding a bare expression (a condition, a list of items), not a template."""
    literal_fields: tuple[str, ...] = ()
    """Parameters used exactly as written, never rendered (trigger settings read before any
    run exists, a join's mode): a `{{ }}` template in them is refused at validation."""
    activity: str | None = None
    """For actions: the registered activity name."""
    account: str | None = None
    """For actions: the platform of the connected account it uses (`x`, `instagram`, `http`)."""
    account_required: bool = False
    other_accounts: tuple[str, ...] = ()
    """For actions: other platforms whose connected accounts it may use too (`http.request`
    takes an X or Instagram account to call that platform's own API with its token)."""
    tuning: tuple[str, ...] | None = None
    """Which of `TUNING_FIELDS` a node of this type uses. None: all of them for an action
    (one activity, retried, each attempt time-limited), none for anything else."""

    @property
    def tuning_fields(self) -> tuple[str, ...]:
        if self.tuning is not None:
            return self.tuning
        return TUNING_FIELDS if self.kind == "action" else ()

    @property
    def node_fields(self) -> tuple[str, ...]:
        """The node-level fields (beside `id`, `type`, `parameters`) that mean something here."""
        fields = ["name", "disabled"]
        if self.kind != "trigger":
            fields.append("on_error")
        if self.account is not None:
            fields.append("account_id")
        return (*fields, *self.tuning_fields)

    default_timeout_seconds: float | None = None
    """For actions: the time limit of one attempt when the node sets no `timeout_seconds`
    (None: `DEFAULT_ACTION_TIMEOUT_SECONDS`)."""
    timeout_needed: Callable[[Mapping[str, Any]], float | None] | None = None
    """For actions whose parameters can ask for more time than the default (an HTTP
    request's own `timeout`): parameters as written → the seconds one attempt needs at
    least, or None when they do not say (a template decides at run time)."""

    def default_timeout(self) -> float | None:
        """The time limit of one attempt of an action of this type (None: not an action)."""
        if self.kind != "action":
            return None
        return self.default_timeout_seconds or DEFAULT_ACTION_TIMEOUT_SECONDS

    def default_timeout_for(self, parameters: Mapping[str, Any]) -> float | None:
        """The time limit of one attempt of a node of this type that sets none, given its
        parameters as written (None: not an action)."""
        default = self.default_timeout()
        if default is None:
            return None
        needed = self.timeout_needed(parameters) if self.timeout_needed else None
        return max(default, needed or 0)

    def handles_for(self, parameters: Any) -> tuple[str, ...]:
        """The handles of a node of this type with these (validated) parameters."""
        if self.handles_from is not None:
            return self.handles_from(parameters)
        return self.handles
