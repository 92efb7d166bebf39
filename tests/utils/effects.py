"""A local HTTP service that counts the effects of a run's `http.request` nodes: each POST it
accepts is one effect, by path; a path can be made to fail (400) or to hang first."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.utils.servers import serve


@dataclass
class Effects:
    url: str = ""
    done: Counter[str] = field(default_factory=Counter)
    """Accepted POSTs (effects) by path."""
    refused: Counter[str] = field(default_factory=Counter)
    failing: set[str] = field(default_factory=set)
    """Paths answered 400 (a non-retryable failure) without taking effect."""
    hanging: set[str] = field(default_factory=set)
    """Paths that take a request and answer nothing until the service stops, taking no
    effect: as a platform a worker dies waiting on."""
    arrived: Counter[str] = field(default_factory=Counter)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def node(self, node_id: str, path: str, body: Any = None, **data: Any) -> dict[str, Any]:
        """An `http.request` node posting `body` to `path`, tried once unless `data` (the
        node's `retry`, `timeout_seconds`) says otherwise."""
        return {
            "id": node_id,
            "type": "http.request",
            "parameters": {
                "method": "POST",
                "url": f"{self.url}{path}",
                "body": {"type": "json", "json": body or {}},
            },
            "data": {"retry": {"maximum_attempts": 1}, **data},
        }


@asynccontextmanager
async def effects_service() -> AsyncIterator[Effects]:
    effects = Effects()
    app = FastAPI()

    @app.post("/{path:path}")
    async def take(path: str, request: Request) -> JSONResponse:
        await request.body()
        effects.arrived[path] += 1
        if path in effects.hanging:
            await effects.stopping.wait()
            return JSONResponse({"error": "gone"}, status_code=503)
        if path in effects.failing:
            effects.refused[path] += 1
            return JSONResponse({"error": "refused"}, status_code=400)
        effects.done[path] += 1
        return JSONResponse({"path": path, "count": effects.done[path]})

    async with serve(app) as url:
        effects.url = url
        try:
            yield effects
        finally:
            effects.stopping.set()
