"""What the emulated X keeps: users, posts, uploaded media ids, and OAuth 2.0 tokens and codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from emulator import record as kinds
from emulator.clock import Clock
from emulator.config import EmulatorConfig
from emulator.record import Record, SideEffect

DEFAULT_SCOPES = frozenset(
    {"tweet.read", "tweet.write", "users.read", "offline.access", "media.write"}
)
"""The scopes a user or token added through the control API gets unless told otherwise."""

PUBLIC_METRICS = (
    "repost_count",
    "reply_count",
    "like_count",
    "quote_count",
    "bookmark_count",
    "impression_count",
)

_TWITTER_EPOCH_MS = 1288834974657


class Snowflakes:
    """X-style ids: milliseconds since X's epoch shifted left 22 bits, so they grow with
    time (what `since_id` relies on); strictly increasing even within one millisecond."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last = 0

    def next(self) -> str:
        millis = int(self._clock.now().timestamp() * 1000) - _TWITTER_EPOCH_MS
        self._last = max(millis << 22, self._last + 1)
        return str(self._last)


@dataclass
class XUser:
    id: str
    username: str
    name: str
    created_at: datetime
    description: str = ""


@dataclass
class Post:
    id: str
    author_id: str
    text: str
    created_at: datetime
    conversation_id: str
    reply_to: str | None = None
    in_reply_to_user_id: str | None = None
    quote_of: str | None = None
    media_ids: tuple[str, ...] = ()
    reply_settings: str | None = None
    deleted_at: datetime | None = None
    metrics: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PUBLIC_METRICS, 0))


MEDIA_KEY_PREFIX = {"tweet_image": "3", "tweet_video": "7", "tweet_gif": "16"}
"""X's media keys are `<type>_<media id>`: 3 a photo, 7 a video, 16 an animated GIF."""


@dataclass
class Upload:
    """One media upload, one-shot or chunked, and where its processing stands."""

    id: str
    owner_id: str
    media_type: str
    category: str
    total_bytes: int
    expires_at: datetime
    segments: dict[int, bytes] = field(default_factory=dict, repr=False)
    state: str = "initialized"
    """`initialized` (chunks may come), then `pending`, `in_progress`, `succeeded` or `failed`."""
    polls_left: int = 0
    """STATUS reads still to answer `in_progress`."""

    @property
    def media_key(self) -> str:
        return f"{MEDIA_KEY_PREFIX.get(self.category, '3')}_{self.id}"

    @property
    def received(self) -> int:
        return sum(len(chunk) for chunk in self.segments.values())

    def head(self) -> bytes:
        """The first bytes of the file, where its format shows."""
        return b"".join(self.segments[index] for index in sorted(self.segments))[:16]


@dataclass
class AccessToken:
    value: str
    user_id: str
    client_id: str | None
    scopes: frozenset[str]
    expires_at: datetime
    revoked: bool = False


@dataclass
class RefreshToken:
    value: str
    user_id: str
    client_id: str | None
    scopes: frozenset[str]
    spent: bool = False
    """Used once already: refresh tokens are single-use and rotate."""
    revoked: bool = False


@dataclass
class AuthorizationCode:
    value: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: frozenset[str]
    challenge: str
    challenge_method: str
    expires_at: datetime
    used: bool = False


