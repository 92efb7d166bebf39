"""What every action activity takes in and gives back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio import activity

from app.language.node_type import NodeType, Parameters


class ActionInput(BaseModel):
    """The single input of an action activity. Never carries a secret: accounts go by id."""

    model_config = ConfigDict(frozen=True)

    node_id: str
    node_type: str
    parameters: dict[str, Any]
    """Parameters with every template already rendered."""
    organization_id: str
    idempotency_key: str
    """Derived from run, node and iteration: the same logical step always has the same key."""
    account_id: str | None = None


def action_node_type(
    platform: str,
    name: str,
    title: str,
    description: str,
    parameters: type[Parameters],
    output: Mapping[str, Any],
    *,
    account_required: bool = True,
) -> NodeType:
    """An action node in `platform`'s palette group, using an account of that platform.

    Its activity goes by the node type's own name, the key `activities.registry` uses.
    """
    return NodeType(
        type=name,
        kind="action",
        category=platform,
        title=title,
        description=description,
        parameters=parameters,
        output=output,
        activity=name,
        account=platform,
        account_required=account_required,
    )


HEARTBEAT_EVERY_SECONDS = 1.0
"""Often: a beat only reaches the server when the SDK's throttle (0.8 x the heartbeat timeout,
at most the worker's `max_heartbeat_throttle_interval`) lets it, and a cancellation reaches
the activity in the answer to a beat, so beating often costs nothing and bounds that delay."""


@asynccontextmanager
async def heartbeating(every: float = HEARTBEAT_EVERY_SECONDS) -> AsyncIterator[None]:
    """Heartbeat while the body runs, so cancellation reaches it and a dead worker is noticed."""

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(every)

    beater = asyncio.create_task(beat())
    try:
        yield
    finally:
        beater.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beater
