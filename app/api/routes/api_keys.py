"""API keys of the caller's organization: issued once in clear, named, scoped, expiring,
revocable. Only an admin key manages keys."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from app.api.deps import AdminDep, CallerDep, SessionDep, SettingsDep
from app.api.responses import AUTHENTICATED, WRITES, errors
from app.api.schemas import Person
from app.db.models import ApiKey
from app.db.types import utcnow
from app.store import api_keys as store
from app.store.api_keys import Scope

router = APIRouter(prefix="/api-keys", tags=["api keys"], responses=AUTHENTICATED)


MAX_KEY_LIFETIME = timedelta(days=3650)

SCOPE_DESCRIPTION = (
    "`read`: read everything of the organization; `write`: also workflows, runs, events and "
    "decisions; `admin`: also API keys, accounts and the organization."
)


class ApiKeyBase(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["CI pipeline"])
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="When the key stops working (with a time zone); none: it never expires.",
        examples=["2027-06-30T00:00:00Z"],
    )


class ApiKeyCreate(ApiKeyBase):
    model_config = ConfigDict(extra="forbid")

    scope: Scope | None = Field(default=None, description=SCOPE_DESCRIPTION + " Default `write`.")
    read_only: bool | None = Field(
        default=None, description="Deprecated: `true` is `scope: read`, `false` is `write`."
    )
    person: Person | None = Field(
        default=None,
        description="Whom the key belongs to (an e-mail or a name): decisions made with it "
        "are recorded as this person's, verified, and approvals that name this person "
        "among their `approvers` take them. Empty: a key of no one in particular.",
        examples=["ana@example.com"],
    )

    @model_validator(mode="after")
    def _one_way_to_say_the_scope(self) -> ApiKeyCreate:
        disagree = self.read_only is not None and self.read_only != (self.scope == "read")
        if self.scope is not None and disagree:
            raise ValueError("read_only and scope disagree: send scope alone")
        if self.expires_at is not None:
            now = utcnow()
            if self.expires_at <= now:
                raise ValueError("expires_at is in the past")
            if self.expires_at > now + MAX_KEY_LIFETIME:
                raise ValueError("expires_at is more than 10 years away")
        return self

    @property
    def chosen_scope(self) -> Scope:
        if self.scope is not None:
            return self.scope
        return "read" if self.read_only else "write"


class ApiKeyPublic(ApiKeyBase):
    id: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    scope: Scope = Field(description=SCOPE_DESCRIPTION)
    read_only: bool = Field(description="Deprecated: whether the scope is `read`.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="When it last authenticated a request.")
    revoked_at: datetime | None
    person: str | None = Field(description="Whom the key belongs to; null: no one.")


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
    body: ApiKeyCreate, caller: AdminDep, session: SessionDep, settings: SettingsDep
) -> ApiKeyCreated:
    """Issue a key for the caller's organization; its secret is in this answer only."""
    issued = await store.create_key(
        session,
        organization_id=caller.organization_id,
        name=body.name,
        scope=body.chosen_scope,
        expires_at=body.expires_at,
        person=body.person,
        secret_key=settings.secret_key,
    )
    public = _public(issued.record)
    return ApiKeyCreated(**public.model_dump(), key=issued.secret)


def _public(key: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scope=key.scope,
        read_only=key.scope == "read",
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        person=key.person,
    )


@router.get("", operation_id="list_api_keys", response_model=ApiKeysPublic)
async def list_api_keys(caller: AdminDep, session: SessionDep) -> ApiKeysPublic:
    """Every key of the organization, revoked ones included; never their secrets."""
    keys = await store.list_keys(session, organization_id=caller.organization_id)
    data = [_public(key) for key in keys]
    return ApiKeysPublic(data=data, count=len(data))


@router.get("/current", operation_id="get_current_api_key", response_model=ApiKeyPublic)
async def get_current_api_key(caller: CallerDep, session: SessionDep) -> ApiKeyPublic:
    """The key this request is made with, of any scope: its scope, and the person it belongs
    to (whom a decision made with it is recorded as)."""
    key = await store.get_key(
        session, organization_id=caller.organization_id, key_id=caller.api_key_id
    )
    return _public(key)


@router.get(
    "/{key_id}", operation_id="get_api_key", response_model=ApiKeyPublic, responses=errors(404)
)
async def get_api_key(key_id: str, caller: AdminDep, session: SessionDep) -> ApiKeyPublic:
    """One key's name, prefix, scope and dates."""
    key = await store.get_key(session, organization_id=caller.organization_id, key_id=key_id)
    return _public(key)


@router.delete(
    "/{key_id}",
    operation_id="revoke_api_key",
    response_model=ApiKeyPublic,
    responses={**WRITES, **errors(404)},
)
async def revoke_api_key(key_id: str, caller: AdminDep, session: SessionDep) -> ApiKeyPublic:
    """Revoke a key: from now on it authenticates nothing. The record stays, marked revoked."""
    key = await store.revoke_key(session, organization_id=caller.organization_id, key_id=key_id)
    return _public(key)
