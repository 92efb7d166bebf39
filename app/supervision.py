"""Keeping `make run`'s children alive: a child that exits is started again after a growing
pause, with a line saying so; one that keeps crashing stops everything.

The supervisor never blocks on a pause: it notes when each child is due to start again and
starts it on a later check, so one crashing child never delays noticing another.
"""

from __future__ import annotations

import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from app.errors import LaunchError

RESTART_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
"""Seconds before the 1st, 2nd, ... restart within `CRASH_WINDOW`; the last repeats."""
CRASH_WINDOW = 120.0
"""Crashes older than this many seconds are forgiven."""
MAX_CRASHES = 5
"""More crashes than this within `CRASH_WINDOW` and the child is given up on."""


class ChildKeepsCrashingError(LaunchError):
    """A child exited more than `MAX_CRASHES` times within `CRASH_WINDOW`: `make run` stops."""

    def __init__(self, name: str, crashes: int, code: int | None) -> None:
        super().__init__(
            f"the {name} keeps crashing ({crashes} times in {CRASH_WINDOW:.0f} s, last exit "
            f"code {code}): see var/{name}.log"
        )
        self.name = name


@dataclass
class Child:
    """One supervised process and how to start it again."""

    name: str
    start: Callable[[], subprocess.Popen[bytes]]
    ready: Callable[[], None] | None = None
    """Run after every start, until the child can serve (waiting for Temporal to answer,
    registering the sandbox's accounts with a new emulator)."""
    process: subprocess.Popen[bytes] | None = None
    crashes: deque[float] = field(default_factory=deque)
    """When it exited lately, by the supervisor's clock."""
    restart_at: float | None = None
    """When it is due to start again; None while it runs."""


class Supervisor:
    """Starts children, notices when one exits, and starts it again."""

    def __init__(
        self,
        *,
        say: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        delays: tuple[float, ...] = RESTART_DELAYS,
    ) -> None:
        self.children: dict[str, Child] = {}
        self._say = say
        self._clock = clock
        self._delays = delays

    def start(self, child: Child) -> None:
        """Start `child` now and watch it from then on."""
        child.process = child.start()
        self.children[child.name] = child
        if child.ready is not None:
            child.ready()

    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        """The running processes, in start order."""
        return {
            name: child.process
            for name, child in self.children.items()
            if child.process is not None and child.restart_at is None
        }

    def check(self) -> None:
        """Note children that exited, and start those whose pause is over.

        Raises `ChildKeepsCrashingError` when one exited too often of late.
        """
        now = self._clock()
        for child in self.children.values():
            if child.restart_at is None:
                assert child.process is not None
                code = child.process.poll()
                if code is not None:
                    self._crashed(child, code, now)
            elif now >= child.restart_at:
                child.restart_at = None
                child.process = child.start()
                if child.ready is not None:
                    child.ready()
                self._say(f"the {child.name} is running again")

    def _crashed(self, child: Child, code: int, now: float) -> None:
        child.crashes.append(now)
        while child.crashes and now - child.crashes[0] > CRASH_WINDOW:
            child.crashes.popleft()
        if len(child.crashes) > MAX_CRASHES:
            raise ChildKeepsCrashingError(child.name, len(child.crashes), code)
        delay = self._delays[min(len(child.crashes), len(self._delays)) - 1]
        child.restart_at = now + delay
        self._say(
            f"the {child.name} exited with code {code} (see var/{child.name}.log): "
            f"starting it again in {delay:g} s"
        )
