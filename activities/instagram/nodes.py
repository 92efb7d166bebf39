"""Instagram node types: their parameters, palette entries and outputs.

Publishing follows the Graph API's two steps (create a container, wait until it is
`FINISHED`, publish it); insights read `GET /{id}/insights`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from activities.base import action_node_type, duration_plus
from app.language.node_type import Parameters
from app.language.parameter_validators import (
    Problems,
    field_errors,
    max_length_unless_templated,
    pattern_unless_templated,
    problem,
    still_a_template,
    url_unless_templated,
)

MAX_CAPTION_CHARACTERS = 2200
MAX_HASHTAGS = 30
MIN_CAROUSEL_ITEMS = 2
MAX_CAROUSEL_ITEMS = 10
MAX_METRICS = 20
MAX_ALT_TEXT_CHARACTERS = 1000
MAX_USER_TAGS = 20
MAX_PRODUCT_TAGS = 5
MAX_COLLABORATORS = 3

_HASHTAG = re.compile(r"(?<!\w)#\w+")

HttpsUrl = Annotated[
    str,
    Field(min_length=1),
    max_length_unless_templated(8192),
    url_unless_templated(("https",)),
]
"""Instagram fetches media itself, from a public https URL."""


def _hashtags_unless_templated(caption: str, info: ValidationInfo) -> str:
    if not still_a_template(caption, info) and len(_HASHTAG.findall(caption)) > MAX_HASHTAGS:
        raise problem(f"must have at most {MAX_HASHTAGS} hashtags")
    return caption


Caption = Annotated[
    str,
    max_length_unless_templated(MAX_CAPTION_CHARACTERS),
    AfterValidator(_hashtags_unless_templated),
]

MediaId = Annotated[
    str,
    pattern_unless_templated(r"[0-9]{1,32}", "must be an Instagram media id (digits)"),
    Field(json_schema_extra={"examples": ["17895695668004550", "{{ nodes.publish.media_id }}"]}),
]

MEDIA_METRICS = frozenset(
    {
        "comments",
        "follows",
        "ig_reels_avg_watch_time",
        "ig_reels_video_view_total_time",
        "impressions",
        "likes",
        "navigation",
        "plays",
        "profile_activity",
        "profile_visits",
        "reach",
        "replies",
        "saved",
        "shares",
        "total_interactions",
        "views",
    }
)
"""Metrics of `GET /{ig-media-id}/insights`; which apply depends on the media (reel, story)."""

ACCOUNT_METRICS = frozenset(
    {
        "accounts_engaged",
        "comments",
        "email_contacts",
        "follower_count",
        "get_directions_clicks",
        "impressions",
        "likes",
        "phone_call_clicks",
        "profile_views",
        "reach",
        "replies",
        "saves",
        "shares",
        "text_message_clicks",
        "total_interactions",
        "views",
        "website_clicks",
    }
)
"""Metrics of `GET /{ig-user-id}/insights` over a day, a week or 28 days."""


class CarouselItem(Parameters):
    """One image or video of a carousel."""

    image_url: HttpsUrl | None = Field(default=None, description="Public https URL of a JPEG.")
    video_url: HttpsUrl | None = Field(default=None, description="Public https URL of a video.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.image_url is None) == (self.video_url is None):
            raise field_errors(
                type(self), [(("image_url",), "give exactly one of image_url and video_url", None)]
            )
        return self


Username = Annotated[
    str,
    Field(min_length=1, max_length=30),
    # Instagram's rule: letters, digits, '_' and '.', never '.' first, last or twice in a row.
    pattern_unless_templated(
        r"(?!\.)(?!.*\.\.)[A-Za-z0-9._]{1,30}(?<!\.)",
        "must be an Instagram username: letters, digits, '_' and '.', not starting or ending "
        "with '.', and no '..'",
    ),
]

Position = Annotated[float, Field(ge=0, le=1)]


class UserTag(Parameters):
    """A person tagged in the media: on an image at `x`, `y` (0 to 1 from the top left);
    reels take the username alone."""

    username: Username = Field(description="The public account to tag, without @.")
    x: Position | None = Field(default=None, description="Images: 0 (left) to 1 (right).")
    y: Position | None = Field(default=None, description="Images: 0 (top) to 1 (bottom).")


class ProductTag(Parameters):
    """A product of the account's catalog tagged in the media (Instagram Shopping)."""

    product_id: Annotated[
        str, pattern_unless_templated(r"[0-9]{1,32}", "must be a catalog product id (digits)")
    ] = Field(description="The product's id in the catalog.")
    x: Position | None = Field(default=None, description="Images: 0 (left) to 1 (right).")
    y: Position | None = Field(default=None, description="Images: 0 (top) to 1 (bottom).")