@dataclass(frozen=True)
class TokenPair:
    """What the token endpoint (or the control API) hands out."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime
    scopes: frozenset[str]


class XState:
    def __init__(self, config: EmulatorConfig, record: Record) -> None:
        self.config = config
        self.clock = config.clock
        self.record = record
        self.ids = Snowflakes(config.clock)
        self.users: dict[str, XUser] = {}
        self.posts: dict[str, Post] = {}
        self.media: dict[str, str] = {}
        """Uploaded media id to the id of the user who may attach it."""
        self.uploads: dict[str, Upload] = {}
        """Uploads through the media endpoints, by media id; ready ones are in `media` too."""
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.clients: dict[str, str | None] = dict(config.x_clients)
        """OAuth 2.0 clients: id to secret, or None for a public client."""

    def effect(self, kind: str, subject: str, **details: object) -> None:
        self.record.add(SideEffect(kind, subject, self.clock.now(), dict(details)))

    # Users and media

    def add_user(self, username: str, name: str | None = None, user_id: str | None = None) -> XUser:
        if self.find_user(username) is not None:
            raise ValueError(f"an X user named {username!r} exists already")
        if user_id is not None and user_id in self.users:
            raise ValueError(f"an X user with id {user_id} exists already")
        user = XUser(user_id or self.ids.next(), username, name or username, self.clock.now())
        self.users[user.id] = user
        return user

    def find_user(self, id_or_username: str) -> XUser | None:
        if id_or_username in self.users:
            return self.users[id_or_username]
        wanted = id_or_username.removeprefix("@").lower()
        return next((u for u in self.users.values() if u.username.lower() == wanted), None)

    def add_media(self, user_id: str) -> str:
        media_id = self.ids.next()
        self.media[media_id] = user_id
        return media_id

    def start_upload(
        self, owner_id: str, *, media_type: str, category: str, total_bytes: int
    ) -> Upload:
        upload = Upload(
            self.ids.next(), owner_id, media_type, category, total_bytes,
            expires_at=self.clock.now() + self.config.x_media_ttl,
        )  # fmt: skip
        self.uploads[upload.id] = upload
        return upload

    def finish_upload(self, upload: Upload) -> None:
        """The file is whole: images are ready at once, videos and GIFs are processed first
        (read through STATUS)."""
        if upload.category == "tweet_image":
            self._ready(upload)
            return
        upload.state = "pending"
        upload.polls_left = self.config.x_video_polls_in_progress

    def poll_upload(self, upload: Upload) -> None:
        """One STATUS read moves processing on."""
        if upload.state not in ("pending", "in_progress"):
            return
        if upload.polls_left > 0:
            upload.polls_left -= 1
            upload.state = "in_progress"
        elif self.config.x_media_fails_processing:
            upload.state = "failed"
        else:
            self._ready(upload)

    def _ready(self, upload: Upload) -> None:
        upload.state = "succeeded"
        self.media[upload.id] = upload.owner_id
        self.effect(
            kinds.X_MEDIA_UPLOADED, upload.id, owner_id=upload.owner_id,
            media_type=upload.media_type, size=upload.received,
        )  # fmt: skip

    def attachable(self, media_id: str, user_id: str) -> bool:
        """Whether `user_id` may attach this media now: theirs, processed, not expired."""
        if self.media.get(media_id) != user_id:
            return False
        upload = self.uploads.get(media_id)
        return upload is None or upload.expires_at > self.clock.now()

    def media_key(self, media_id: str) -> str:
        upload = self.uploads.get(media_id)
        return upload.media_key if upload is not None else f"3_{media_id}"

    # Tokens

    def issue(
        self,
        user_id: str,
        client_id: str | None,
        scopes: frozenset[str],
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
    ) -> TokenPair:
        """A new access token, and a refresh token when `offline.access` was granted."""
        expires_at = self.clock.now() + self.config.x_access_token_ttl
        access = AccessToken(
            access_token or secrets.token_urlsafe(48), user_id, client_id, scopes, expires_at
        )
        if access.value in self.access_tokens:
            raise ValueError("that access token is in use already")
        self.access_tokens[access.value] = access
        refresh_value = None
        if "offline.access" in scopes:
            refresh_value = refresh_token or secrets.token_urlsafe(48)
            if refresh_value in self.refresh_tokens:
                raise ValueError("that refresh token is in use already")
            self.refresh_tokens[refresh_value] = RefreshToken(
                refresh_value, user_id, client_id, scopes
            )
        return TokenPair(access.value, refresh_value, expires_at, scopes)

    def rotate(self, old: RefreshToken) -> TokenPair:
        old.spent = True
        return self.issue(old.user_id, old.client_id, old.scopes)

    def usable_access(self, value: str) -> AccessToken | None:
        token = self.access_tokens.get(value)
        if token is None or token.revoked or token.expires_at <= self.clock.now():
            return None
        return token

    def revoke(self, value: str) -> bool:
        """Revoke an access or refresh token; False when the emulator never issued it."""
        if value in self.access_tokens:
            self.access_tokens[value].revoked = True
            return True
        if value in self.refresh_tokens:
            self.refresh_tokens[value].revoked = True
            return True
        return False

    def expire(self, value: str) -> bool:
        """Make an access token expire now; False when the emulator never issued it."""
        token = self.access_tokens.get(value)
        if token is None:
            return False
        token.expires_at = min(token.expires_at, self.clock.now())
        return True

    # Posts

    def live_post(self, post_id: str) -> Post | None:
        post = self.posts.get(post_id)
        return post if post is not None and post.deleted_at is None else None

    def posts_by(self, user_id: str, *, include_deleted: bool = False) -> list[Post]:
        """The user's posts, newest first."""
        return sorted(
            (
                post
                for post in self.posts.values()
                if post.author_id == user_id and (include_deleted or post.deleted_at is None)
            ),
            key=lambda post: int(post.id),
            reverse=True,
        )

    def all_posts(self) -> list[Post]:
        """Every live post, newest first."""
        live = (post for post in self.posts.values() if post.deleted_at is None)
        return sorted(live, key=lambda post: int(post.id), reverse=True)

    def duplicate_of(self, user_id: str, text: str) -> Post | None:
        """A live post of the user with the same text within the duplicate window."""
        if not text or not self.config.x_refuses_duplicates:
            return None
        window = self.config.x_duplicate_window
        since = self.clock.now() - window if window is not None else None
        for post in self.posts_by(user_id):
            if since is not None and post.created_at < since:
                return None
            if post.text == text:
                return post
        return None

    def add_post(self, post: Post) -> Post:
        self.posts[post.id] = post
        self.effect(
            kinds.X_POST_CREATED,
            post.id,
            author_id=post.author_id,
            text=post.text,
            reply_to=post.reply_to,
            quote_of=post.quote_of,
            media_ids=list(post.media_ids),
        )
        return post

    def delete_post(self, post: Post) -> None:
        post.deleted_at = self.clock.now()
        self.effect(kinds.X_POST_DELETED, post.id, author_id=post.author_id)
