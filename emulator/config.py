"""What an emulator instance is like: X access tier, token lifetimes, Instagram processing and
quotas. Defaults follow the live platforms (specs/README.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

from emulator.clock import Clock

CREATE_POST = "POST /2/tweets"
DELETE_POST = "DELETE /2/tweets/:id"
GET_POST = "GET /2/tweets/:id"
GET_ME = "GET /2/users/me"
USER_POSTS = "GET /2/users/:id/tweets"
USER_MENTIONS = "GET /2/users/:id/mentions"
SEARCH_RECENT = "GET /2/tweets/search/recent"
MEDIA_UPLOAD = "POST /2/media/upload"
"""Every command of an upload (one-shot, initialize, append, finalize) counts here."""
MEDIA_STATUS = "GET /2/media/upload"
X_ENDPOINTS = (
    CREATE_POST,
    DELETE_POST,
    GET_POST,
    GET_ME,
    USER_POSTS,
    USER_MENTIONS,
    SEARCH_RECENT,
    MEDIA_UPLOAD,
    MEDIA_STATUS,
)
"""The rate-limited X endpoints, named as X's rate-limit table names them."""

TWEET_IMAGE = "tweet_image"
TWEET_GIF = "tweet_gif"
TWEET_VIDEO = "tweet_video"
MEDIA_LIMITS = MappingProxyType(
    {TWEET_IMAGE: 5 * 1024 * 1024, TWEET_GIF: 15 * 1024 * 1024, TWEET_VIDEO: 512 * 1024 * 1024}
)
"""The largest file of each media category X takes for posts, in bytes."""


@dataclass(frozen=True)
class XTier:
    """An X API access tier: per-user request limits and the daily post cap."""

    name: str
    """`free`, `basic`, `pro` or a name of your own."""
    requests_per_window: Mapping[str, int]
    """Requests per user per `window`, by endpoint (keys of `X_ENDPOINTS`)."""
    posts_per_24_hours: int
    """The per-user cap of POST /2/tweets in 24 hours (`x-user-limit-24hour-*`)."""
    window: timedelta = timedelta(minutes=15)
    """Length of the rate-limit window of every endpoint."""


def _limits(*per_endpoint: int) -> Mapping[str, int]:
    return MappingProxyType(dict(zip(X_ENDPOINTS, per_endpoint, strict=True)))


# Post caps are X's published ones (17 a day on Free, 100 a day per user on Basic, 100 per
# 15 minutes on Pro); the read and media limits approximate X's table, which changes often.
# Columns: post, delete, get, me, timeline, mentions, search, media upload, media status.
FREE = XTier("free", _limits(17, 17, 1, 25, 1, 1, 1, 17, 17), posts_per_24_hours=17)
BASIC = XTier("basic", _limits(100, 5, 15, 75, 5, 10, 60, 500, 500), posts_per_24_hours=100)
PRO = XTier("pro", _limits(100, 50, 900, 75, 900, 300, 300, 5000, 5000), posts_per_24_hours=10_000)
TIERS = MappingProxyType({tier.name: tier for tier in (FREE, BASIC, PRO)})

SANDBOX_CLIENT_ID = "flowhold-sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"
SANDBOX_APP_SECRET = "sandbox-meta-app-secret"


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of one emulator instance; every field has the live platform's default."""

    clock: Clock = field(default_factory=Clock)
    """Where the emulator reads the time; advance it to cross windows and expiries."""
    x_tier: XTier = PRO
    """Rate limits of the X API."""
    x_access_token_ttl: timedelta = timedelta(hours=2)
    """Lifetime of OAuth 2.0 access tokens issued for X."""
    x_authorization_code_ttl: timedelta = timedelta(seconds=30)
    """How long an authorization code can be exchanged."""
    x_clients: Mapping[str, str | None] = field(
        default_factory=lambda: {SANDBOX_CLIENT_ID: SANDBOX_CLIENT_SECRET}
    )
    """Registered OAuth 2.0 clients: id to secret (confidential, HTTP Basic) or None (public)."""
    x_duplicate_window: timedelta | None = timedelta(hours=24)
    """How far back the same text counts as a duplicate; None: any live post."""
    x_refuses_duplicates: bool = True
    """False plays X letting the same text through again, as it does when its (undocumented,
    fuzzy) duplicate check misses: then only the engine's own check keeps a retry from
    posting twice."""
    x_max_post_length: int = 280
    """Longest text of a post, in characters."""
    x_media_limits: Mapping[str, int] = field(default_factory=lambda: dict(MEDIA_LIMITS))
    """Largest file per media category (`tweet_image`, `tweet_gif`, `tweet_video`), in bytes."""
    x_media_segment_bytes: int = 5 * 1024 * 1024
    """Largest chunk one APPEND of a chunked upload takes, in bytes (decoded)."""
    x_video_polls_in_progress: int = 1
    """How many STATUS reads of a finalized video answer `in_progress` before `succeeded`."""
    x_media_fails_processing: bool = False
    """Video processing ends `failed` (X's answer to a file it cannot transcode)."""
    x_media_ttl: timedelta = timedelta(hours=24)
    """How long an uploaded media id can be attached to a post."""
    instagram_token_ttl: timedelta = timedelta(days=60)
    """Lifetime of long-lived Instagram tokens (also after a refresh)."""
    instagram_polls_in_progress: int = 1
    """How many status reads of a new container answer IN_PROGRESS before FINISHED."""
    instagram_container_ttl: timedelta = timedelta(hours=24)
    """After this an unpublished container is EXPIRED."""
    instagram_publishes_per_24_hours: int = 100
    """Content publishing quota per account (`content_publishing_limit`)."""
    instagram_calls_per_hour: int = 200
    """Graph API calls per account per hour before error 80002 (business use case limit)."""
    ai_requests_per_minute: int = 500
    """Requests per API key per minute either AI provider answers before a 429 (OpenAI's
    first usage tier)."""
    meta_app_secret: str = SANDBOX_APP_SECRET
    """Signs webhook deliveries (`X-Hub-Signature-256`)."""
    webhook_timeout: timedelta = timedelta(seconds=10)
    """How long a webhook delivery or verification waits for the receiver."""
