"""Real servers for tests: the API under uvicorn on a free port, plain HTTP endpoints, and
clients for them. Serving comes from the emulator, which ships the same helper for its own
in-process serving."""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx

from emulator.serving import free_port, serve

__all__ = ["free_port", "http_client", "serve"]


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def http_client(base_url: str = "", **kwargs: Any) -> httpx.AsyncClient:
    """An httpx client sharing one TLS context with every other: httpx loads the CA
    certificates for each client otherwise (30-50 ms), though tests speak plain HTTP."""
    return httpx.AsyncClient(base_url=base_url, verify=_tls(), **kwargs)
