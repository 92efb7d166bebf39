"""What a media container takes besides its media and caption: alt text, people and product
tags, a location and collaborators, checked as Meta checks them (which media types take
which, how many, tags placed with x and y on images and not on reels)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from emulator.meta_errors import invalid_parameter

MAX_ALT_TEXT = 1000
MAX_USER_TAGS = 20
MAX_PRODUCT_TAGS = 5
MAX_COLLABORATORS = 3
_USERNAME = re.compile(r"[A-Za-z0-9._]{1,30}")
_ID = re.compile(r"[0-9]{1,32}")
PLACED = ("IMAGE",)
"""Media types whose tags sit at a point (x, y); reels tag without one."""
TAGGABLE = ("IMAGE", "REELS")


@dataclass
class PublishOptions:
    alt_text: str | None = None
    user_tags: list[dict[str, Any]] = field(default_factory=list)
    product_tags: list[dict[str, Any]] = field(default_factory=list)
    location_id: str | None = None
    collaborators: list[str] = field(default_factory=list)


def publish_options(params: dict[str, str], media_type: str, carousel_item: bool) -> PublishOptions:
    options = PublishOptions()
    alt_text = params.get("alt_text")
    if alt_text is not None:
        if media_type != "IMAGE":
            raise invalid_parameter("Param alt_text is only supported for images")
        if len(alt_text) > MAX_ALT_TEXT:
            raise invalid_parameter(f"Param alt_text must be at most {MAX_ALT_TEXT} characters")
        options.alt_text = alt_text
    options.user_tags = _tags(params, "user_tags", "username", MAX_USER_TAGS, media_type)
    options.product_tags = _tags(params, "product_tags", "product_id", MAX_PRODUCT_TAGS, media_type)
    location = params.get("location_id")
    if location is not None:
        if media_type == "STORIES" or carousel_item or not _ID.fullmatch(location):
            raise invalid_parameter("Param location_id must be a location page id of a post")
        options.location_id = location
    if "collaborators" in params:
        collaborators = _json_list(params, "collaborators")
        if media_type == "STORIES" or carousel_item:
            raise invalid_parameter(
                "Param collaborators cannot be used on stories or carousel items"
            )
        if len(collaborators) > MAX_COLLABORATORS:
            raise invalid_parameter(
                f"Param collaborators takes at most {MAX_COLLABORATORS} accounts"
            )
        if not all(isinstance(name, str) and _USERNAME.fullmatch(name) for name in collaborators):
            raise invalid_parameter("Param collaborators must be a list of usernames")
        options.collaborators = collaborators
    return options


def _json_list(params: dict[str, str], name: str) -> list[Any]:
    try:
        value = json.loads(params[name])
    except ValueError:
        value = None
    if not isinstance(value, list):
        raise invalid_parameter(f"Param {name} must be a JSON array")
    return value


def _tags(
    params: dict[str, str], name: str, key: str, limit: int, media_type: str
) -> list[dict[str, Any]]:
    if name not in params:
        return []
    tags = _json_list(params, name)
    if media_type not in TAGGABLE:
        raise invalid_parameter(f"Param {name} is only supported for images and reels")
    if len(tags) > limit:
        raise invalid_parameter(f"Param {name} takes at most {limit} tags")
    for index, tag in enumerate(tags):
        if not isinstance(tag, dict) or not isinstance(tag.get(key), str):
            raise invalid_parameter(f"Param {name}[{index}] must be an object with {key}")
        placed = [tag.get("x"), tag.get("y")]
        if media_type in PLACED:
            if not all(
                isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1
                for v in placed
            ):
                raise invalid_parameter(
                    f"Param {name}[{index}] needs x and y, each a number from 0 to 1"
                )
        elif placed != [None, None]:
            raise invalid_parameter(f"Param {name}[{index}]: reels take tags without x and y")
    return tags
