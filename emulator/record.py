"""The record of everything the emulator did: side effects (posts, containers, tokens,
webhooks) that tests count, and every request it answered."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The kinds of side effect, one per thing a platform would keep or send. Tokens count when
# the platform issues them (token endpoint, refresh), not when a test adds them.
X_POST_CREATED = "x.post.created"
X_POST_DELETED = "x.post.deleted"
X_MEDIA_UPLOADED = "x.media.uploaded"
X_TOKEN_ISSUED = "x.token.issued"
X_TOKEN_ROTATED = "x.token.rotated"
X_TOKEN_REVOKED = "x.token.revoked"
X_CODE_ISSUED = "x.authorization_code.issued"
INSTAGRAM_CONTAINER_CREATED = "instagram.container.created"
INSTAGRAM_MEDIA_PUBLISHED = "instagram.media.published"
INSTAGRAM_TOKEN_REFRESHED = "instagram.token.refreshed"
INSTAGRAM_COMMENT_CREATED = "instagram.comment.created"
INSTAGRAM_COMMENT_HIDDEN = "instagram.comment.hidden"
INSTAGRAM_COMMENT_DELETED = "instagram.comment.deleted"
INSTAGRAM_MESSAGE_SENT = "instagram.message.sent"
WEBHOOK_DELIVERED = "meta.webhook.delivered"
WEBHOOK_VERIFIED = "meta.webhook.verified"

MAX_EXCHANGES = 10_000
"""The request log keeps this many recent requests, so a long sandbox session stays small."""


@dataclass(frozen=True)
class SideEffect:
    """One change the platform would have made or one message it would have sent."""

    kind: str
    """One of the kinds above, e.g. `x.post.created`."""
    subject: str
    """Id of what it concerns: a post, container, media, user, or a webhook URL."""
    at: datetime
    """Emulator time it happened."""
    details: dict[str, Any] = field(default_factory=dict)
    """What else a test may check (never a token)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "at": self.at.isoformat(),
            "details": self.details,
        }


@dataclass(frozen=True)
class Exchange:
    """One request the emulator answered (or failed on purpose)."""

    method: str
    path: str
    status: int
    """HTTP status sent; 0 when the connection was closed instead."""
    at: datetime
    injected: bool
    """Whether a queued failure produced it."""
    target: str = ""
    """The path and query as sent, before percent-decoding: what an id in a path became."""

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "target": self.target,
            "status": self.status,
            "at": self.at.isoformat(),
            "injected": self.injected,
        }


class Record:
    """Side effects in order, and a bounded log of requests."""

    def __init__(self) -> None:
        self.effects: list[SideEffect] = []
        self.exchanges: list[Exchange] = []

    def add(self, effect: SideEffect) -> None:
        self.effects.append(effect)

    def exchanged(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        if len(self.exchanges) > MAX_EXCHANGES:
            del self.exchanges[: len(self.exchanges) - MAX_EXCHANGES]

    def of(self, kind: str | None = None, subject: str | None = None) -> list[SideEffect]:
        return [
            effect
            for effect in self.effects
            if (kind is None or effect.kind == kind)
            and (subject is None or effect.subject == subject)
        ]

    def counts(self) -> dict[str, int]:
        return dict(Counter(effect.kind for effect in self.effects))

    def requests(self, method: str | None = None, path: str | None = None) -> list[Exchange]:
        return [
            exchange
            for exchange in self.exchanges
            if (method is None or exchange.method == method.upper())
            and (path is None or exchange.path == path)
        ]
