"""Instagram Graph API content publishing: create a container, read its status until it is
FINISHED, publish it; the quota, the account, its media, and the long-lived token refresh.

Paths carry any Graph version (`/v21.0/...`); refresh also answers unversioned, as
graph.instagram.com does."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from emulator.graph_access import GraphCall, graph_call
from emulator.instagram_comments import COMMENT_FIELDS, comment_fields, own_comment
from emulator.instagram_publish_options import publish_options
from emulator.instagram_state import (
    ERROR,
    EXPIRED,
    FINISHED,
    IN_PROGRESS,
    PUBLISHED,
    STATUS_TEXT,
    Container,
    Media,
    metric_value,
)
from emulator.meta_errors import (
    PUBLISH_NOT_READY,
    MetaError,
    error_body,
    invalid_parameter,
    unknown_object,
)
from emulator.params import number
from emulator.rate_limits import DAY

router = APIRouter()

GRAPH = "/{version:graph_version}"
MAX_CAPTION = 2200
MAX_HASHTAGS = 30
CAROUSEL_ITEMS = range(2, 11)
MEDIA_TYPES = ("CAROUSEL", "IMAGE", "REELS", "STORIES", "VIDEO")
USER_FIELDS = frozenset(
    {"id", "username", "name", "biography", "followers_count", "follows_count", "media_count"}
)
CONTAINER_FIELDS = frozenset({"id", "status_code", "status"})
MEDIA_FIELDS = frozenset(
    {
        "id",
        "caption",
        "media_type",
        "media_product_type",
        "permalink",
        "shortcode",
        "timestamp",
        "username",
        "like_count",
        "comments_count",
        "owner",
    }
)
_HASHTAG = re.compile(r"(?<!\w)#\w+")


def meta_time(media: Media) -> str:
    """Meta's time format: `2024-05-01T09:00:00+0000`."""
    return media.created_at.strftime("%Y-%m-%dT%H:%M:%S+0000")


@router.get("/refresh_access_token")
@router.get(GRAPH + "/refresh_access_token")
async def refresh_access_token(request: Request) -> Response:
    """A long-lived token, at least a day old and still valid, for a new 60-day one."""
    call = await graph_call(request)
    if call.required("grant_type") != "ig_refresh_token":
        raise invalid_parameter("grant_type must be ig_refresh_token")
    fresh = call.state.instagram.refresh(call.token)
    expires_in = round((fresh.expires_at - call.state.clock.now()).total_seconds())
    body = {"access_token": fresh.value, "token_type": "bearer", "expires_in": expires_in}
    return call.answer(body)


@router.get(GRAPH + "/{node_id}")
async def read_node(node_id: str, request: Request) -> Response:
    """An account, a container (whose status reads move its processing along) or a media."""
    call = await graph_call(request)
    instagram = call.state.instagram
    node_id = call.node(node_id)
    if node_id == call.user.id:
        return call.answer(_user_fields(call, call.fields(USER_FIELDS, "IGUser")))
    container = instagram.containers.get(node_id)
    if container is not None and container.owner_id == call.user.id:
        names = call.fields(CONTAINER_FIELDS, "IGContainer")
        status = instagram.status(container, poll="status_code" in names or "status" in names)
        values = {"id": container.id, "status_code": status, "status": STATUS_TEXT[status]}
        return call.answer({name: values[name] for name in names})
    media = instagram.media.get(node_id)
    if media is not None and media.owner_id == call.user.id:
        return call.answer(_media_fields(call, media, call.fields(MEDIA_FIELDS, "IGMedia")))
    comment = own_comment(call, node_id)
    return call.answer(comment_fields(comment, call.fields(COMMENT_FIELDS, "IGComment")))


def _user_fields(call: GraphCall, names: list[str]) -> dict[str, Any]:
    user = call.user
    values: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "biography": "",
        "followers_count": 0,
        "follows_count": 0,
        "media_count": len(call.state.instagram.media_of(user.id)),
    }
    return {name: values[name] for name in names}


