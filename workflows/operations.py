"""Awaiting what a node starts outside the workflow: an activity or a child run."""

from __future__ import annotations

import asyncio
from typing import TypeVar

from temporalio import workflow

T = TypeVar("T")


async def settled(task: asyncio.Task[T]) -> T:
    """The result of a started activity or child run.

    When the node awaiting it is cancelled (the run is cancelled, or a sibling branch
    failed), cancel the operation too and wait until it has really stopped, so nothing is
    left half done, then pass the cancellation on as the node's own. An operation that
    ends cancelled while its node was not (a child run cancelled by someone) raises its
    error instead, for the node's failure policy to handle.
    """
    try:
        await workflow.wait([task])
    except asyncio.CancelledError:
        task.cancel()
        while not task.done():
            try:
                await workflow.wait([task])
            except asyncio.CancelledError:
                continue
        if not task.cancelled():
            task.exception()  # retrieved: the cancellation is what matters now
        raise
    return task.result()
