"""API keys of the caller's organization: issued once in clear, named, revocable, read-only."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import CallerDep, SessionDep, SettingsDep, WriterDep
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.store import api_keys as store

router = APIRouter(prefix="/api-keys", tags=["api keys"], responses=AUTHENTICATED)


class ApiKeyBase(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["CI pipeline"])
    read_only: bool = Field(
        default=False, description="A read-only key may read everything and change nothing."
    )


class ApiKeyCreate(ApiKeyBase):
    model_config = ConfigDict(extra="forbid")


class ApiKeyPublic(ApiKeyBase):
    id: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(
        description="The key itself, shown this once: it is stored only as a hash.",
        examples=["fh_3q2-7vX0m..."],
    )


class ApiKeysPublic(BaseModel):
    data: list[ApiKeyPublic]
    count: int


@router.post(
    "",
    operation_id="create_api_key",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses=WRITES,
)
async def create_api_key(
    body: ApiKeyCreate, caller: WriterDep, session: SessionDep, settings: SettingsDep
) -> ApiKeyCreated:
    """Issue a key for the caller's organization; its secret is in this answer only."""
    issued = await store.create_key(
        session,
        organization_id=caller.organization_id,
        name=body.name,
        read_only=body.read_only,
        secret_key=settings.secret_key,
    )
    public = ApiKeyPublic.model_validate(issued.record, from_attributes=True)
    return ApiKeyCreated(**public.model_dump(), key=issued.secret)


@router.get("", operation_id="list_api_keys", response_model=ApiKeysPublic)
async def list_api_keys(caller: CallerDep, session: SessionDep) -> ApiKeysPublic:
    """Every key of the organization, revoked ones included; never their secrets."""
    keys = await store.list_keys(session, organization_id=caller.organization_id)
    data = [ApiKeyPublic.model_validate(key, from_attributes=True) for key in keys]
    return ApiKeysPublic(data=data, count=len(data))


@router.get(
    "/{key_id}", operation_id="get_api_key", response_model=ApiKeyPublic, responses=errors(404)
)
async def get_api_key(key_id: str, caller: CallerDep, session: SessionDep) -> ApiKeyPublic:
    """One key's name, prefix, mode and dates."""
    key = await store.get_key(session, organization_id=caller.organization_id, key_id=key_id)
    return ApiKeyPublic.model_validate(key, from_attributes=True)


@router.delete(
    "/{key_id}",
    operation_id="revoke_api_key",
    response_model=ApiKeyPublic,
    responses={**WRITES, **errors(404)},
)
async def revoke_api_key(key_id: str, caller: WriterDep, session: SessionDep) -> ApiKeyPublic:
    """Revoke a key: from now on it authenticates nothing. The record stays, marked revoked."""
    key = await store.revoke_key(session, organization_id=caller.organization_id, key_id=key_id)
    return ApiKeyPublic.model_validate(key, from_attributes=True)