def _media_fields(call: GraphCall, media: Media, names: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": media.id,
        "caption": media.caption,
        "media_type": media.media_type,
        "media_product_type": media.product_type,
        "permalink": media.permalink,
        "shortcode": media.permalink.rstrip("/").rsplit("/", 1)[-1],
        "timestamp": meta_time(media),
        "username": call.user.username,
        "like_count": metric_value(media.id, "likes", media.insights),
        "comments_count": metric_value(media.id, "comments", media.insights),
        "owner": {"id": media.owner_id},
    }
    return {name: values[name] for name in names if values[name] is not None}


def _own_account(call: GraphCall, ig_user_id: str, method: str = "get") -> None:
    if call.node(ig_user_id) != call.user.id:
        raise unknown_object(ig_user_id, method)


@router.post(GRAPH + "/{ig_user_id}/media")
async def create_container(ig_user_id: str, request: Request) -> Response:
    call = await graph_call(request)
    _own_account(call, ig_user_id, "post")
    container = _new_container(call)
    call.state.instagram.add_container(container)
    return call.answer({"id": container.id})


def _new_container(call: GraphCall) -> Container:
    params = call.params
    media_type = params.get("media_type", "IMAGE").upper()
    if media_type not in MEDIA_TYPES:
        raise invalid_parameter(f"Param media_type must be one of {{{', '.join(MEDIA_TYPES)}}}")
    carousel_item = params.get("is_carousel_item", "false").lower() == "true"
    image_url, video_url = _url(params, "image_url"), _url(params, "video_url")
    caption = params.get("caption")
    if caption is not None and len(caption) > MAX_CAPTION:
        raise invalid_parameter(f"The caption is longer than {MAX_CAPTION} characters", 2207010)
    if caption is not None and len(_HASHTAG.findall(caption)) > MAX_HASHTAGS:
        raise invalid_parameter(f"The caption has more than {MAX_HASHTAGS} hashtags", 2207010)
    needs = {
        "IMAGE": image_url is not None and video_url is None,
        "VIDEO": carousel_item and video_url is not None and image_url is None,
        "REELS": video_url is not None and image_url is None,
        "STORIES": (image_url is None) != (video_url is None),
        "CAROUSEL": image_url is None and video_url is None,
    }
    if not needs[media_type]:
        raise invalid_parameter(_what_is_needed(media_type))
    if carousel_item and media_type not in ("IMAGE", "VIDEO"):
        raise invalid_parameter("Only IMAGE and VIDEO can be carousel items")
    children = _children(call) if media_type == "CAROUSEL" else ()
    options = publish_options(params, media_type, carousel_item)
    return Container(
        id=call.state.instagram.new_id(),
        owner_id=call.user.id,
        media_type=media_type,
        created_at=call.state.clock.now(),
        caption=None if media_type == "STORIES" else caption,
        image_url=image_url,
        video_url=video_url,
        children=children,
        is_carousel_item=carousel_item,
        options=options,
    )


def _what_is_needed(media_type: str) -> str:
    return {
        "IMAGE": "An IMAGE needs image_url and no video_url",
        "VIDEO": "media_type VIDEO is only for carousel items (is_carousel_item=true) with "
        "video_url; publish a video as REELS",
        "REELS": "REELS need video_url and no image_url",
        "STORIES": "STORIES need exactly one of image_url and video_url",
        "CAROUSEL": "A CAROUSEL takes children, not image_url or video_url",
    }[media_type]


