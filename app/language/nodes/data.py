"""Data node types: set workflow variables, build a value."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from app.language.node_type import NodeType, Parameters
from app.language.parameter_validators import worded_pattern

VARIABLE_NAME_PATTERN = worded_pattern(
    r"^[A-Za-z_][A-Za-z0-9_]{0,63}$",
    "a name of letters, digits and _, at most 64, not starting with a digit",
)

VariableName = Annotated[str, Field(pattern=VARIABLE_NAME_PATTERN)]
"""A workflow variable name, readable in expressions as `vars.<name>`."""


class SetParameters(Parameters):
    """Parameters of `set`. The interpreter reads `values` as is: keep this shape."""

    values: dict[VariableName, Any] = Field(
        min_length=1,
        max_length=100,
        description=(
            "Variables to set: name → value (templates allowed anywhere inside). Names are "
            "letters, digits and _, not starting with a digit; later nodes read `vars.<name>`."
        ),
        json_schema_extra={
            "examples": [{"count": "{{ vars.count + 1 }}", "last_id": "{{ nodes.post.id }}"}]
        },
    )


class TransformParameters(Parameters):
    """Parameters of `transform`. The interpreter reads `value` as is: keep this shape."""

    value: Any = Field(
        description="The value to output: any JSON, with templates anywhere inside.",
        json_schema_extra={
            "examples": [
                {
                    "title": "{{ upper(trigger.title) }}",
                    "tags": "{{ [t.name for t in nodes.fetch.body.tags] }}",
                }
            ]
        },
    )


NODE_TYPES: tuple[NodeType, ...] = (
    NodeType(
        type="set",
        kind="control",
        category="data",
        title="Set variables",
        description="Sets workflow variables that later nodes read as `vars.<name>`.",
        parameters=SetParameters,
        output={
            "type": "object",
            "additionalProperties": True,
            "description": "All workflow variables after the change.",
        },
    ),
    NodeType(
        type="transform",
        kind="control",
        category="data",
        title="Transform",
        description="Builds a new value from earlier outputs, e.g. to reshape data for a request.",
        parameters=TransformParameters,
        output={"description": "The `value` parameter, with its templates rendered."},
    ),
)
