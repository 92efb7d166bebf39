from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from sqlmodel.ext.asyncio.session import AsyncSession

from app import sub_workflows
from app.api.deps import CallerDep, SessionDep, WriterDep
from app.api.schemas import (
    GraphValidation,
    WorkflowCreate,
    WorkflowPublic,
    WorkflowValidate,
    WorkflowVersionPublic,
)
from app.errors import ErrorDetail, InvalidInputError
from app.language.compiler import build_plan
from app.language.errors import Issue
from app.language.plan import Plan
from app.language.validation import validate
from app.store import workflows as store
from app.store.accounts import account_platforms

router = APIRouter(prefix="/workflows", tags=["workflows"])


def _details(issues: list[Issue]) -> list[ErrorDetail]:
    return [
        ErrorDetail(
            message=issue.message,
            path=("graph", *issue.path),
            node_id=issue.node_id,
            code=issue.code,
        )
        for issue in issues
    ]


async def _check(
    session: AsyncSession,
    organization_id: str,
    graph: dict[str, Any],
    workflow_id: str | None = None,
) -> tuple[Plan | None, list[Issue]]:
    """Validate and compile; `workflow_id` is the workflow a new version would belong to."""
    accounts = await account_platforms(session, organization_id=organization_id)
    checked, issues = validate(graph, accounts=accounts)
    if checked is None:
        return None, issues
    return await sub_workflows.link(
        session,
        organization_id=organization_id,
        graph=checked.graph,
        plan=build_plan(checked),
        workflow_id=workflow_id,
    )


@router.post(
    "",
    operation_id="create_workflow",
    status_code=status.HTTP_201_CREATED,
    response_model=WorkflowPublic,
)
async def create_workflow(
    body: WorkflowCreate, caller: WriterDep, session: SessionDep
) -> WorkflowPublic:
    """Validate the graph completely and store it as version 1, or answer 422 with every problem."""
    plan, issues = await _check(session, caller.organization_id, body.graph)
    if plan is None:
        raise InvalidInputError("the workflow graph is not valid", _details(issues))
    workflow, _ = await store.create_workflow(
        session,
        organization_id=caller.organization_id,
        name=body.name,
        description=body.description,
        graph=body.graph,
        plan=plan,
    )
    return WorkflowPublic.model_validate(workflow, from_attributes=True)


@router.post("/validate", operation_id="validate_workflow", response_model=GraphValidation)
async def validate_workflow(
    body: WorkflowValidate, caller: CallerDep, session: SessionDep
) -> GraphValidation:
    """Check a graph without storing it: every problem, each naming its node and field."""
    plan, issues = await _check(session, caller.organization_id, body.graph)
    return GraphValidation(
        valid=plan is not None,
        plan_hash=plan.content_hash() if plan else None,
        errors=[detail.as_json() for detail in _details(issues)],
    )


@router.get("/{workflow_id}", operation_id="get_workflow", response_model=WorkflowPublic)
async def get_workflow(workflow_id: str, caller: CallerDep, session: SessionDep) -> WorkflowPublic:
    workflow = await store.get_workflow(
        session, organization_id=caller.organization_id, workflow_id=workflow_id
    )
    return WorkflowPublic.model_validate(workflow, from_attributes=True)


@router.get(
    "/{workflow_id}/versions/{version}",
    operation_id="get_workflow_version",
    response_model=WorkflowVersionPublic,
)
async def get_workflow_version(
    workflow_id: str, version: int, caller: CallerDep, session: SessionDep
) -> WorkflowVersionPublic:
    row = await store.get_version(
        session, organization_id=caller.organization_id, workflow_id=workflow_id, version=version
    )
    return WorkflowVersionPublic.model_validate(row, from_attributes=True)
