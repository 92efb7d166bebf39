"""`x.upload_media`: its parameters and output.

A node of its own rather than a parameter of `x.post`: an upload is a step with its own
retries and its own wait (a video is processed for minutes), its media id can go to
`x.post`, to any post of `x.thread`, or to several posts, and a failed post retried never
uploads again. Limits follow X's media upload (`POST /2/media/upload` and its chunked
commands in the X API v2 OpenAPI document).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from app.language.node_type import Parameters
from app.language.parameter_validators import field_errors, url_unless_templated

MB = 1024 * 1024
MEDIA_LIMITS = {"tweet_image": 5 * MB, "tweet_gif": 15 * MB, "tweet_video": 512 * MB}
"""The largest file X takes for a post, per category, in bytes."""

MediaType = Literal[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "video/mp4",
    "video/quicktime",
]
CATEGORY: dict[str, str] = {
    "image/jpeg": "tweet_image",
    "image/png": "tweet_image",
    "image/webp": "tweet_image",
    "image/gif": "tweet_gif",
    "video/mp4": "tweet_video",
    "video/quicktime": "tweet_video",
}
"""What X files each media type under: GIFs and videos are processed after the upload."""

MediaUrl = Annotated[str, url_unless_templated(("http", "https"))]


class XUploadMediaParameters(Parameters):
    """Parameters of `x.upload_media`."""

    url: MediaUrl | None = Field(
        default=None,
        description="Where to fetch the file: an http or https URL. The organization's "
        "private-network rule applies, as for http.request.",
        json_schema_extra={"examples": ["https://cdn.example.com/launch.jpg"]},
    )
    data: str | None = Field(
        default=None,
        description="The file itself, base64-encoded, from the run's data (a webhook's or a "
        "sub-workflow's payload). Give exactly one of url and data.",
        json_schema_extra={"examples": ["{{ trigger.image_base64 }}"]},
    )
    media_type: MediaType | None = Field(
        default=None,
        description="The file's type. Required with data; with a url, the server's "
        "Content-Type is used when not set. GIFs and videos are processed by X before they "
        "can be posted.",
    )
    max_wait: timedelta = Field(
        default=timedelta(minutes=10),
        ge=timedelta(seconds=1),
        le=timedelta(hours=1),
        description="How long to wait for X to process a video or GIF before failing.",
        json_schema_extra={"examples": ["PT10M"]},
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.url is None) == (self.data is None):
            raise field_errors(type(self), [(("url",), "give exactly one of url and data", None)])
        if self.data is not None and self.media_type is None:
            raise field_errors(
                type(self), [(("media_type",), "is required when the file is given as data", None)]
            )
        return self


UPLOAD_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "media_id": {
            "type": "string",
            "pattern": "^[0-9]{1,19}$",
            "description": "Id to put in x.post's media_ids (usable for 24 hours).",
        },
        "media_key": {"type": "string", "description": "X's media key (`3_...` a photo)."},
        "media_type": {"type": "string"},
        "size": {"type": "integer", "minimum": 0, "description": "Bytes uploaded."},
    },
    "required": ["media_id", "media_key", "media_type", "size"],
}
