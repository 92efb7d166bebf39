"""What a Temporal namespace needs before the engine runs on it: the namespace itself and the
search attributes every run carries. `python -m app.cli temporal-setup` runs it once per
deployment (and `make run` against a server of your own); workers and the API never need the
operator API, which Temporal Cloud and locked-down clusters do not open to them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    RegisterNamespaceRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from app.contract import search_attributes
from app.errors import SetupRefusedError

REFUSED = (
    RPCStatusCode.PERMISSION_DENIED,
    RPCStatusCode.UNIMPLEMENTED,
    RPCStatusCode.UNAUTHENTICATED,
)

NEW_NAMESPACE_SECONDS = 60.0
"""How long a namespace just registered may take to reach every service's cache."""


async def ensure_namespace(client: Client, retention: timedelta) -> bool:
    """Register the client's namespace unless it exists; True when it was registered."""
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=client.namespace)
        )
        return False
    except RPCError as error:
        if error.status in REFUSED:
            raise SetupRefusedError(_namespace_instructions(client.namespace)) from None
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    retention_period = Duration()
    retention_period.FromTimedelta(retention)
    try:
        await client.workflow_service.register_namespace(
            RegisterNamespaceRequest(
                namespace=client.namespace,
                workflow_execution_retention_period=retention_period,
                description="Flowhold runs",
            )
        )
    except RPCError as refusal:
        if refusal.status == RPCStatusCode.ALREADY_EXISTS:
            return False
        if refusal.status in REFUSED:
            raise SetupRefusedError(_namespace_instructions(client.namespace)) from None
        raise
    await _until_namespace_answers(client)
    return True


async def _until_namespace_answers(client: Client) -> None:
    # A cluster's frontends learn a new namespace from their cache, refreshed every few seconds.
    async with asyncio.timeout(NEW_NAMESPACE_SECONDS):
        while True:
            try:
                await client.workflow_service.describe_namespace(
                    DescribeNamespaceRequest(namespace=client.namespace)
                )
                return
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
            await asyncio.sleep(1)


async def missing_search_attributes(client: Client) -> list[str]:
    """Our search attributes the namespace does not know yet."""
    known = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    return [key.name for key in search_attributes.ALL if key.name not in known.custom_attributes]


async def ensure_search_attributes(client: Client) -> list[str]:
    """Add any of our search attributes the namespace lacks (idempotent); the names added.

    A namespace just registered is not yet in every service's cache: its search attributes
    are retried until it is (a minute at most)."""
    try:
        async with asyncio.timeout(NEW_NAMESPACE_SECONDS):
            while True:
                try:
                    return await _add_missing_search_attributes(client)
                except RPCError as error:
                    if error.status != RPCStatusCode.NOT_FOUND:
                        raise
                await asyncio.sleep(1)
    except RPCError as error:
        if error.status in REFUSED:
            raise SetupRefusedError(search_attribute_instructions(client.namespace)) from None
        raise


async def _add_missing_search_attributes(client: Client) -> list[str]:
    missing = await missing_search_attributes(client)
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=client.namespace,
                search_attributes={
                    key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
                    for key in search_attributes.ALL
                    if key.name in missing
                },
            )
        )
    return missing


def search_attribute_instructions(namespace: str) -> str:
    """The commands that add our search attributes where this process may not."""
    lines = [
        f"this connection may not add search attributes to namespace {namespace!r}; add them "
        "with Temporal Cloud's tcld (or an operator's temporal CLI) and run this again:",
    ]
    for key in search_attributes.ALL:
        lines.append(
            f"  tcld namespace search-attributes add --namespace {namespace} "
            f"--search-attribute '{key.name}={search_attributes.type_name(key)}'"
        )
    return "\n".join(lines)


def _namespace_instructions(namespace: str) -> str:
    return (
        f"this connection may not describe or create namespace {namespace!r}: create it in "
        "Temporal Cloud (or ask the cluster's operator), then run this again"
    )


async def set_up(client: Client, retention: timedelta) -> list[str]:
    """The namespace and our search attributes, each made if missing; what was done, in words."""
    done = []
    if await ensure_namespace(client, retention):
        done.append(f"registered namespace {client.namespace!r} (retention {retention.days} days)")
    added = await ensure_search_attributes(client)
    if added:
        done.append(f"added search attributes {', '.join(added)}")
    return done or [f"namespace {client.namespace!r} was ready; nothing to do"]
