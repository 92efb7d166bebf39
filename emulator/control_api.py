"""The control API under `/_emulator`: what `testing.py` offers in Python, over HTTP, for the
sandbox and scripts. Not part of any platform's API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from emulator import control
from emulator.faults import Failure
from emulator.rate_limits import reset_seconds
from emulator.state import EmulatorState, emulator_of
from emulator.x_render import post_json, timestamp
from emulator.x_state import DEFAULT_SCOPES

router = APIRouter(prefix="/_emulator", tags=["control"])

Status = Annotated[int, Field(ge=100, le=599)]


class ClockAdvance(BaseModel):
    seconds: float = Field(gt=0, description="How far to move the emulator's clock forward.")


class FaultRequest(BaseModel):
    method: str = Field(description="HTTP method, or `*` for any.", examples=["POST"])
    path: str = Field(description="Glob over the request path.", examples=["/2/tweets"])
    times: int = Field(default=1, ge=1, description="How many matching requests fail.")
    status: Status = 503
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = Field(default=None, description="JSON body; null: the platform's own error.")
    network: bool = Field(default=False, description="Close the connection instead.")
    hang: bool = Field(
        default=False, description="Answer nothing until the client goes away instead."
    )
    when: Literal["before", "after"] = Field(
        default="before", description="`after`: the request takes effect, then fails."
    )


class XUserRequest(BaseModel):
    username: str = Field(min_length=1, max_length=15, pattern=r"^\w+$")
    name: str | None = None
    user_id: str | None = Field(default=None, pattern=r"^[0-9]{1,19}$")
    scopes: list[str] = Field(default_factory=lambda: sorted(DEFAULT_SCOPES))
    access_token: str | None = Field(default=None, min_length=8)
    refresh_token: str | None = Field(default=None, min_length=8)


class TokensRequest(BaseModel):
    scopes: list[str] = Field(default_factory=lambda: sorted(DEFAULT_SCOPES))
    access_token: str | None = Field(default=None, min_length=8)
    refresh_token: str | None = Field(default=None, min_length=8)


class TokenRequest(BaseModel):
    token: str = Field(min_length=1)


class RateLimitRequest(BaseModel):
    user: str = Field(description="X user id or username.")
    endpoint: str = Field(examples=["POST /2/tweets"])
    remaining: int = Field(ge=0)
    reset_in_seconds: float = Field(ge=0, description="When the window resets, from now.")
    daily: bool = Field(default=False, description="Set the 24-hour post cap instead.")


class ClientRequest(BaseModel):
    client_id: str = Field(min_length=1)
    client_secret: str | None = Field(default=None, description="null: a public client.")


class AiKeyRequest(BaseModel):
    key: str = Field(min_length=1, description="An API key both AI providers accept.")


class AiReplyRequest(BaseModel):
    text: str = Field(description="What the next AI answer says instead of its echo.")


def ok(body: dict[str, Any] | None = None, status: int = 200) -> JSONResponse:
    return JSONResponse(body or {"ok": True}, status_code=status)


@router.post("/reset")
async def reset(request: Request) -> JSONResponse:
    """Forget every user, post, container, token, fault and record; keep the configuration."""
    old = emulator_of(request)
    request.app.state.emulator = EmulatorState(old.config)
    return ok()


@router.get("/clock")
async def read_clock(request: Request) -> JSONResponse:
    clock = emulator_of(request).clock
    return ok({"now": clock.now().isoformat(), "offset_seconds": clock.offset.total_seconds()})


@router.post("/clock/advance")
async def advance_clock(body: ClockAdvance, request: Request) -> JSONResponse:
    clock = emulator_of(request).clock
    clock.advance(timedelta(seconds=body.seconds))
    return ok({"now": clock.now().isoformat(), "offset_seconds": clock.offset.total_seconds()})


@router.post("/faults", status_code=201)
async def add_fault(body: FaultRequest, request: Request) -> JSONResponse:
    failure = Failure(body.status, body.headers, body.body, body.network, body.when, body.hang)
    fault = emulator_of(request).faults.add(body.method, body.path, failure, body.times)
    return ok(fault.as_json(), status=201)


@router.get("/faults")
async def list_faults(request: Request) -> JSONResponse:
    return ok({"faults": [fault.as_json() for fault in emulator_of(request).faults.pending()]})


@router.delete("/faults")
async def clear_faults(request: Request) -> JSONResponse:
    emulator_of(request).faults.clear()
    return ok()


@router.get("/record")
async def read_record(
    request: Request, kind: str | None = None, subject: str | None = None
) -> JSONResponse:
    """Side effects in order (filtered by kind and subject), and counts of every kind."""
    record = emulator_of(request).record
    effects = [effect.as_json() for effect in record.of(kind, subject)]
    return ok({"effects": effects, "counts": record.counts()})


@router.get("/requests")
async def read_requests(
    request: Request, method: str | None = None, path: str | None = None
) -> JSONResponse:
    exchanges = emulator_of(request).record.requests(method, path)
    return ok({"requests": [exchange.as_json() for exchange in exchanges]})


@router.post("/x/clients", status_code=201)
async def add_x_client(body: ClientRequest, request: Request) -> JSONResponse:
    emulator_of(request).x.clients[body.client_id] = body.client_secret
    return ok({"client_id": body.client_id}, status=201)


@router.post("/x/users", status_code=201)
async def add_x_user(body: XUserRequest, request: Request) -> JSONResponse:
    account = control.add_x_user(emulator_of(request), **body.model_dump())
    return ok(account.as_json(), status=201)


@router.post("/x/users/{user}/tokens", status_code=201)
async def issue_x_tokens(user: str, body: TokensRequest, request: Request) -> JSONResponse:
    account = control.issue_x_tokens(emulator_of(request), user, **body.model_dump())
    return ok(account.as_json(), status=201)


@router.post("/x/users/{user}/media", status_code=201)
async def add_x_media(user: str, request: Request) -> JSONResponse:
    media_id = control.add_x_media(emulator_of(request), user)
    return ok({"media_id": media_id}, status=201)


@router.get("/x/users/{user}/posts")
async def x_posts(user: str, request: Request, include_deleted: bool = False) -> JSONResponse:
    state = emulator_of(request)
    found = state.x.find_user(user)
    if found is None:
        raise control.ControlError(f"no X user {user!r}")
    posts = state.x.posts_by(found.id, include_deleted=include_deleted)
    fields = {"created_at", "conversation_id", "public_metrics", "referenced_tweets"}
    listed = [
        post_json(post, fields, found.id)
        | ({"deleted_at": timestamp(post.deleted_at)} if post.deleted_at else {})
        for post in posts
    ]
    return ok({"posts": listed, "count": len(listed)})


@router.post("/tokens/expire")
async def expire_token(body: TokenRequest, request: Request) -> JSONResponse:
    control.expire_token(emulator_of(request), body.token)
    return ok()


@router.post("/tokens/revoke")
async def revoke_token(body: TokenRequest, request: Request) -> JSONResponse:
    control.revoke_token(emulator_of(request), body.token)
    return ok()


@router.post("/x/rate-limits")
async def set_x_rate_limit(body: RateLimitRequest, request: Request) -> JSONResponse:
    state = emulator_of(request)
    reset_at: datetime = state.clock.now() + timedelta(seconds=body.reset_in_seconds)
    control.set_x_rate_limit(
        state,
        body.user,
        body.endpoint,
        remaining=body.remaining,
        reset_at=reset_at,
        daily=body.daily,
    )
    return ok({"reset": reset_seconds(reset_at)})


@router.post("/x/posts/{post_id}/metrics")
async def set_post_metrics(
    post_id: str, body: dict[str, Annotated[int, Field(ge=0)]], request: Request
) -> JSONResponse:
    control.set_post_metrics(emulator_of(request), post_id, body)
    return ok()


@router.post("/ai/keys", status_code=201)
async def add_ai_key(body: AiKeyRequest, request: Request) -> JSONResponse:
    emulator_of(request).ai.keys.add(body.key)
    return ok(status=201)


@router.post("/ai/replies", status_code=201)
async def queue_ai_reply(body: AiReplyRequest, request: Request) -> JSONResponse:
    emulator_of(request).ai.replies.append(body.text)
    return ok(status=201)


@router.get("/ai/requests")
async def ai_requests(request: Request) -> JSONResponse:
    return ok({"data": emulator_of(request).ai.sent})
