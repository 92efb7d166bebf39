"""What the emulated Instagram keeps: accounts, long-lived tokens, media containers with
their processing status, published media and their insights."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from emulator import record as kinds
from emulator.config import EmulatorConfig
from emulator.instagram_publish_options import PublishOptions
from emulator.rate_limits import DAY
from emulator.record import Record, SideEffect

IN_PROGRESS = "IN_PROGRESS"
FINISHED = "FINISHED"
ERROR = "ERROR"
EXPIRED = "EXPIRED"
PUBLISHED = "PUBLISHED"
OUTCOMES = (FINISHED, ERROR, EXPIRED)
"""What a container can end up as once processing is over (before it is published)."""

STATUS_TEXT = {
    IN_PROGRESS: "In Progress: Media is still being processed.",
    FINISHED: "Finished: Media has been uploaded and it is ready to be published.",
    ERROR: "Error: Media upload has failed with error code 2207026.",
    EXPIRED: "Expired: The media was not published within 24 hours after being uploaded.",
    PUBLISHED: "Published: Media has been published.",
}

# Media product types, as `media_product_type` names them.
FEED, REELS, STORY = "FEED", "REELS", "STORY"


@dataclass
class InstagramUser:
    id: str
    username: str
    name: str
    created_at: datetime


@dataclass
class InstagramToken:
    value: str
    ig_user_id: str
    issued_at: datetime
    expires_at: datetime
    revoked: bool = False


@dataclass
class Container:
    id: str
    owner_id: str
    media_type: str
    """IMAGE, VIDEO (carousel items only), REELS, STORIES or CAROUSEL."""
    created_at: datetime
    caption: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    children: tuple[str, ...] = ()
    is_carousel_item: bool = False
    polls_left: int = 0
    """Status reads that still answer IN_PROGRESS."""
    outcome: str = FINISHED
    media_id: str | None = None
    """The published media, once published."""
    options: PublishOptions = field(default_factory=PublishOptions)
    """Alt text, tags, location and collaborators."""


@dataclass
class Media:
    id: str
    owner_id: str
    container_id: str
    media_type: str
    """IMAGE, VIDEO or CAROUSEL_ALBUM, as `media_type` names them."""
    product_type: str
    caption: str | None
    created_at: datetime
    permalink: str
    insights: dict[str, int] = field(default_factory=dict)
    """Values set through the control API; other metrics have stable made-up values."""
    options: PublishOptions = field(default_factory=PublishOptions)


@dataclass
class Comment:
    """A comment on a media, or a reply to one (`parent_id`)."""

    id: str
    media_id: str
    media_owner_id: str
    author_id: str
    """The commenter's Instagram-scoped id: the account itself for its own replies."""
    username: str
    text: str
    created_at: datetime
    parent_id: str | None = None
    hidden: bool = False


@dataclass
class DirectMessage:
    id: str
    from_id: str
    text: str
    created_at: datetime


@dataclass
class Thread:
    """A conversation between the account and one person (by their Instagram-scoped id)."""

    id: str
    owner_id: str
    user_id: str
    username: str
    last_user_message_at: datetime | None = None
    """When the person last wrote: the account may answer within 24 hours of it."""
    messages: list[DirectMessage] = field(default_factory=list)


