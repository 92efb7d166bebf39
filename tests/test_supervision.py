"""`make run` keeps its children alive: a child that exits starts again after a growing pause,
with a line saying so; one that keeps crashing stops everything."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.supervision import (
    CRASH_WINDOW,
    MAX_CRASHES,
    RESTART_DELAYS,
    Child,
    ChildKeepsCrashingError,
    Supervisor,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def exiting(code: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", f"import sys; sys.exit({code})"])


def sleeping() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


class Watched:
    def __init__(self, delays: tuple[float, ...] | None = None) -> None:
        self.clock = Clock()
        self.lines: list[str] = []
        self.supervisor = Supervisor(
            say=self.lines.append, clock=self.clock, delays=delays or RESTART_DELAYS
        )
        self.started: list[subprocess.Popen[bytes]] = []

    def child(self, name: str, code: int = 3) -> Child:
        def start() -> subprocess.Popen[bytes]:
            process = exiting(code)
            self.started.append(process)
            return process

        return Child(name, start)

    def crash_and_check(self) -> None:
        """Let every started process end, then let the supervisor look."""
        for process in self.started:
            process.wait()
        self.supervisor.check()


def test_a_child_that_exits_starts_again_after_a_pause_with_a_line_saying_so() -> None:
    watched = Watched()
    watched.supervisor.start(watched.child("worker", code=9))

    watched.crash_and_check()
    assert watched.lines == [
        "the worker exited with code 9 (see var/worker.log): starting it again in 1 s"
    ]
    assert len(watched.started) == 1  # not before its pause is over

    watched.clock.now += 1
    watched.supervisor.check()
    assert len(watched.started) == 2
    assert watched.lines[-1] == "the worker is running again"


def test_each_crash_in_a_row_waits_longer() -> None:
    watched = Watched()
    watched.supervisor.start(watched.child("api"))
    pauses = []
    for _ in range(4):
        watched.crash_and_check()
        pauses.append(watched.lines[-1].rsplit("again in ", 1)[1])
        watched.clock.now += 10
        watched.supervisor.check()

    assert pauses == ["1 s", "2 s", "4 s", "8 s"]


def test_a_child_that_keeps_crashing_is_given_up_on_with_its_name() -> None:
    watched = Watched(delays=(1.0,))
    watched.supervisor.start(watched.child("worker"))
    for _ in range(MAX_CRASHES):
        watched.crash_and_check()
        watched.clock.now += 1
        watched.supervisor.check()

    with pytest.raises(ChildKeepsCrashingError, match="the worker keeps crashing") as given_up:
        watched.crash_and_check()
    assert given_up.value.name == "worker"


def test_crashes_long_ago_are_forgiven() -> None:
    watched = Watched(delays=(1.0,))
    watched.supervisor.start(watched.child("worker"))
    for _ in range(MAX_CRASHES * 3):
        watched.crash_and_check()
        watched.clock.now += CRASH_WINDOW  # one crash per window never adds up
        watched.supervisor.check()

    assert len(watched.started) == MAX_CRASHES * 3 + 1


def test_ready_runs_after_every_start_and_a_running_child_is_left_alone() -> None:
    watched = Watched()
    readied: list[str] = []
    calm = Child("temporal", sleeping, ready=lambda: readied.append("temporal"))
    flaky = watched.child("emulator")
    flaky.ready = lambda: readied.append("emulator")
    watched.supervisor.start(calm)
    watched.supervisor.start(flaky)
    try:
        watched.crash_and_check()
        watched.clock.now += 1
        watched.supervisor.check()

        assert readied == ["temporal", "emulator", "emulator"]
        assert list(watched.supervisor.processes()) == ["temporal", "emulator"]
        assert calm.process is not None
        assert calm.process.poll() is None
    finally:
        assert calm.process is not None
        calm.process.kill()
        calm.process.wait()
