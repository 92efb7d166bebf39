"""What the emulated AI providers (an OpenAI-compatible Chat Completions API and Anthropic's
Messages API) know: the API keys they take, the requests they were sent, replies a test
queued, and each key's requests in the current minute (the rate limit)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulator.clock import Clock

RATE_WINDOW = timedelta(minutes=1)
"""Both providers count requests per minute."""


@dataclass
class Window:
    """One key's requests since `started`."""

    started: datetime
    used: int = 0


@dataclass
class AiState:
    clock: Clock
    requests_per_minute: int
    keys: set[str] = field(default_factory=set)
    """The API keys either provider accepts."""
    sent: list[dict[str, Any]] = field(default_factory=list)
    """Every accepted request body, oldest first (never its key), for tests to read."""
    replies: deque[str] = field(default_factory=deque)
    """Texts the next answers give instead of their deterministic ones, oldest first."""
    windows: dict[str, Window] = field(default_factory=dict)

    def window(self, key: str) -> Window:
        """The key's current window, a new one once a minute has passed."""
        now = self.clock.now()
        current = self.windows.get(key)
        if current is None or now - current.started >= RATE_WINDOW:
            current = self.windows[key] = Window(started=now)
        return current

    def reset_at(self, key: str) -> datetime:
        return self.window(key).started + RATE_WINDOW

    def exhaust(self, key: str) -> None:
        """Spend the key's requests for the rest of this minute."""
        self.window(key).used = self.requests_per_minute

    def next_reply(self) -> str | None:
        return self.replies.popleft() if self.replies else None
