"""CPU-heavy work of requests, run off the event loop with bounded concurrency.

Checking and compiling a graph of several megabytes takes seconds of CPU; on the event loop it
stalled every other request of the process, `/healthz` included, for as long. In a thread the
loop keeps its share of the interpreter (threads take turns every few milliseconds), and
bounding how many such jobs run at once keeps that share from shrinking under a burst: the
rest wait their turn, and one that waits too long is a 503 with `Retry-After`. The limit is
per process because the CPU a process can use is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import anyio

from app.errors import ServiceUnavailableError
from app.language.validation import collector_paused

T = TypeVar("T")

QUEUE_SECONDS = 30.0
"""How long a job waits for its turn before its request is answered 503."""
RETRY_AFTER = 5


class HeavyWork:
    """Runs blocking functions in threads, at most `at_once` of them at a time."""

    def __init__(self, at_once: int = 2) -> None:
        self.at_once = at_once
        self.in_progress = 0
        """Jobs running now (not those waiting their turn)."""
        self._slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    def resize(self, at_once: int) -> None:
        """Set the limit; called when the API starts, before any job."""
        self.at_once = at_once
        self._slots.clear()

    def _slots_here(self) -> asyncio.Semaphore:
        # A semaphore belongs to one event loop; a process (tests) may run several in turn.
        loop = asyncio.get_running_loop()
        if loop not in self._slots:
            self._slots = {
                known: slots for known, slots in self._slots.items() if not known.is_closed()
            }
            self._slots[loop] = asyncio.Semaphore(self.at_once)
        return self._slots[loop]

    async def run(self, function: Callable[..., T], *args: object) -> T:
        slots = self._slots_here()
        try:
            async with asyncio.timeout(QUEUE_SECONDS):
                await slots.acquire()
        except TimeoutError:
            raise ServiceUnavailableError(
                f"{self.at_once} large graphs are being checked already; retry later",
                retry_after=RETRY_AFTER,
            ) from None
        self.in_progress += 1
        try:
            return await anyio.to_thread.run_sync(_uncollected, function, *args)
        finally:
            self.in_progress -= 1
            slots.release()


def _uncollected(function: Callable[..., T], *args: object) -> T:
    # Such work makes hundreds of thousands of objects and no cycles; a collection it set off
    # would walk every live object of the process while every other thread waits.
    with collector_paused():
        return function(*args)


GRAPH_CHECKS = HeavyWork()
"""This process's graph checks (`app.services.graphs`); sized by `GRAPH_CHECKS_AT_ONCE`."""
