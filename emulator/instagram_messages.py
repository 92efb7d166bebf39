"""Instagram messaging through the Graph API: a direct message to a person within 24 hours of
their last message, a private reply to a comment (one per comment, within 7 days of it), and
reading a conversation's messages.

`POST /{ig-user-id}/messages` takes `recipient` (`{"id": <IGSID>}` or
`{"comment_id": <id>}`) and `message` (`{"text": ...}`), as JSON values; outside the window
Meta answers code 10 with subcode 2018278 (a message) or 2534022 (a private reply)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from emulator.graph_access import GraphCall, graph_call
from emulator.instagram_comments import own_comment
from emulator.instagram_state import Thread, add_message, thread_with
from emulator.meta_errors import MetaError, error_body, invalid_parameter, unknown_object

router = APIRouter()

GRAPH = "/{version:graph_version}"
MAX_TEXT = 1000
MESSAGING_WINDOW = timedelta(hours=24)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
PERMISSION = 10
OUTSIDE_MESSAGING_WINDOW = 2018278
OUTSIDE_PRIVATE_REPLY_WINDOW = 2534022
PRIVATE_REPLY_SENT = 2534023
NO_MATCHING_USER = 2018001
MESSAGES_FIELD = "messages{id,message,from,created_time}"


def _json_param(call: GraphCall, name: str) -> dict[str, Any]:
    try:
        value = json.loads(call.required(name))
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise invalid_parameter(f"Param {name} must be a JSON object")
    return value


def _outside(message: str, subcode: int) -> MetaError:
    return MetaError(400, error_body(PERMISSION, f"(#10) {message}", subcode=subcode))


@router.post(GRAPH + "/{ig_user_id}/messages")
async def send(ig_user_id: str, request: Request) -> Response:
    call = await graph_call(request)
    if call.node(ig_user_id) != call.user.id:
        raise unknown_object(ig_user_id, "post")
    recipient = _json_param(call, "recipient")
    text = _json_param(call, "message").get("text")
    if not isinstance(text, str) or not text:
        raise invalid_parameter("Param message[text] must be a non-empty string")
    if len(text) > MAX_TEXT:
        raise invalid_parameter(f"Param message[text] must be at most {MAX_TEXT} characters")
    instagram = call.state.instagram
    now = call.state.clock.now()
    if "comment_id" in recipient:
        comment = own_comment(call, str(recipient["comment_id"]), "post")
        if comment.author_id == call.user.id:
            raise invalid_parameter("A private reply answers someone else's comment")
        if comment.id in instagram.private_replies:
            raise _outside(
                "A private reply has already been sent to this comment.", PRIVATE_REPLY_SENT
            )
        if now - comment.created_at > PRIVATE_REPLY_WINDOW:
            raise _outside(
                "This message is sent outside of allowed window.", OUTSIDE_PRIVATE_REPLY_WINDOW
            )
        thread = thread_with(instagram, call.user.id, comment.author_id, comment.username)
        message = add_message(instagram, thread, call.user.id, text)
        instagram.private_replies[comment.id] = message.id
        return call.answer({"recipient_id": thread.user_id, "message_id": message.id})
    found = instagram.threads.get((call.user.id, str(recipient.get("id", ""))))
    if found is None:
        raise MetaError(
            400, error_body(100, "(#100) No matching user found", subcode=NO_MATCHING_USER)
        )
    last = found.last_user_message_at
    if last is None or now - last > MESSAGING_WINDOW:
        raise _outside("This message is sent outside of allowed window.", OUTSIDE_MESSAGING_WINDOW)
    message = add_message(instagram, found, call.user.id, text)
    return call.answer({"recipient_id": found.user_id, "message_id": message.id})


def _messages(call: GraphCall, thread: Thread) -> dict[str, Any]:
    by_id = {thread.owner_id: call.user.username, thread.user_id: thread.username}
    newest_first = reversed(thread.messages)
    return {
        "data": [
            {
                "id": message.id,
                "message": message.text,
                "from": {"id": message.from_id, "username": by_id[message.from_id]},
                "created_time": message.created_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            }
            for message in newest_first
        ]
    }


@router.get(GRAPH + "/{ig_user_id}/conversations")
async def conversations(ig_user_id: str, request: Request) -> Response:
    """The account's conversations (with one person when `user_id` is given); with
    `fields=messages{id,message,from,created_time}`, their messages, newest first."""
    call = await graph_call(request)
    if call.node(ig_user_id) != call.user.id:
        raise unknown_object(ig_user_id)
    fields = call.params.get("fields", "id")
    if fields not in ("id", f"id,{MESSAGES_FIELD}", MESSAGES_FIELD):
        raise invalid_parameter(f"Only the fields id and {MESSAGES_FIELD} are emulated")
    wanted = call.params.get("user_id")
    threads = [
        thread
        for (owner, user), thread in call.state.instagram.threads.items()
        if owner == call.user.id and wanted in (None, user)
    ]
    data = [
        {"id": thread.id} | ({"messages": _messages(call, thread)} if "messages" in fields else {})
        for thread in threads
    ]
    return call.answer({"data": data})
