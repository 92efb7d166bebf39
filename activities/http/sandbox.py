"""Sandbox mode for `http.request`: a workflow tried against the emulator must not reach the
real X or Instagram by calling them as plain HTTP, on the first request or on a redirect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from activities.endpoints import REAL_PLATFORM_HOSTS
from activities.errors import PlatformError
from activities.http.hosts import host_allowed


class SandboxRefusedError(PlatformError):
    """In sandbox mode, a request for a real platform's host."""


def refuse_real_platforms(sandbox: bool) -> Callable[[httpx.Request], Awaitable[None]]:
    """A request hook (it sees every redirect hop) that refuses the real platforms' hosts."""

    async def hook(request: httpx.Request) -> None:
        if sandbox and host_allowed(request.url.host, REAL_PLATFORM_HOSTS):
            raise SandboxRefusedError(
                f"sandbox mode: {request.url.host} is a real platform; "
                "call the emulator's X and Instagram nodes instead"
            )

    return hook
