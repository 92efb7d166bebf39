"""What every action activity takes in and gives back."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.accounts.failures import account_failure
from activities.errors import AccountError
from app.contract.actions import ActionInput
from app.contract.failures import FailureType
from app.language.field_paths import field_name
from app.language.node_type import NodeType, Parameters
from app.language.parameter_validators import RENDERED, message_of

P = TypeVar("P", bound=Parameters)
T = TypeVar("T")


def action_node_type(
    platform: str,
    name: str,
    title: str,
    description: str,
    parameters: type[Parameters],
    output: Mapping[str, Any],
    *,
    account_required: bool = True,
    other_accounts: tuple[str, ...] = (),
    default_timeout: timedelta | None = None,
    timeout_needed: Callable[[Mapping[str, Any]], float | None] | None = None,
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
        other_accounts=other_accounts,
        default_timeout_seconds=default_timeout.total_seconds() if default_timeout else None,
        timeout_needed=timeout_needed,
    )


_DURATION = TypeAdapter(timedelta)


def duration_plus(name: str, margin: timedelta) -> Callable[[Mapping[str, Any]], float | None]:
    """`timeout_needed` for an action that may wait as long as its duration parameter `name`
    says: that duration plus `margin`, in seconds; None when it is a template or absent."""

    def needed(parameters: Mapping[str, Any]) -> float | None:
        try:
            duration = _DURATION.validate_python(parameters[name])
        except (KeyError, ValidationError):
            return None
        return (duration + margin).total_seconds()

    return needed


def parse_parameters(model: type[P], action: ActionInput) -> P:
    """The node's rendered parameters as `model`, or a non-retryable `InvalidParameters`.

    Templates are rendered just before the activity runs, so their values are only checked
    here, each against its field's checks with no exemption for text that looks like a
    template; the message names the fields and what is wrong, never the values.
    """
    try:
        return model.model_validate(action.parameters, context=RENDERED)
    except ValidationError as error:
        problems = "; ".join(
            f"{field_name(issue['loc'])}: {message_of(issue)}"
            for issue in error.errors(include_url=False)
        )
        raise FailureType.InvalidParameters.error(f"invalid parameters: {problems}") from None


HEARTBEAT_EVERY_SECONDS = 1.0
"""Often: a beat only reaches the server when the SDK's throttle (0.8 x the heartbeat timeout,
at most the worker's `max_heartbeat_throttle_interval`) lets it, and a cancellation reaches
the activity in the answer to a beat, so beating often costs nothing and bounds that delay."""


class Progress:
    """What an activity has done so far, sent with every heartbeat: a retry reads it back
    (`previous`) and resumes after the side effects already made instead of repeating them."""

    def __init__(self) -> None:
        self.details: Any = None

    def record(self, details: Any) -> None:
        """Remember `details` and send them now (the SDK throttles and batches heartbeats).

        A copy is kept: the SDK converts details later, and the caller goes on changing its own.
        """
        self.details = copy.deepcopy(details)
        activity.heartbeat(self.details)

    def beat(self) -> None:
        if self.details is None:
            activity.heartbeat()
        else:
            activity.heartbeat(self.details)

    @staticmethod
    def previous() -> Any:
        """The details the last attempt recorded, or None."""
        details = activity.info().heartbeat_details
        return details[0] if details else None


@asynccontextmanager
async def heartbeating(
    every: float = HEARTBEAT_EVERY_SECONDS, progress: Progress | None = None
) -> AsyncIterator[None]:
    """Heartbeat while the body runs, so cancellation reaches it and a dead worker is noticed.

    The first beat comes `every` seconds in: the SDK sends a first beat to the server at
    once (only later ones wait for its throttle), so beating at the start cost every call,
    however short, one more round trip to the server; a call that ends within `every` needs
    none (the heartbeat timeout is far longer). With `progress`, every heartbeat carries its
    details, so a plain beat never erases them (`Progress.record` still sends at once).
    """
    progress = progress or Progress()

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            progress.beat()

    beater = asyncio.create_task(beat())
    try:
        yield
    finally:
        beater.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beater


async def platform_call(
    body: Callable[[], Awaitable[T]],
    *,
    failure: Callable[[Exception], ApplicationError | None],
    progress: Progress | None = None,
) -> T:
    """Run one platform call of an activity: heartbeating all along (with `progress`, each
    beat carries it), an unusable account mapped once for every platform, and the platform's
    own errors mapped by its `failure` (None: not the platform's, raised as it is)."""
    try:
        async with heartbeating(progress=progress):
            return await body()
    except AccountError as error:
        raise account_failure(error) from None
    except Exception as error:
        mapped = failure(error)
        if mapped is None:
            raise
        raise mapped from None
