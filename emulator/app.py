"""The emulator's ASGI application: X, Instagram and two AI providers at their real paths,
the control API under `/_emulator`, queued failures applied in front of everything, every
exchange recorded."""

from __future__ import annotations

from typing import cast

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from emulator import (
    ai,
    control_api,
    control_instagram_comments,
    control_meta_api,
    instagram,
    instagram_comments,
    instagram_insights,
    instagram_messages,
    meta_errors,
    x_api,
    x_media,
    x_oauth,
    x_problems,
)
from emulator.config import EmulatorConfig
from emulator.control import ControlError
from emulator.faults import Failure
from emulator.meta_errors import MetaError
from emulator.record import Exchange
from emulator.state import EmulatorState, kept_headers
from emulator.x_oauth import OAuthError
from emulator.x_problems import PROBLEM_JSON, XProblem

CONTROL_PREFIX = "/_emulator"
_X_PREFIXES = ("/2/", "/i/")


def is_x_path(path: str) -> bool:
    return path.startswith(_X_PREFIXES)


class EmulatorApp(FastAPI):
    """FastAPI, entered through a wrapper that applies queued failures and records exchanges.

    The wrapper sits outside Starlette's middleware because closing a connection without an
    answer needs the server's own `send`, whose transport it can close."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await super().__call__(scope, receive, send)
            return
        state = cast(EmulatorState, self.state.emulator)
        method, path = scope["method"], scope["path"]
        failure = state.faults.take(method, path)
        status = 0

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        if failure is None:
            await super().__call__(scope, receive, recording_send)
        else:
            if failure.when == "after":
                await super().__call__(scope, receive, _discard)
            if failure.hang:
                await _until_disconnected(receive)
            elif failure.network:
                await _close_connection(send, receive)
            else:
                await _failure_response(path, failure)(scope, receive, recording_send)
        state.record.exchanged(
            Exchange(method, path, status, state.clock.now(), failure is not None, _target(scope))
        )


def _target(scope: Scope) -> str:
    """The path and query as the client wrote them: `path` is already percent-decoded."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string") or b""
    return (raw + (b"?" + query if query else b"")).decode("latin-1")


async def _discard(message: Message) -> None:
    """Where the real answer goes when a queued failure replaces it."""


async def _close_connection(send: Send, receive: Receive) -> None:
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("closing a connection on purpose needs uvicorn's HTTP server")
    transport.close()
    # Returning before the server has seen the connection go would make it answer 500.
    await _until_disconnected(receive)


async def _until_disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _failure_response(path: str, failure: Failure) -> Response:
    headers = dict(failure.headers)
    if failure.body is not None:
        return JSONResponse(failure.body, status_code=failure.status, headers=headers)
    if is_x_path(path):
        body = x_problems.default_body(failure.status)
        return JSONResponse(body, failure.status, headers, media_type=PROBLEM_JSON)
    if ai.is_ai_path(path):
        return JSONResponse(ai.default_body(path, failure.status), failure.status, headers)
    return JSONResponse(meta_errors.default_body(failure.status), failure.status, headers)


def _install_handlers(app: FastAPI) -> None:
    async def x_problem(request: Request, exc: Exception) -> Response:
        problem = cast(XProblem, exc)
        problem.headers = kept_headers(request) | problem.headers
        return problem.response()

    async def meta_error(request: Request, exc: Exception) -> Response:
        error = cast(MetaError, exc)
        error.headers = kept_headers(request) | error.headers
        return error.response()

    async def oauth_error(request: Request, exc: Exception) -> Response:
        return cast(OAuthError, exc).response()

    async def http_error(request: Request, exc: Exception) -> Response:
        error = cast(HTTPException, exc)
        path = request.url.path
        if path.startswith(CONTROL_PREFIX):
            return JSONResponse({"detail": error.detail}, error.status_code, error.headers)
        if is_x_path(path):
            return XProblem(error.status_code, x_problems.about_blank(error.status_code)).response()
        if error.status_code == 404:
            return meta_errors.unknown_object(
                path.rsplit("/", 1)[-1], request.method.lower()
            ).response()
        return MetaError(error.status_code, meta_errors.default_body(error.status_code)).response()

    async def control_error(request: Request, exc: Exception) -> Response:
        error = cast(ControlError, exc)
        return JSONResponse({"detail": str(error)}, status_code=error.status)

    app.add_exception_handler(XProblem, x_problem)
    app.add_exception_handler(ControlError, control_error)
    app.add_exception_handler(OAuthError, oauth_error)
    app.add_exception_handler(MetaError, meta_error)
    app.add_exception_handler(HTTPException, http_error)


def create_app(config: EmulatorConfig | None = None) -> FastAPI:
    """The emulator with a fresh state (on `app.state.emulator`)."""
    app = EmulatorApp(
        title="Flowhold platform emulator",
        description="X API v2, Instagram Graph publishing, Meta webhooks and AI chat APIs "
        "(OpenAI-compatible, Anthropic), locally.",
        docs_url=f"{CONTROL_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{CONTROL_PREFIX}/openapi.json",
        swagger_ui_oauth2_redirect_url=f"{CONTROL_PREFIX}/docs/oauth2-redirect",
        # The platforms answer a trailing slash with an error, not a redirect.
        redirect_slashes=False,
    )
    app.state.emulator = EmulatorState(config or EmulatorConfig())
    _install_handlers(app)
    app.include_router(control_api.router)
    app.include_router(control_meta_api.router)
    app.include_router(control_instagram_comments.router)
    app.include_router(x_oauth.router)
    app.include_router(x_api.router)
    app.include_router(x_media.router)
    app.include_router(instagram.router)
    app.include_router(instagram_comments.router)
    app.include_router(instagram_messages.router)
    app.include_router(instagram_insights.router)
    app.include_router(ai.router)
    return app
