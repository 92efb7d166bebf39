"""Previewing an expression for the builder: the engine's own evaluator and budgets, against
a run's node or sample data. Reads only; read scope is enough."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CallerDep, TemporalDep
from app.api.responses import AUTHENTICATED, errors
from app.language.graph import NODE_ID_PATTERN
from app.services import expression_preview
from app.services.expression_preview import PreviewMode

router = APIRouter(prefix="/expressions", tags=["language"], responses=AUTHENTICATED)

MAX_SOURCE_LENGTH = 100_000
"""A template's longest text (`Limits.max_template_length`)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunNodeContext(_Strict):
    """The roots as one node of a run saw them: its upstream nodes' outputs, the run's
    trigger payload, variables and metadata."""

    run_id: str = Field(min_length=1, max_length=100)
    node_id: str = Field(pattern=NODE_ID_PATTERN)


class SampleContext(_Strict):
    """The roots given as they are; absent ones read as null (`nodes`, `vars` as empty)."""

    trigger: Any = None
    nodes: dict[str, Any] = Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)
    run: dict[str, Any] = Field(default_factory=dict)
    now: str | None = Field(default=None, max_length=64, description="Default: the time now.")
    item: Any = None
    index: int | None = None
    event: Any = None
    error: Any = None


class PreviewRequest(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source": "Hello {{ trigger.name }}",
                    "mode": "template",
                    "context": {"trigger": {"name": "Ada"}},
                },
                {
                    "source": "nodes.check.status == 200",
                    "mode": "expression",
                    "context": {"run_id": "run_3f9a1c2b7d4e5f60718293a4", "node_id": "decide"},
                },
            ]
        },
    )

    source: str = Field(max_length=MAX_SOURCE_LENGTH, description="The text of the field.")
    mode: PreviewMode = Field(
        default="template",
        description="`template`: a parameter string with `{{ }}`; `expression`: a bare "
        "expression field (a condition, a loop's items, a wait's match).",
    )
    context: RunNodeContext | SampleContext = Field(default_factory=SampleContext)


class PreviewErrorPublic(BaseModel):
    type: Literal[
        "ExpressionError",
        "ExpressionSyntaxError",
        "ExpressionEvaluationError",
        "ExpressionLimitError",
    ]
    message: str
    offset: int | None
    """Character offset in `source`, when known."""


class PreviewPublic(BaseModel):
    value: Any = None
    """What the field would hold (a template with one whole `{{ }}` keeps the value's type)."""
    error: PreviewErrorPublic | None = None
    """Why it cannot be evaluated; `value` is then null."""


@router.post(
    "/preview",
    operation_id="preview_expression",
    response_model=PreviewPublic,
    responses=errors(404, 422),
)
async def preview_expression(
    body: PreviewRequest, caller: CallerDep, temporal: TemporalDep
) -> PreviewPublic:
    """Evaluate a template or bare expression with the same evaluator, sandbox and budgets
    (work, size, time) as a run. An expression that fails is a 200 with `error`; nothing is
    stored or started."""
    upstream: set[str] | None = None
    node_id: str | None = None
    if isinstance(body.context, RunNodeContext):
        node_id = body.context.node_id
        context, upstream = await expression_preview.run_context(
            temporal,
            organization_id=caller.organization_id,
            run_id=body.context.run_id,
            node_id=node_id,
        )
    else:
        context = body.context.model_dump()
        context["now"] = context["now"] or datetime.now(UTC).isoformat()
    result = await expression_preview.preview(
        body.source, body.mode, context, node_id=node_id, upstream=upstream
    )
    if result.error is None:
        return PreviewPublic(value=result.value)
    error = result.error
    return PreviewPublic(
        error=PreviewErrorPublic.model_validate(
            {"type": error.type, "message": error.message, "offset": error.offset}
        )
    )