def _url(params: dict[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_parameter(f"The parameter {name} must be a public http(s) URL", 2207052)
    return value


def _children(call: GraphCall) -> tuple[str, ...]:
    children = tuple(
        child.strip() for child in call.params.get("children", "").split(",") if child.strip()
    )
    if len(children) not in CAROUSEL_ITEMS:
        raise invalid_parameter("A CAROUSEL needs 2 to 10 children", 2207028)
    instagram = call.state.instagram
    for child_id in children:
        child = instagram.containers.get(child_id)
        if child is None or child.owner_id != call.user.id or not child.is_carousel_item:
            raise invalid_parameter(
                f"The child {child_id} is not a carousel item container of this account", 2207028
            )
        child_status = instagram.status(child, poll=False)
        if child_status in (ERROR, EXPIRED):
            raise invalid_parameter(
                f"The child {child_id} cannot be used: it is {child_status}", 2207028
            )
    return children


@router.post(GRAPH + "/{ig_user_id}/media_publish")
async def publish(ig_user_id: str, request: Request) -> Response:
    call = await graph_call(request)
    _own_account(call, ig_user_id, "post")
    instagram = call.state.instagram
    creation_id = call.required("creation_id")
    container = instagram.containers.get(creation_id)
    if container is None or container.owner_id != call.user.id:
        raise invalid_parameter(
            f"Param creation_id {creation_id} is not a media container of this account"
        )
    if container.is_carousel_item:
        raise invalid_parameter("A carousel item is published through its carousel, not alone")
    limit = call.state.config.instagram_publishes_per_24_hours
    if instagram.publishes_in_last_day(call.user.id) >= limit:
        message = f"The account reached its publishing limit: {limit} posts in 24 hours."
        raise MetaError(
            400, error_body(9, message, subcode=2207042, user_title="Publishing limit reached")
        )
    status = instagram.status(container, poll=False)
    if status == IN_PROGRESS:
        raise MetaError(
            400,
            error_body(
                PUBLISH_NOT_READY,
                "Media ID is not available",
                subcode=2207027,
                user_title="Media not ready for publishing",
            ),
        )
    if status == EXPIRED:
        raise invalid_parameter(
            "The media you are trying to access has expired. Please try to upload again.", 2207020
        )
    if status == ERROR:
        raise invalid_parameter("Create media failed, please try to re-create media", 2207032)
    if status == PUBLISHED:
        raise invalid_parameter(f"The media container {container.id} has been published already")
    assert status == FINISHED
    media = instagram.publish(container)
    return call.answer({"id": media.id})


@router.get(GRAPH + "/{ig_user_id}/media")
async def list_media(ig_user_id: str, request: Request) -> Response:
    """The account's published media, newest first, `limit` at a time (`after` pages on)."""
    call = await graph_call(request)
    _own_account(call, ig_user_id)
    names = call.fields(MEDIA_FIELDS, "IGMedia")
    limit = number(call.params.get("limit", "25"))
    if limit is None or not 1 <= limit <= 100:
        raise invalid_parameter("Param limit must be a number from 1 to 100")
    media = call.state.instagram.media_of(call.user.id)
    if "after" in call.params:
        after = _cursor_id(call.params["after"])
        media = [item for item in media if int(item.id) < after]
    page = media[:limit]
    body: dict[str, Any] = {"data": [_media_fields(call, item, names) for item in page]}
    if page:
        cursors = {"before": _cursor(page[0].id), "after": _cursor(page[-1].id)}
        body["paging"] = {"cursors": cursors}
    return call.answer(body)


def _cursor(media_id: str) -> str:
    return base64.urlsafe_b64encode(media_id.encode()).decode()


def _cursor_id(cursor: str) -> int:
    try:
        value = base64.urlsafe_b64decode(cursor.encode()).decode()
    except ValueError:
        value = ""
    media_id = number(value)
    if media_id is None:
        raise invalid_parameter("Param after is not a valid cursor")
    return media_id


@router.get(GRAPH + "/{ig_user_id}/content_publishing_limit")
async def publishing_limit(ig_user_id: str, request: Request) -> Response:
    call = await graph_call(request)
    _own_account(call, ig_user_id)
    names = call.fields(
        frozenset({"quota_usage", "config"}), "ContentPublishingLimit", "quota_usage"
    )
    values: dict[str, Any] = {
        "quota_usage": call.state.instagram.publishes_in_last_day(call.user.id),
        "config": {
            "quota_total": call.state.config.instagram_publishes_per_24_hours,
            "quota_duration": int(DAY.total_seconds()),
        },
    }
    return call.answer({"data": [{name: values[name] for name in names}]})
