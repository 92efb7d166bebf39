"""The emulator in tests: `async with running_emulator() as emulator:` serves it over real HTTP
on a free 127.0.0.1 port and yields a handle to set it up, break it and read what it did.

The handle changes state directly, on the event loop the server runs on; call it from that
loop (a test's coroutine), not from a worker thread."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

import httpx
import requests
from fastapi import FastAPI
from requests.adapters import HTTPAdapter

from emulator import control
from emulator.app import create_app
from emulator.config import EmulatorConfig
from emulator.control import InstagramAccount, XAccount
from emulator.faults import Failure, Fault, When
from emulator.instagram_state import Container, Media
from emulator.meta_errors import INSTAGRAM_ACCOUNT_LIMIT, throttled
from emulator.meta_webhooks import Delivery, Verification, deliver, tls_context, verify
from emulator.rate_limits import reset_seconds
from emulator.record import Exchange, SideEffect
from emulator.serving import serve
from emulator.state import EmulatorState
from emulator.x_state import DEFAULT_SCOPES, Post

GRAPH_VERSION = "v21.0"


class EmulatorHandle:
    """A running emulator: its URL, its state, and what tests do to it."""

    def __init__(self, app: FastAPI, url: str) -> None:
        self.app = app
        self.url = url
        """Base URL of both platforms: X at `/2/...`, Instagram at `/v21.0/...`."""

    @property
    def state(self) -> EmulatorState:
        return cast(EmulatorState, self.app.state.emulator)

    def graph_url(self, version: str = GRAPH_VERSION) -> str:
        """Base URL of the Instagram Graph API, e.g. `http://127.0.0.1:PORT/v21.0`."""
        return f"{self.url}/{version}"

    def reset(self, config: EmulatorConfig | None = None) -> None:
        """Start again from nothing, with `config` (default: the defaults); the server and
        its URL stay. Cheaper than a new server when tests share one."""
        self.app.state.emulator = EmulatorState(config or EmulatorConfig())

    def advance(self, delta: timedelta) -> None:
        """Move the emulator's clock forward (windows reset, tokens and containers expire)."""
        self.state.clock.advance(delta)

    # X

    def add_x_user(
        self,
        username: str,
        *,
        name: str | None = None,
        user_id: str | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        access_token: str | None = None,
        refresh_token: str | None = None,
    ) -> XAccount:
        return control.add_x_user(
            self.state,
            username,
            name=name,
            user_id=user_id,
            scopes=scopes,
            access_token=access_token,
            refresh_token=refresh_token,
        )

    def issue_x_tokens(self, user: str, *, scopes: Iterable[str] = DEFAULT_SCOPES) -> XAccount:
        return control.issue_x_tokens(self.state, user, scopes=scopes)

    def add_x_client(self, client_id: str, client_secret: str | None = None) -> None:
        """Register an OAuth 2.0 client: confidential with a secret, public without."""
        self.state.x.clients[client_id] = client_secret

    def add_x_media(self, user: str) -> str:
        return control.add_x_media(self.state, user)

    def posts_by(self, user: str, *, include_deleted: bool = False) -> list[Post]:
        """The user's posts (by id or username), newest first."""
        found = self.state.x.find_user(user)
        if found is None:
            raise control.ControlError(f"no X user {user!r}")
        return self.state.x.posts_by(found.id, include_deleted=include_deleted)

    def set_x_rate_limit(
        self,
        user: str,
        endpoint: str,
        *,
        remaining: int,
        reset_in: timedelta,
        daily: bool = False,
    ) -> int:
        """Force a rate-limit window; returns its reset time in Unix seconds."""
        reset_at = self.state.clock.now() + reset_in
        control.set_x_rate_limit(
            self.state, user, endpoint, remaining=remaining, reset_at=reset_at, daily=daily
        )
        return reset_seconds(reset_at)

    def set_post_metrics(self, post_id: str, **metrics: int) -> None:
        control.set_post_metrics(self.state, post_id, metrics)

    # Tokens of either platform

    def expire_token(self, token: str) -> None:
        control.expire_token(self.state, token)

    def revoke_token(self, token: str) -> None:
        control.revoke_token(self.state, token)

    # Instagram

    def add_instagram_user(
        self, username: str, *, ig_user_id: str | None = None, access_token: str | None = None
    ) -> InstagramAccount:
        return control.add_instagram_user(
            self.state, username, ig_user_id=ig_user_id, access_token=access_token
        )

    def containers_of(self, ig_user_id: str) -> list[Container]:
        containers = self.state.instagram.containers.values()
        return [container for container in containers if container.owner_id == ig_user_id]

    def published_by(self, ig_user_id: str) -> list[Media]:
        """The account's published media, newest first."""
        return self.state.instagram.media_of(ig_user_id)

    def queue_container_outcomes(self, ig_user_id: str, *outcomes: str) -> None:
        """How the account's next containers end once processed: FINISHED, ERROR or EXPIRED."""
        control.queue_container_outcomes(self.state, ig_user_id, list(outcomes))

    def set_container_status(self, container_id: str, status: str) -> None:
        """End a container's processing now: FINISHED, ERROR or EXPIRED."""
        control.set_container_status(self.state, container_id, status)

    def set_insights(self, node_id: str, **metrics: int) -> None:
        """Fix metric values of a published media or of an account."""
        control.set_insights(self.state, node_id, metrics)

    def set_instagram_usage(self, ig_user_id: str, *, remaining: int, reset_in: timedelta) -> None:
        """Force the account's hourly Graph API call budget."""
        reset_at = self.state.clock.now() + reset_in
        control.set_instagram_usage(self.state, ig_user_id, remaining=remaining, reset_at=reset_at)

    # Meta webhooks

    async def deliver_webhook(
        self, url: str, payload: dict[str, Any], *, app_secret: str | None = None
    ) -> Delivery:
        """POST a signed webhook to `url` (signed with `app_secret`, default the config's)."""
        return await deliver(self.state, url, payload, app_secret=app_secret)

    async def verify_webhook(
        self, url: str, verify_token: str, challenge: str | None = None
    ) -> Verification:
        """Run Meta's subscription check against `url`."""
        return await verify(self.state, url, verify_token, challenge)

    # Failures

    def fail_next(
        self,
        method: str,
        path: str,
        *,
        times: int = 1,
        status: int = 503,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        network: bool = False,
        when: When = "before",
        hang: bool = False,
    ) -> Fault:
        """The next `times` requests matching `method` (or `*`) and the glob `path` fail."""
        failure = Failure(status, dict(headers or {}), body, network, when, hang)
        return self.state.faults.add(method, path, failure, times)

    def throttle_next(
        self,
        method: str,
        path: str,
        *,
        code: int = INSTAGRAM_ACCOUNT_LIMIT,
        regain_minutes: int = 5,
        ig_user_id: str = "0",
        times: int = 1,
    ) -> Fault:
        """The next `times` Graph requests matching `method` and `path` fail with Meta's
        throttling error `code` (4, 17, 32, 613 or 80002) and usage headers saying when
        access comes back."""
        body, headers = throttled(code, regain_minutes, ig_user_id)
        return self.fail_next(method, path, status=400, body=body, headers=headers, times=times)

    # The record

    def effects(self, kind: str | None = None, subject: str | None = None) -> list[SideEffect]:
        return self.state.record.of(kind, subject)

    # AI providers

    def add_ai_key(self, key: str) -> None:
        """An API key both AI providers accept."""
        self.state.ai.keys.add(key)

    def queue_ai_reply(self, text: str) -> None:
        """The next AI answer's text (or, for a forced Anthropic tool, its input as JSON)."""
        self.state.ai.replies.append(text)

    def exhaust_ai_key(self, key: str) -> None:
        """Spend the key's requests for the rest of the emulator's minute: 429s follow."""
        self.state.ai.exhaust(key)

    def ai_requests(self) -> list[dict[str, Any]]:
        """The bodies of the AI requests answered, with their `provider`, oldest first."""
        return list(self.state.ai.sent)

    def count(self, kind: str) -> int:
        return len(self.state.record.of(kind))

    def counts(self) -> dict[str, int]:
        """How many side effects of each kind happened."""
        return self.state.record.counts()

    def requests(self, method: str | None = None, path: str | None = None) -> list[Exchange]:
        return self.state.record.requests(method, path)


def http_client(base_url: str, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client for the emulator, sharing one TLS context with every other (httpx
    builds one per client otherwise, though the emulator speaks plain HTTP)."""
    return httpx.AsyncClient(base_url=base_url, verify=tls_context(), timeout=10, **kwargs)


@asynccontextmanager
async def running_emulator(config: EmulatorConfig | None = None) -> AsyncIterator[EmulatorHandle]:
    """Serve a fresh emulator over real HTTP on 127.0.0.1 for the duration of the block."""
    app = create_app(config)
    async with serve(app) as url:
        yield EmulatorHandle(app, url)


class RedirectAdapter(HTTPAdapter):
    """Sends a `requests` session's calls for one origin to another: mounted on tweepy's
    `Client.session` for `https://api.twitter.com`, it makes tweepy talk to the emulator."""

    def __init__(self, origin: str, target: str) -> None:
        super().__init__()
        self.origin = origin.rstrip("/")
        self.target = target.rstrip("/")

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if request.url is not None and request.url.startswith(self.origin):
            request.url = self.target + request.url[len(self.origin) :]
        return super().send(request, *args, **kwargs)
