"""X API v2 media upload, as x-api-v2.openapi.json documents it: one-shot
`POST /2/media/upload` (base64 in JSON) for images, and the chunked upload for any file
(`POST /2/media/upload/initialize`, `/{id}/append`, `/{id}/finalize`), with the processing of
videos and GIFs read through `GET /2/media/upload?command=STATUS&media_id=`. A media id is
attachable to posts once its processing `succeeded`, by its uploader, until it expires."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

from fastapi import APIRouter, Request, Response

from emulator.config import MEDIA_STATUS, MEDIA_UPLOAD, TWEET_GIF, TWEET_IMAGE, TWEET_VIDEO
from emulator.params import media_type as content_type_of
from emulator.x_access import XCall, admit
from emulator.x_problems import XProblem, invalid_request, not_found
from emulator.x_spec import schema_problems
from emulator.x_state import Upload

router = APIRouter()

_ID = re.compile(r"[0-9]{1,19}")
CHECK_AFTER_SECONDS = 1
"""What `processing_info.check_after_secs` asks of a poller."""

CATEGORY_OF_TYPE = {
    "image/jpeg": TWEET_IMAGE,
    "image/pjpeg": TWEET_IMAGE,
    "image/png": TWEET_IMAGE,
    "image/webp": TWEET_IMAGE,
    "image/bmp": TWEET_IMAGE,
    "image/tiff": TWEET_IMAGE,
    "image/gif": TWEET_GIF,
    "video/mp4": TWEET_VIDEO,
    "video/quicktime": TWEET_VIDEO,
    "video/webm": TWEET_VIDEO,
    "video/mp2t": TWEET_VIDEO,
}
"""The media types a post may carry, and the category X files each under by default."""

_SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "image/jpeg": ((0, b"\xff\xd8\xff"),),
    "image/pjpeg": ((0, b"\xff\xd8\xff"),),
    "image/png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "image/gif": ((0, b"GIF87a"), (0, b"GIF89a")),
    "image/webp": ((8, b"WEBP"),),
    "image/bmp": ((0, b"BM"),),
    "video/mp4": ((4, b"ftyp"),),
    "video/quicktime": ((4, b"ftyp"), (4, b"moov"), (4, b"wide")),
    "video/webm": ((0, b"\x1a\x45\xdf\xa3"),),
}
"""How each format's file starts: X checks what it receives, not what the caller says."""


def _looks_like(head: bytes, media_type: str) -> bool:
    signatures = _SIGNATURES.get(media_type)
    if signatures is None:
        return True
    return any(head[offset : offset + len(magic)] == magic for offset, magic in signatures)


def _sniffed_type(head: bytes) -> str | None:
    """The media type a one-shot upload's bytes show (JSON bodies carry no type)."""
    for media_type in ("image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"):
        if _looks_like(head, media_type):
            return media_type
    return None


def _invalid(message: str, parameter: str, value: str) -> XProblem:
    return XProblem(400, invalid_request(message, {parameter: [value]}))


async def _json_body(request: Request, schema: str) -> dict[str, Any]:
    if content_type_of(request.headers.get("content-type", "")) != "application/json":
        message = "Only JSON bodies (base64 media) are supported by the Flowhold emulator."
        raise _invalid(message, "content-type", request.headers.get("content-type", ""))
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise XProblem(400, invalid_request("The request body is not valid JSON.")) from None
    problems = schema_problems(f"#/components/schemas/{schema}", body)
    if problems:
        raise XProblem(
            400, {**invalid_request(problems[0]), "errors": [{"message": p} for p in problems]}
        )
    if not isinstance(body, dict):
        raise XProblem(400, invalid_request("The request body must be a JSON object."))
    return body


