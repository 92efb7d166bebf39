"""The control API for Instagram and Meta webhooks, under `/_emulator` like the rest."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from emulator import control, meta_webhooks
from emulator.control_api import ok
from emulator.faults import Failure
from emulator.meta_errors import throttled
from emulator.meta_webhooks import instagram_change
from emulator.state import emulator_of

router = APIRouter(prefix="/_emulator", tags=["control"])


class InstagramUserRequest(BaseModel):
    username: str = Field(min_length=1, max_length=30, pattern=r"^[\w.]+$")
    ig_user_id: str | None = Field(default=None, pattern=r"^[0-9]{1,32}$")
    access_token: str | None = Field(default=None, min_length=8)


class OutcomesRequest(BaseModel):
    outcomes: list[Literal["FINISHED", "ERROR", "EXPIRED"]] = Field(min_length=1)


class ContainerStatusRequest(BaseModel):
    status_code: Literal["FINISHED", "ERROR", "EXPIRED"]


class UsageRequest(BaseModel):
    remaining: int = Field(ge=0, description="Calls left in the account's hourly budget.")
    reset_in_seconds: float = Field(ge=0)


@router.post("/instagram/users", status_code=201)
async def add_instagram_user(body: InstagramUserRequest, request: Request) -> JSONResponse:
    account = control.add_instagram_user(emulator_of(request), **body.model_dump())
    return ok(account.as_json(), status=201)


@router.get("/instagram/users/{ig_user_id}/media")
async def instagram_media(ig_user_id: str, request: Request) -> JSONResponse:
    """Containers and published media of the account."""
    instagram = emulator_of(request).instagram
    if ig_user_id not in instagram.users:
        raise control.ControlError(f"no Instagram account {ig_user_id}")
    containers = [
        {
            "id": c.id,
            "media_type": c.media_type,
            "status_code": instagram.status(c, poll=False),
            "children": list(c.children),
            "media_id": c.media_id,
        }
        for c in instagram.containers.values()
        if c.owner_id == ig_user_id
    ]
    published = [
        {"id": m.id, "container_id": m.container_id, "permalink": m.permalink}
        for m in instagram.media_of(ig_user_id)
    ]
    return ok({"containers": containers, "media": published})


@router.post("/instagram/users/{ig_user_id}/next-containers")
async def queue_container_outcomes(
    ig_user_id: str, body: OutcomesRequest, request: Request
) -> JSONResponse:
    control.queue_container_outcomes(emulator_of(request), ig_user_id, list(body.outcomes))
    return ok()


@router.post("/instagram/containers/{container_id}/status")
async def set_container_status(
    container_id: str, body: ContainerStatusRequest, request: Request
) -> JSONResponse:
    control.set_container_status(emulator_of(request), container_id, body.status_code)
    return ok()


@router.post("/instagram/users/{ig_user_id}/usage")
async def set_instagram_usage(
    ig_user_id: str, body: UsageRequest, request: Request
) -> JSONResponse:
    state = emulator_of(request)
    reset_at = state.clock.now() + timedelta(seconds=body.reset_in_seconds)
    control.set_instagram_usage(state, ig_user_id, remaining=body.remaining, reset_at=reset_at)
    return ok()


@router.post("/instagram/insights/{node_id}")
async def set_insights(
    node_id: str, body: dict[str, Annotated[int, Field(ge=0)]], request: Request
) -> JSONResponse:
    control.set_insights(emulator_of(request), node_id, body)
    return ok()


class InstagramChange(BaseModel):
    ig_user_id: str = Field(min_length=1)
    field: str = Field(min_length=1, examples=["comments"])
    value: Any = Field(description="The change's `value` object.")


class DeliveryRequest(BaseModel):
    url: str = Field(pattern=r"^https?://", description="The receiver.")
    payload: dict[str, Any] | None = Field(default=None, description="The whole body to send.")
    instagram_change: InstagramChange | None = Field(
        default=None, description="Or: one Instagram change, wrapped as Meta wraps it."
    )
    app_secret: str | None = Field(default=None, description="Sign with this instead.")

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        if (self.payload is None) == (self.instagram_change is None):
            raise ValueError("give exactly one of payload and instagram_change")
        return self


class VerificationRequest(BaseModel):
    url: str = Field(pattern=r"^https?://")
    verify_token: str
    challenge: str | None = None


@router.post("/meta/webhooks/deliver")
async def deliver_webhook(body: DeliveryRequest, request: Request) -> JSONResponse:
    """Send a signed webhook to a URL and report the receiver's answer."""
    state = emulator_of(request)
    payload = body.payload
    if body.instagram_change is not None:
        change = body.instagram_change
        payload = instagram_change(change.ig_user_id, change.field, change.value, state.clock.now())
    assert payload is not None
    delivery = await meta_webhooks.deliver(state, body.url, payload, app_secret=body.app_secret)
    return ok(delivery.as_json())


@router.post("/meta/webhooks/verify")
async def verify_webhook(body: VerificationRequest, request: Request) -> JSONResponse:
    """Run Meta's subscription check against a URL and report what came back."""
    state = emulator_of(request)
    verification = await meta_webhooks.verify(state, body.url, body.verify_token, body.challenge)
    return ok(verification.as_json())


class ThrottleRequest(BaseModel):
    method: str = Field(examples=["POST"])
    path: str = Field(examples=["/v*/*/media_publish"])
    code: Literal[4, 17, 32, 613, 80002] = 80002
    regain_minutes: int = Field(default=5, ge=0)
    ig_user_id: str = "0"
    times: int = Field(default=1, ge=1)


@router.post("/meta/throttle", status_code=201)
async def throttle(body: ThrottleRequest, request: Request) -> JSONResponse:
    """Queue Meta throttling errors, with usage headers, for matching Graph requests."""
    error, headers = throttled(body.code, body.regain_minutes, body.ig_user_id)
    failure = Failure(400, headers, error)
    fault = emulator_of(request).faults.add(body.method, body.path, failure, body.times)
    return ok(fault.as_json(), status=201)
