"""Connecting to Temporal with the engine's data converter, and registering search attributes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from app.contract import search_attributes
from temporal.tracing import tracing_interceptors


async def connect(
    target: str,
    namespace: str,
    *,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """A client whose payloads are pydantic-aware JSON (plans and states are pydantic models).

    `runtime`: the SDK's telemetry (a worker's Prometheus endpoint), else the default one;
    `interceptors`: tracing (`temporal/tracing.py`), which workers built on it inherit."""
    return await Client.connect(
        target,
        namespace=namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
        interceptors=interceptors,
    )


async def register_search_attributes(client: Client) -> None:
    """Add any of our search attributes the server does not know yet (idempotent)."""
    known = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
        for key in search_attributes.ALL
        if key.name not in known.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )


class LazyClient:
    """Connects on first use and keeps the connection, so the API starts while Temporal is down."""

    def __init__(self, target: str, namespace: str) -> None:
        self.target = target
        self.namespace = namespace
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await asyncio.wait_for(
                        connect(self.target, self.namespace, interceptors=tracing_interceptors()),
                        timeout=5,
                    )
        client: Client = self._client
        return client

    async def check(self) -> None:
        """Raise unless the server answers a health check now."""
        client = await self.get()
        await client.service_client.check_health(timeout=timedelta(seconds=3))
