"""Connected accounts: list, read, update, delete, renew; connect X (OAuth 2.0 with PKCE, or
pasted bot tokens), Instagram (long-lived token), HTTP credentials and AI providers' keys.
Secrets go in, never out; an HTTP credential's allowed hosts and an AI account's base URL are
not secret, and come out (the hosts also change alone)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Cookie, Depends, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from activities.accounts.tokens import TokenKeeper
from activities.endpoints import PlatformEndpoints
from activities.errors import (
    AccountError,
    AccountUnusableError,
    ClientRejectedError,
    PlatformUnavailableError,
)
from activities.http.hosts import pattern_covered
from activities.registry import refresh_policies
from app.api.account_schemas import (
    AccountPacing,
    AccountPublic,
    AccountsPublic,
    AccountUpdate,
    AiAccountCreate,
    CredentialPublic,
    HttpAccountCreate,
    InstagramConnect,
    XAuthorizationStart,
    XAuthorizationStarted,
    XTokensCreate,
    credential_fields,
)
from app.api.deps import AdminDep, CallerDep, DatabaseDep, SessionDep, SettingsDep, WriterDep
from app.api.responses import errors
from app.db.models import Account
from app.errors import (
    AppError,
    ConflictError,
    ErrorDetail,
    InvalidInputError,
    PermissionDeniedError,
    ServiceUnavailableError,
)
from app.language.parameter_validators import worded_pattern
from app.services.accounts import AUTHORIZATION_TTL, Connections
from app.store import accounts as store
from app.vault import Vault

PLATFORM_PATTERN = worded_pattern("^(x|instagram|http|ai)$", "x, instagram, http or ai")

router = APIRouter(prefix="/accounts", tags=["accounts"])

BROWSER_COOKIE = "flowhold_oauth"
"""Holds the secret that ties an OAuth authorization to the browser that started it."""

Responses = dict[int | str, dict[str, Any]]
_READS: Responses = errors(401, 422)
_WRITES: Responses = errors(401, 403, 422)
_ONE: Responses = errors(404)
_PLATFORM: Responses = errors(503)
_PLATFORM[503] = {
    **_PLATFORM[503],
    "description": "The platform does not answer, or is not configured here; retry later.",
}


def get_connections(request: Request, database: DatabaseDep, settings: SettingsDep) -> Connections:
    """The app's platform connections, built on first use from its settings."""
    connections: Connections | None = getattr(request.app.state, "connections", None)
    if connections is None:
        endpoints = PlatformEndpoints.from_settings(settings)
        vault = Vault.from_spec(settings.vault_keys)
        keeper = TokenKeeper(database, vault, refresh_policies(endpoints))
        connections = Connections(vault, endpoints, keeper)
        request.app.state.connections = connections
    return connections


ConnectionsDep = Annotated[Connections, Depends(get_connections)]


@contextmanager
def _platform_errors(field: tuple[str | int, ...] = ()) -> Iterator[None]:
    """The platform's answers as API errors; `field` is what a refused token came in."""
    try:
        yield
    except (PlatformUnavailableError, ClientRejectedError) as error:
        raise ServiceUnavailableError(error.message) from None
    except AccountUnusableError as error:
        raise ConflictError(error.message) from None
    except AccountError as error:
        raise InvalidInputError(
            error.message, [ErrorDetail(message=error.message, path=field)]
        ) from None