class InstagramPublishParameters(Parameters):
    """Parameters of `instagram.publish`."""

    kind: Literal["image", "reel", "story", "carousel"] = Field(
        description="What to publish: a feed image, a reel (video), a story (image or video) "
        "or a carousel of 2 to 10 images and videos."
    )
    image_url: HttpsUrl | None = Field(
        default=None,
        description="Public https URL of the JPEG to publish (image, or an image story).",
        json_schema_extra={"examples": ["https://cdn.example.com/photo.jpg"]},
    )
    video_url: HttpsUrl | None = Field(
        default=None,
        description="Public https URL of the video to publish (reel, or a video story).",
        json_schema_extra={"examples": ["https://cdn.example.com/clip.mp4"]},
    )
    caption: Caption | None = Field(
        default=None,
        description=f"The caption: at most {MAX_CAPTION_CHARACTERS} characters and "
        f"{MAX_HASHTAGS} hashtags. Stories have none.",
        json_schema_extra={"examples": ["New drop today #launch"]},
    )
    items: list[CarouselItem] = Field(
        default_factory=list,
        max_length=MAX_CAROUSEL_ITEMS,
        description=f"Carousel only: {MIN_CAROUSEL_ITEMS} to {MAX_CAROUSEL_ITEMS} items, each "
        "with an image_url or a video_url.",
        json_schema_extra={
            "examples": [
                [
                    {"image_url": "https://cdn.example.com/1.jpg"},
                    {"video_url": "https://cdn.example.com/2.mp4"},
                ]
            ]
        },
    )
    cover_url: HttpsUrl | None = Field(
        default=None, description="Reels only: public https URL of the cover image."
    )
    share_to_feed: bool = Field(
        default=True, description="Reels only: also show the reel in the main feed."
    )
    first_comment: Caption | None = Field(
        default=None,
        description="A comment the account posts under the media once it is published, "
        f"exactly once (at most {MAX_CAPTION_CHARACTERS} characters). Not for stories.",
        json_schema_extra={"examples": ["#launch #newdrop"]},
    )
    alt_text: (
        Annotated[str, Field(min_length=1), max_length_unless_templated(MAX_ALT_TEXT_CHARACTERS)]
        | None
    ) = Field(
        default=None,
        description=f"Images only: alternative text for people using screen readers (at "
        f"most {MAX_ALT_TEXT_CHARACTERS} characters).",
    )
    user_tags: list[UserTag] = Field(
        default_factory=list,
        max_length=MAX_USER_TAGS,
        description=f"Images and reels: people to tag (at most {MAX_USER_TAGS}); an image's "
        "tags need x and y, a reel's take none.",
        json_schema_extra={"examples": [[{"username": "ada.makes", "x": 0.5, "y": 0.4}]]},
    )
    product_tags: list[ProductTag] = Field(
        default_factory=list,
        max_length=MAX_PRODUCT_TAGS,
        description=f"Images and reels: catalog products to tag (at most {MAX_PRODUCT_TAGS}); "
        "an image's tags need x and y, a reel's take none. The account needs Instagram Shopping.",
    )
    location_id: (
        Annotated[
            str, pattern_unless_templated(r"[0-9]{1,32}", "must be a location page id (digits)")
        ]
        | None
    ) = Field(
        default=None,
        description="The id of a Facebook Page with a location, to show as the media's place. "
        "Not for stories.",
    )
    collaborators: list[Username] = Field(
        default_factory=list,
        max_length=MAX_COLLABORATORS,
        description=f"Images, reels and carousels: up to {MAX_COLLABORATORS} accounts invited "
        "as collaborators (the post shows on their profiles once they accept).",
    )
    poll_interval: timedelta = Field(
        default=timedelta(seconds=5),
        ge=timedelta(seconds=1),
        le=timedelta(minutes=1),
        description="How often to check whether Instagram has finished processing the media "
        "(1 s to 1 min; ISO 8601 duration such as `PT5S`, or seconds).",
    )
    max_wait: timedelta = Field(
        default=timedelta(minutes=10),
        ge=timedelta(seconds=10),
        le=timedelta(hours=1),
        description="How long to wait for processing before failing (10 s to 1 h).",
        json_schema_extra={"examples": ["PT10M"]},
    )

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        problems = self._kind_problems()
        if self.cover_url is not None and self.kind != "reel":
            problems.append((("cover_url",), "is only used by reels", None))
        if self.max_wait < self.poll_interval:
            problems.append((("max_wait",), "must not be shorter than poll_interval", None))
        problems += self._option_problems()
        if problems:
            raise field_errors(type(self), problems)
        return self

    def _option_problems(self) -> Problems:
        """Which kinds take which options, and where tags go (Meta's rules)."""
        takes = {
            "first_comment": ("image", "reel", "carousel"),
            "alt_text": ("image",),
            "user_tags": ("image", "reel"),
            "product_tags": ("image", "reel"),
            "location_id": ("image", "reel", "carousel"),
            "collaborators": ("image", "reel", "carousel"),
        }
        problems: Problems = [
            ((name,), f"cannot be used to publish a {self.kind}", None)
            for name, kinds in takes.items()
            if self.kind not in kinds and getattr(self, name) not in (None, [])
        ]
        for name in ("user_tags", "product_tags"):
            tags: Sequence[UserTag | ProductTag] = getattr(self, name)
            for index, tag in enumerate(tags):
                placed = (tag.x is not None, tag.y is not None)
                if self.kind == "image" and placed != (True, True):
                    problems.append(((name, index), "an image's tag needs x and y", None))
                if self.kind == "reel" and placed != (False, False):
                    problems.append(((name, index), "a reel's tag takes no x or y", None))
        names = [tag.username.lower() for tag in self.user_tags]
        if len(set(names)) != len(names):
            problems.append((("user_tags",), "tags an account twice", None))
        return problems

    def _kind_problems(self) -> Problems:
        def needs(field: str) -> Problems:
            if getattr(self, field) is None:
                return [((field,), f"is required to publish a {self.kind}", None)]
            return []

        def forbids(*fields: str) -> Problems:
            return [
                ((field,), f"cannot be used to publish a {self.kind}", None)
                for field in fields
                if getattr(self, field) not in (None, [])
            ]

        if self.kind == "image":
            return needs("image_url") + forbids("video_url", "items")
        if self.kind == "reel":
            return needs("video_url") + forbids("image_url", "items")
        if self.kind == "story":
            problems = forbids("caption", "items")
            if (self.image_url is None) == (self.video_url is None):
                problems.append(
                    (("image_url",), "a story needs exactly one of image_url and video_url", None)
                )
            return problems
        problems = forbids("image_url", "video_url")
        if len(self.items) < MIN_CAROUSEL_ITEMS:
            problems.append(
                (("items",), f"a carousel needs at least {MIN_CAROUSEL_ITEMS} items", self.items)
            )
        return problems