class InstagramState:
    def __init__(self, config: EmulatorConfig, record: Record) -> None:
        self.config = config
        self.clock = config.clock
        self.record = record
        self._ids = itertools.count(17_841_400_000_000_001)
        self.users: dict[str, InstagramUser] = {}
        self.tokens: dict[str, InstagramToken] = {}
        self.containers: dict[str, Container] = {}
        self.media: dict[str, Media] = {}
        self.account_insights: dict[str, dict[str, int]] = {}
        self.next_outcomes: dict[str, deque[str]] = {}
        """Per account, how the next containers it creates will end (ERROR, EXPIRED)."""
        self.comments: dict[str, Comment] = {}
        self.threads: dict[tuple[str, str], Thread] = {}
        """By account and person."""
        self.private_replies: dict[str, str] = {}
        """Comment id → the message that answered it privately (one per comment)."""

    def new_id(self) -> str:
        return str(next(self._ids))

    def effect(self, kind: str, subject: str, **details: object) -> None:
        self.record.add(SideEffect(kind, subject, self.clock.now(), dict(details)))

    def add_user(self, username: str, ig_user_id: str | None = None) -> InstagramUser:
        if any(user.username == username for user in self.users.values()):
            raise ValueError(f"an Instagram account named {username!r} exists already")
        if ig_user_id is not None and ig_user_id in self.users:
            raise ValueError(f"an Instagram account with id {ig_user_id} exists already")
        user = InstagramUser(ig_user_id or self.new_id(), username, username, self.clock.now())
        self.users[user.id] = user
        self.account_insights[user.id] = {}
        return user

    def issue_token(self, ig_user_id: str, value: str | None = None) -> InstagramToken:
        now = self.clock.now()
        token = InstagramToken(
            value or f"IGAA{secrets.token_urlsafe(40)}",
            ig_user_id,
            now,
            now + self.config.instagram_token_ttl,
        )
        if token.value in self.tokens:
            raise ValueError("that Instagram token is in use already")
        self.tokens[token.value] = token
        return token

    def refresh(self, token: InstagramToken) -> InstagramToken:
        """A fresh 60-day token. Meta refreshes only tokens at least a day old: a younger
        one comes back unchanged."""
        if self.clock.now() - token.issued_at < DAY:
            return token
        fresh = self.issue_token(token.ig_user_id)
        self.effect(kinds.INSTAGRAM_TOKEN_REFRESHED, token.ig_user_id)
        return fresh

    def add_container(self, container: Container) -> Container:
        queued = self.next_outcomes.get(container.owner_id)
        if queued:
            container.outcome = queued.popleft()
        container.polls_left = self.config.instagram_polls_in_progress
        self.containers[container.id] = container
        self.effect(
            kinds.INSTAGRAM_CONTAINER_CREATED,
            container.id,
            ig_user_id=container.owner_id,
            media_type=container.media_type,
            children=list(container.children),
        )
        return container

    def status(self, container: Container, *, poll: bool) -> str:
        """The container's status code; a poll moves its processing along."""
        if container.media_id is not None:
            return PUBLISHED
        if self.clock.now() - container.created_at >= self.config.instagram_container_ttl:
            return EXPIRED
        if container.polls_left > 0:
            if poll:
                container.polls_left -= 1
            return IN_PROGRESS
        return container.outcome

    def publish(self, container: Container) -> Media:
        owner = self.users[container.owner_id]
        media_id = self.new_id()
        product, media_type, prefix = FEED, "IMAGE", "p"
        if container.media_type == "REELS":
            product, media_type, prefix = REELS, "VIDEO", "reel"
        elif container.media_type == "STORIES":
            product = STORY
            media_type = "VIDEO" if container.video_url else "IMAGE"
        elif container.media_type == "CAROUSEL":
            media_type = "CAROUSEL_ALBUM"
        shortcode = hashlib.sha256(media_id.encode()).hexdigest()[:11]
        permalink = f"https://www.instagram.com/{prefix}/{shortcode}/"
        if product == STORY:
            permalink = f"https://www.instagram.com/stories/{owner.username}/{media_id}/"
        media = Media(
            media_id,
            owner.id,
            container.id,
            media_type,
            product,
            container.caption,
            self.clock.now(),
            permalink,
            options=container.options,
        )
        self.media[media.id] = media
        container.media_id = media.id
        self.effect(
            kinds.INSTAGRAM_MEDIA_PUBLISHED,
            media.id,
            ig_user_id=owner.id,
            container_id=container.id,
            media_product_type=product,
        )
        return media

    def publishes_in_last_day(self, ig_user_id: str) -> int:
        since = self.clock.now() - DAY
        return sum(
            1
            for media in self.media.values()
            if media.owner_id == ig_user_id and media.created_at > since
        )

    def media_of(self, ig_user_id: str) -> list[Media]:
        """The account's media, newest first."""
        return sorted(
            (media for media in self.media.values() if media.owner_id == ig_user_id),
            key=lambda media: int(media.id),
            reverse=True,
        )


def metric_value(node_id: str, metric: str, overrides: dict[str, int], *, when: str = "") -> int:
    """A metric of a media or account (for a period or day `when`): the value set for it,
    else a stable made-up number (the same arguments always give the same value)."""
    if metric in overrides:
        return overrides[metric]
    digest = hashlib.sha256(f"{node_id}:{metric}:{when}".encode()).digest()
    return int.from_bytes(digest[:2], "big") % 1000


def add_comment(
    instagram: InstagramState,
    media: Media,
    *,
    author_id: str,
    username: str,
    text: str,
    parent_id: str | None = None,
) -> Comment:
    comment = Comment(
        instagram.new_id(), media.id, media.owner_id, author_id, username, text,
        instagram.clock.now(), parent_id,
    )  # fmt: skip
    instagram.comments[comment.id] = comment
    instagram.effect(
        kinds.INSTAGRAM_COMMENT_CREATED,
        comment.id,
        media_id=media.id,
        author_id=author_id,
        parent_id=parent_id,
        text=text,
    )
    return comment


def comments_under(
    instagram: InstagramState, media_id: str, parent_id: str | None
) -> list[Comment]:
    """The media's top-level comments (or a comment's replies), oldest first."""
    return sorted(
        (
            comment
            for comment in instagram.comments.values()
            if comment.media_id == media_id and comment.parent_id == parent_id
        ),
        key=lambda comment: int(comment.id),
    )


def thread_with(instagram: InstagramState, owner_id: str, user_id: str, username: str) -> Thread:
    key = (owner_id, user_id)
    if key not in instagram.threads:
        instagram.threads[key] = Thread(instagram.new_id(), owner_id, user_id, username)
    return instagram.threads[key]


def add_message(
    instagram: InstagramState, thread: Thread, from_id: str, text: str
) -> DirectMessage:
    message = DirectMessage(f"aWdfZ{instagram.new_id()}", from_id, text, instagram.clock.now())
    thread.messages.append(message)
    if from_id == thread.user_id:
        thread.last_user_message_at = message.created_at
    else:
        instagram.effect(
            kinds.INSTAGRAM_MESSAGE_SENT, message.id, ig_user_id=thread.owner_id,
            recipient_id=thread.user_id, text=text,
        )  # fmt: skip
    return message