async def _public(session: SessionDep, vault: Vault, account: Account) -> AccountPublic:
    summary = await store.credential_summary(session, vault, account=account)
    credential = (
        CredentialPublic(kind=summary.kind, expires_at=summary.expires_at) if summary else None
    )
    return AccountPublic(
        id=account.id,
        platform=account.platform,
        display_name=account.display_name,
        status=account.status,
        scopes=list(account.scopes),
        external_id=account.external_id,
        credential=credential,
        allowed_hosts=summary.allowed_hosts if summary else None,
        base_url=summary.base_url if summary else None,
        pacing=AccountPacing(
            actions_per_window=account.actions_per_window,
            window_seconds=account.action_window_seconds or 3600,
        )
        if account.actions_per_window
        else None,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


@router.get("", operation_id="list_accounts", response_model=AccountsPublic, responses=_READS)
async def list_accounts(
    caller: CallerDep,
    session: SessionDep,
    connections: ConnectionsDep,
    platform: Annotated[str | None, Query(pattern=PLATFORM_PATTERN)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AccountsPublic:
    """The organization's connected accounts, oldest first."""
    accounts, count = await store.list_accounts(
        session, organization_id=caller.organization_id, platform=platform,
        offset=offset, limit=limit,
    )  # fmt: skip
    data = [await _public(session, connections.vault, account) for account in accounts]
    return AccountsPublic(data=data, count=count)


_SENT_BACK: Responses = {
    303: {
        "description": (
            "When the authorization was started with `return_to`: the browser goes back there "
            "with `?connected=<account id>`, or `?error=<kind>&message=<what went wrong>`."
        )
    }
}


def _send_back(return_to: str, **outcome: str) -> RedirectResponse:
    """A 303 to `return_to` (a path here) with the outcome added to its query."""
    path, _, query = return_to.partition("?")
    pairs = [*parse_qsl(query, keep_blank_values=True), *outcome.items()]
    return RedirectResponse(f"{path}?{urlencode(pairs)}", status_code=status.HTTP_303_SEE_OTHER)


@router.get(
    "/x/callback",
    operation_id="finish_x_authorization",
    response_model=AccountPublic,
    responses={**errors(422), **_PLATFORM, **_SENT_BACK},
)
async def finish_x_authorization(
    session: SessionDep,
    connections: ConnectionsDep,
    state: Annotated[str, Query(min_length=1, max_length=200)],
    browser_secret: Annotated[str | None, Cookie(alias=BROWSER_COOKIE, max_length=100)] = None,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=2000)] = None,
) -> AccountPublic | RedirectResponse:
    """Where X sends the person back. No API key: `state` ties it to the authorization (and
    organization) it started, once, within ten minutes, and the cookie set when it started
    ties it to that browser (403 in any other); the code is exchanged with PKCE. Started
    with `return_to`, it answers `303` back there instead of JSON (an unknown `state` has no
    `return_to`, so it stays a 422)."""
    if error is not None or not code:
        # Used up either way, so the same state cannot be tried again.
        refused = await connections.forget_x_authorization(session, state=state)
        message = f"X did not authorize: {error_description or error or 'no code'}"
        if refused is not None and refused.return_to is not None:
            return _send_back(refused.return_to, error=error or "access_denied", message=message)
        raise InvalidInputError(message, [ErrorDetail(message=message, path=("query", "error"))])
    pending = await connections.take_x_authorization(session, state=state)
    try:
        with _platform_errors(("query", "state")):
            account = await connections.finish_x_authorization(
                session, pending=pending, code=code, browser_secret=browser_secret
            )
    except AppError as failure:
        if pending.return_to is None:
            raise
        return _send_back(pending.return_to, error=failure.type, message=failure.message)
    if pending.return_to is not None:
        return _send_back(pending.return_to, connected=account.id)
    return await _public(session, connections.vault, account)


@router.post(
    "/x/authorize",
    operation_id="start_x_authorization",
    status_code=status.HTTP_201_CREATED,
    response_model=XAuthorizationStarted,
    responses={**_WRITES, **_PLATFORM},
)
async def start_x_authorization(
    request: Request,
    response: Response,
    caller: AdminDep,
    session: SessionDep,
    connections: ConnectionsDep,
    body: XAuthorizationStart | None = None,
    browser_secret: Annotated[str | None, Cookie(alias=BROWSER_COOKIE, max_length=100)] = None,
) -> XAuthorizationStarted:
    """Start connecting an X account: send the person to `authorize_url`; X brings them back
    to `/accounts/x/callback`, which stores the account and answers it as JSON, or, with
    `return_to`, sends the browser back there (`303`). The answer sets a short-lived cookie
    that binds the authorization to this browser: approve it in the same browser (a script
    keeps the cookie, as `curl -c jar -b jar` does)."""
    browser_secret = browser_secret or secrets.token_urlsafe(32)
    with _platform_errors():
        started = await connections.start_x_authorization(
            session,
            organization_id=caller.organization_id,
            browser_secret=browser_secret,
            return_to=body.return_to if body is not None else None,
        )
    response.set_cookie(
        BROWSER_COOKIE,
        browser_secret,
        max_age=int(AUTHORIZATION_TTL.total_seconds()),
        path="/accounts/x",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return XAuthorizationStarted(authorize_url=started.authorize_url, expires_at=started.expires_at)


@router.post(
    "/x/tokens",
    operation_id="connect_x_tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountPublic,
    responses={**_WRITES, **_PLATFORM},
)
async def connect_x_tokens(
    body: XTokensCreate, caller: AdminDep, session: SessionDep, connections: ConnectionsDep
) -> AccountPublic:
    """Connect a bot account by pasting its tokens; they are checked with X first."""
    with _platform_errors(("body", "access_token")):
        account = await connections.paste_x_tokens(
            session, organization_id=caller.organization_id, access_token=body.access_token,
            refresh_token=body.refresh_token, expires_in=body.expires_in, scopes=body.scopes,
            display_name=body.display_name,
        )  # fmt: skip
    return await _public(session, connections.vault, account)


@router.post(
    "/instagram",
    operation_id="connect_instagram",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountPublic,
    responses={**_WRITES, **_PLATFORM},
)
async def connect_instagram(
    body: InstagramConnect, caller: AdminDep, session: SessionDep, connections: ConnectionsDep
) -> AccountPublic:
    """Connect an Instagram professional account with a long-lived token, checked with Meta."""
    with _platform_errors(("body", "access_token")):
        account = await connections.connect_instagram(
            session, organization_id=caller.organization_id, access_token=body.access_token,
            expires_in=body.expires_in, display_name=body.display_name,
        )  # fmt: skip
    return await _public(session, connections.vault, account)


@router.post(
    "/http",
    operation_id="create_http_account",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountPublic,
    responses=_WRITES,
)
async def create_http_account(
    body: HttpAccountCreate, caller: AdminDep, session: SessionDep, connections: ConnectionsDep
) -> AccountPublic:
    """Store a credential for `http.request` nodes: bearer token, basic, header or query."""
    account = await store.connect_account(
        session, connections.vault, organization_id=caller.organization_id, platform="http",
        display_name=body.display_name, kind=body.credential.type, secret=body.secret(),
    )  # fmt: skip
    return await _public(session, connections.vault, account)


@router.post(
    "/ai",
    operation_id="create_ai_account",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountPublic,
    responses=_WRITES,
)
async def create_ai_account(
    body: AiAccountCreate, caller: AdminDep, session: SessionDep, connections: ConnectionsDep
) -> AccountPublic:
    """Store an AI provider's API key for `ai.generate` nodes: `openai` for OpenAI and the APIs
    that copy its Chat Completions (Mistral, Gemini's OpenAI-compatible endpoint, local
    servers; give their `base_url`), `anthropic` for Anthropic's Messages API. The key is
    sealed with the base URL, so it only ever goes there; it is not checked with the provider
    (a node using a wrong key fails with `AiUnauthorized`)."""
    account = await store.connect_account(
        session, connections.vault, organization_id=caller.organization_id, platform="ai",
        display_name=body.display_name, kind=body.provider, secret=body.secret(),
    )  # fmt: skip
    return await _public(session, connections.vault, account)


@router.get(
    "/{account_id}",
    operation_id="get_account",
    response_model=AccountPublic,
    responses={**_READS, **_ONE},
)
async def get_account(
    account_id: str, caller: CallerDep, session: SessionDep, connections: ConnectionsDep
) -> AccountPublic:
    """One connected account: its platform, status, what kind of credential it has and, for an
    HTTP account, the hosts that credential is for."""
    account = await store.get_account(
        session, organization_id=caller.organization_id, account_id=account_id
    )
    return await _public(session, connections.vault, account)


@router.patch(
    "/{account_id}",
    operation_id="update_account",
    response_model=AccountPublic,
    responses={**_WRITES, **_ONE, **errors(409)},
)
async def update_account(
    account_id: str,
    body: AccountUpdate,
    caller: WriterDep,
    session: SessionDep,
    connections: ConnectionsDep,
) -> AccountPublic:
    """Rename an account, narrow the hosts an HTTP account's credential is for without sending
    its secret again (it is sealed again with the new hosts), or replace that credential;
    pace its actions (`pacing`: at most so many per window, the rest wait their turn).
    Adding hosts needs an admin key or the credential again. Fields left out stay."""
    account = await store.get_account(
        session, organization_id=caller.organization_id, account_id=account_id
    )
    for name in ("allowed_hosts", "credential"):
        if getattr(body, name) is not None and account.platform != "http":
            message = f"{name} applies to HTTP accounts; this is a {account.platform} account"
            raise InvalidInputError(message, [ErrorDetail(message=message, path=("body", name))])
    if body.allowed_hosts is not None and body.credential is None and caller.scope != "admin":
        await _refuse_wider_hosts(session, connections.vault, account, body.allowed_hosts)
    credential = (
        (body.credential.type, credential_fields(body.credential)) if body.credential else None
    )
    account = await store.update_account(
        session, connections.vault, organization_id=caller.organization_id,
        account_id=account_id, display_name=body.display_name, allowed_hosts=body.allowed_hosts,
        credential=credential,
        pacing=(
            (body.pacing.actions_per_window, body.pacing.window_seconds) if body.pacing else None
        ),
    )  # fmt: skip
    return await _public(session, connections.vault, account)


async def _refuse_wider_hosts(
    session: SessionDep, vault: Vault, account: Account, wanted: list[str]
) -> None:
    summary = await store.credential_summary(session, vault, account=account)
    current = summary.allowed_hosts if summary and summary.allowed_hosts else []
    wider = [pattern for pattern in wanted if not pattern_covered(pattern, current)]
    if wider:
        message = (
            f"allowed_hosts would send the credential to {', '.join(wider[:5])}, which it is not "
            "for: adding hosts needs an admin key, or the credential sent again (credential)"
        )
        raise PermissionDeniedError(message, [ErrorDetail(message, ("body", "allowed_hosts"))])


@router.post(
    "/{account_id}/refresh",
    operation_id="refresh_account",
    response_model=AccountPublic,
    responses={**_WRITES, **_ONE, **errors(409), **_PLATFORM},
)
async def refresh_account(
    account_id: str, caller: AdminDep, session: SessionDep, connections: ConnectionsDep
) -> AccountPublic:
    """Renew the account's token now (the engine also does it before expiry and after a 401)."""
    with _platform_errors():
        account = await connections.renew(
            session, organization_id=caller.organization_id, account_id=account_id
        )
    return await _public(session, connections.vault, account)


@router.delete(
    "/{account_id}",
    operation_id="delete_account",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_WRITES, **_ONE},
)
async def delete_account(
    account_id: str, caller: AdminDep, session: SessionDep, connections: ConnectionsDep
) -> Response:
    """Delete the account and its credential (an X grant is revoked at X as well). Workflows
    that use it fail at that node until they name another account."""
    await connections.disconnect(
        session, organization_id=caller.organization_id, account_id=account_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