class InstagramInsightsParameters(Parameters):
    """Parameters of `instagram.insights`."""

    target: Literal["media", "account"] = Field(
        description="Read the insights of one media (`media`) or of the whole account."
    )
    media_id: MediaId | None = Field(
        default=None, description="The media to read; required when target is `media`."
    )
    metrics: list[str] = Field(
        min_length=1,
        max_length=MAX_METRICS,
        description="The metrics to read (1 to 20). Media: "
        + ", ".join(sorted(MEDIA_METRICS))
        + ". Account: "
        + ", ".join(sorted(ACCOUNT_METRICS))
        + ". Instagram retired `impressions` and `plays` in favour of `views` for newer media.",
        json_schema_extra={"examples": [["reach", "likes", "comments"]]},
    )
    period: Literal["day", "week", "days_28", "lifetime"] | None = Field(
        default=None,
        description="Account only: `day` (the default), `week` or `days_28`. Media insights "
        "cover the media's lifetime, so for media it may only be `lifetime`.",
    )

    @model_validator(mode="after")
    def _fits_target(self, info: ValidationInfo) -> Self:
        allowed = MEDIA_METRICS if self.target == "media" else ACCOUNT_METRICS
        problems: Problems = []
        seen: set[str] = set()
        for index, name in enumerate(self.metrics):
            if name not in allowed and not still_a_template(name, info):
                problems.append(
                    (("metrics", index), f"'{name}' is not a {self.target} metric", name)
                )
            elif name in seen:
                problems.append((("metrics", index), f"'{name}' is listed twice", name))
            seen.add(name)
        if self.target == "media":
            if self.media_id is None:
                problems.append((("media_id",), "is required for media insights", None))
            if self.period not in (None, "lifetime"):
                problems.append((("period",), "media insights are lifetime only", self.period))
        else:
            if self.media_id is not None:
                problems.append((("media_id",), "is only used for media insights", None))
            if self.period == "lifetime":
                problems.append(
                    (("period",), "account insights take day, week or days_28", self.period)
                )
        if problems:
            raise field_errors(type(self), problems)
        return self


_PUBLISH_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "media_id": {"type": "string", "description": "Id of the published media."},
        "container_id": {"type": "string", "description": "Id of the media container."},
        "permalink": {"type": "string", "format": "uri", "description": "Public link."},
        "first_comment_id": {
            "type": "string",
            "description": "With first_comment: the comment posted under the media.",
        },
    },
    "required": ["media_id", "container_id", "permalink"],
}

_INSIGHTS_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "metrics": {
            "type": "object",
            "description": "Each requested metric's value, by name.",
            "additionalProperties": {"type": "number"},
        },
    },
    "required": ["metrics"],
}

NODE_TYPES = (
    action_node_type(
        "instagram",
        "instagram.publish",
        "Publish to Instagram",
        "Publish an image, reel, story or carousel on the connected Instagram account.",
        InstagramPublishParameters,
        _PUBLISH_OUTPUT,
        # Instagram processes a reel for minutes (`max_wait`, 10 by default): the attempt
        # lasts that long and a few minutes more to create the container and publish.
        default_timeout=timedelta(minutes=15),
        timeout_needed=duration_plus("max_wait", timedelta(minutes=5)),
    ),
    action_node_type(
        "instagram",
        "instagram.insights",
        "Instagram insights",
        "Read reach, engagement and other metrics of a media or of the account.",
        InstagramInsightsParameters,
        _INSIGHTS_OUTPUT,
    ),
)
