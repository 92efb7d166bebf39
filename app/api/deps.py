"""Dependencies, declared once as `Annotated` aliases so handler signatures stay short."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from app.api.errors import BUSY_RETRY_AFTER
from app.api.throttle import FailureLimiter
from app.db.engine import Database, release
from app.errors import AuthenticationError, PermissionDeniedError, ServiceUnavailableError
from app.logs import log_fields
from app.services.quotas import RunQuotas
from app.services.runs import RunService
from app.settings import Settings
from app.store.api_keys import SCOPES, Scope, allows, authenticate, looks_like_a_key
from app.store.operator import authenticate_operator, looks_like_an_operator_key
from temporal.client import LazyClient


# The dependencies are `async` though they only read: FastAPI runs a plain `def` one in a
# thread of its pool, a hand-off per request that costs far more than the read.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    async with database.session() as session:
        yield session


async def get_lazy_temporal(request: Request) -> LazyClient:
    client: LazyClient = request.app.state.temporal
    return client


async def connect_temporal(lazy: LazyClient) -> Client:
    """The client, or a 503 naming where Temporal was expected."""
    try:
        return await lazy.get()
    except Exception:
        raise ServiceUnavailableError(
            f"Temporal is not reachable at {lazy.target}", retry_after=BUSY_RETRY_AFTER
        ) from None


async def get_temporal(lazy: Annotated[LazyClient, Depends(get_lazy_temporal)]) -> Client:
    return await connect_temporal(lazy)


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
LazyTemporalDep = Annotated[LazyClient, Depends(get_lazy_temporal)]


def run_service(temporal: Client, settings: Settings, database: Database) -> RunService:
    return RunService(
        temporal,
        task_queue=settings.temporal_task_queue,
        page_token_key=settings.secret_key,
        quotas=RunQuotas(database, temporal),
    )


async def get_run_service(
    temporal: TemporalDep, settings: SettingsDep, database: DatabaseDep
) -> RunService:
    return run_service(temporal, settings, database)


RunsDep = Annotated[RunService, Depends(get_run_service)]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer fh_...`")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the organization every query is scoped to, and what the key may do."""

    organization_id: str
    api_key_id: str
    scope: Scope
    person: str | None = None
    """Whom the key belongs to: decisions made with it are that person's."""


def source_of(request: Request) -> str:
    """The address a request came from (the proxy's, unless uvicorn trusts its headers)."""
    return request.client.host if request.client else "unknown"


async def get_caller(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("missing API key: send 'Authorization: Bearer <key>'")
    limiter: FailureLimiter = request.app.state.failed_authentication
    source = source_of(request)
    limiter.check(source)
    found = (
        await authenticate(session, key=credentials.credentials, secret_key=settings.secret_key)
        if looks_like_a_key(credentials.credentials)
        else None
    )
    if found is None:
        limiter.failed(source)
        raise AuthenticationError("invalid or revoked API key")
    api_key, organization = found
    log_fields(
        organization_id=organization.id,
        run_id=request.path_params.get("run_id"),
        workflow_id=request.path_params.get("workflow_id"),
    )
    # The route takes a connection again if it reads; one waiting on Temporal holds none.
    await release(session)
    return Caller(
        organization_id=organization.id,
        api_key_id=api_key.id,
        scope=api_key.scope if api_key.scope in SCOPES else "read",
        person=api_key.person,
    )


def requiring(needed: Scope) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency that lets through keys whose scope allows `needed`, else 403."""

    async def check(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        if not allows(caller.scope, needed):
            raise PermissionDeniedError(
                f"this API key's scope is '{caller.scope}': this needs a key of scope '{needed}'"
            )
        return caller

    return check


CallerDep = Annotated[Caller, Depends(get_caller)]
"""Any live key: reads."""
WriterDep = Annotated[Caller, Depends(requiring("write"))]
"""Workflows, runs, events and decisions."""
AdminDep = Annotated[Caller, Depends(requiring("admin"))]
"""API keys, accounts and the organization."""


@dataclass(frozen=True)
class Operator:
    """The installation's operator, calling with an operator key."""

    operator_key_id: str


async def get_operator(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Operator:
    """An operator key (`python -m app.cli create-operator-key`), else 401; an organization's
    API key is 403: it opens its organization, never the installation."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("missing operator key: send 'Authorization: Bearer fho_...'")
    key = credentials.credentials
    limiter: FailureLimiter = request.app.state.failed_authentication
    source = source_of(request)
    limiter.check(source)
    if looks_like_a_key(key) and await authenticate(
        session, key=key, secret_key=settings.secret_key
    ):
        raise PermissionDeniedError(
            "an organization's API key cannot manage organizations: this needs an operator "
            "key (python -m app.cli create-operator-key)"
        )
    found = (
        await authenticate_operator(session, key=key, secret_key=settings.secret_key)
        if looks_like_an_operator_key(key)
        else None
    )
    if found is None:
        limiter.failed(source)
        raise AuthenticationError("invalid or revoked operator key")
    return Operator(operator_key_id=found.id)


OperatorDep = Annotated[Operator, Depends(get_operator)]
"""The operator: organizations themselves, nothing inside them."""