def _decoded(encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("media must be base64-encoded.", "media", encoded[:32]) from None


def _check_size(call: XCall, category: str, size: int) -> None:
    limit = call.state.x.config.x_media_limits.get(category)
    if limit is not None and size > limit:
        message = f"File size exceeds {limit} bytes, the limit for {category}."
        raise _invalid(message, "total_bytes", str(size))


def _upload_of(call: XCall, media_id: str) -> Upload:
    if not _ID.fullmatch(media_id):
        raise _invalid(f"The `media_id` value [{media_id}] is not valid", "media_id", media_id)
    upload = call.state.x.uploads.get(media_id)
    if upload is None or upload.owner_id != call.user.id:
        raise XProblem(404, not_found("media", "media_id", media_id))
    if upload.expires_at <= call.state.x.clock.now():
        raise _invalid("The upload session has expired.", "media_id", media_id)
    return upload


def _media_json(call: XCall, upload: Upload) -> dict[str, Any]:
    """What finalize, STATUS and a one-shot upload answer about the media."""
    remaining = upload.expires_at - call.state.x.clock.now()
    data: dict[str, Any] = {
        "id": upload.id,
        "media_key": upload.media_key,
        "size": upload.received,
        "expires_after_secs": max(0, math.floor(remaining.total_seconds())),
    }
    if upload.category == TWEET_IMAGE:
        data["image"] = {"image_type": upload.media_type}
    elif upload.state != "initialized":
        info: dict[str, Any] = {"state": upload.state}
        if upload.state in ("pending", "in_progress"):
            info["check_after_secs"] = CHECK_AFTER_SECONDS
            info["progress_percent"] = 0 if upload.state == "pending" else 50
        elif upload.state == "succeeded":
            info["progress_percent"] = 100
        data["processing_info"] = info
        if upload.category == TWEET_VIDEO and upload.state == "succeeded":
            data["video"] = {"video_type": upload.media_type}
    return data


def _check_content(upload: Upload) -> None:
    if not _looks_like(upload.head(), upload.media_type):
        raise _invalid(
            f"media type unrecognized: the file is not {upload.media_type}.",
            "media", upload.id,
        )  # fmt: skip


@router.post("/2/media/upload")
async def upload_media(request: Request) -> Response:
    """One-shot upload of a whole image, base64 in JSON. Videos need the chunked upload."""
    call = admit(request, MEDIA_UPLOAD)
    body = await _json_body(request, "MediaUploadRequest")
    category = str(body["media_category"])
    if category == TWEET_VIDEO:
        message = "tweet_video must be uploaded in chunks (initialize, append, finalize)."
        raise _invalid(message, "media_category", category)
    if category not in (TWEET_IMAGE, TWEET_GIF):
        message = f"media_category {category} is valid for X but not supported by the emulator."
        raise _invalid(message, "media_category", category)
    content = _decoded(str(body["media"]))
    _check_size(call, category, len(content))
    media_type = _sniffed_type(content[:16])
    if media_type is None:
        raise _invalid("media type unrecognized.", "media", str(body["media"])[:32])
    upload = call.state.x.start_upload(
        call.user.id, media_type=media_type, category=category, total_bytes=len(content)
    )
    upload.segments[0] = content
    call.state.x.finish_upload(upload)
    return call.answer({"data": _media_json(call, upload)})


@router.post("/2/media/upload/initialize")
async def initialize_upload(request: Request) -> Response:
    call = admit(request, MEDIA_UPLOAD)
    body = await _json_body(request, "InitializeMediaUploadRequest")
    media_type = body.get("media_type")
    if media_type is None:
        raise _invalid("media_type is required.", "media_type", "")
    default = CATEGORY_OF_TYPE.get(str(media_type))
    if default is None:
        message = f"media_type {media_type} cannot be attached to a post."
        raise _invalid(message, "media_type", str(media_type))
    category = str(body.get("media_category", default))
    if category not in (TWEET_IMAGE, TWEET_GIF, TWEET_VIDEO):
        message = f"media_category {category} is valid for X but not supported by the emulator."
        raise _invalid(message, "media_category", category)
    if "total_bytes" not in body:
        raise _invalid("total_bytes is required.", "total_bytes", "")
    total = int(body["total_bytes"])
    if total < 1:
        raise _invalid("total_bytes must be at least 1.", "total_bytes", str(total))
    _check_size(call, category, total)
    upload = call.state.x.start_upload(
        call.user.id, media_type=str(media_type), category=category, total_bytes=total
    )
    remaining = (upload.expires_at - call.state.x.clock.now()).total_seconds()
    data = {"id": upload.id, "media_key": upload.media_key, "expires_after_secs": int(remaining)}
    return call.answer({"data": data})


@router.post("/2/media/upload/{media_id}/append")
async def append_upload(media_id: str, request: Request) -> Response:
    call = admit(request, MEDIA_UPLOAD)
    upload = _upload_of(call, media_id)
    body = await _json_body(request, "AppendMediaUploadRequest")
    if upload.state != "initialized":
        raise _invalid("The upload is finalized already.", "media_id", media_id)
    chunk = _decoded(str(body["media"]))
    segment_limit = call.state.x.config.x_media_segment_bytes
    if len(chunk) > segment_limit:
        message = f"A segment may be at most {segment_limit} bytes."
        raise _invalid(message, "media", str(len(chunk)))
    index = int(body["segment_index"])
    others = sum(len(data) for i, data in upload.segments.items() if i != index)
    if others + len(chunk) > upload.total_bytes:
        message = f"The segments exceed total_bytes ({upload.total_bytes})."
        raise _invalid(message, "segment_index", str(index))
    # A segment sent again replaces itself, as a client retrying a lost answer would expect.
    upload.segments[index] = chunk
    expires_at = math.floor(upload.expires_at.timestamp())
    return call.answer({"data": {"expires_at": expires_at}})


@router.post("/2/media/upload/{media_id}/finalize")
async def finalize_upload(media_id: str, request: Request) -> Response:
    call = admit(request, MEDIA_UPLOAD)
    upload = _upload_of(call, media_id)
    if upload.state == "initialized":
        if sorted(upload.segments) != list(range(len(upload.segments))):
            message = "Segments are missing: segment indexes must run from 0 without gaps."
            raise _invalid(message, "media_id", media_id)
        if upload.received != upload.total_bytes:
            message = (
                f"File size mismatch: received {upload.received} bytes, "
                f"total_bytes said {upload.total_bytes}."
            )
            raise _invalid(message, "media_id", media_id)
        _check_content(upload)
        call.state.x.finish_upload(upload)
    # A finalize sent again answers as the first did: where processing stands.
    return call.answer({"data": _media_json(call, upload)})


@router.get("/2/media/upload")
async def upload_status(request: Request) -> Response:
    call = admit(request, MEDIA_STATUS)
    query = dict(request.query_params)
    unknown = sorted(set(query) - {"media_id", "command"})
    if unknown:
        message = f"The query parameter [{unknown[0]}] is not one of [command,media_id]"
        raise _invalid(message, unknown[0], query[unknown[0]])
    if query.get("command", "STATUS") != "STATUS":
        raise _invalid("command must be STATUS.", "command", query["command"])
    if "media_id" not in query:
        raise _invalid("media_id is required.", "media_id", "")
    upload = _upload_of(call, query["media_id"])
    if upload.state == "initialized":
        raise _invalid("The upload has not been finalized.", "media_id", upload.id)
    call.state.x.poll_upload(upload)
    return call.answer({"data": _media_json(call, upload)})
