"""Real servers for tests: the API under uvicorn on a free port, plain HTTP endpoints, and
clients for them."""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def http_client(base_url: str = "", **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client sharing one TLS context with every other: httpx loads the CA
    certificates for each client otherwise (30-50 ms), though tests speak plain HTTP."""
    return httpx.AsyncClient(base_url=base_url, verify=_tls(), **kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` over real HTTP on 127.0.0.1; yields its base URL."""
    sock = socket.socket()
    # asyncio sets TCP_NODELAY only on sockets made with proto IPPROTO_TCP; without it every
    # answer waits ~40 ms for the client's delayed ACK. Accepted sockets inherit it.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
