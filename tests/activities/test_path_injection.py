"""No parameter can make a platform action call another API path (issue 12, point 1).

A rendered value is checked against its field with no exemption for text that looks like a
template, and every id that goes into a request path (from parameters, from a platform's
answer, or an account's stored user id) is percent-encoded as one segment. Every action
type is searched: each string it takes is replaced by traversal input, and the action either
refuses it as invalid parameters, or takes it as free text that no request path carries.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from temporalio.exceptions import ApplicationError

from activities.ai.actions import AiActivities
from activities.base import parse_parameters
from activities.instagram.actions import InstagramActivities
from activities.paths import path_segment
from activities.services import ActionServices
from activities.x.actions import XActivities
from app.catalog import CATALOG
from app.language.node_type import Parameters
from app.vault.credentials import AI_BASE_URL_FIELD
from emulator.config import EmulatorConfig
from emulator.record import Exchange
from emulator.testing import EmulatorHandle
from tests.activities.support import (
    Attempts,
    action,
    connect_emulated,
    new_account,
    new_organization,
)

IMAGE = "https://cdn.example.com/photo.jpg"
VIDEO = "https://cdn.example.com/clip.mp4"
MEDIA_ID = "17895695668004550"
COMMENT_ID = "17858893269000001"
AI_KEY = "sk-test-path-injection-0000"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x01" * 64).decode()
MP4 = base64.b64encode(b"\x00\x00\x00\x18ftypmp42" + b"\x02" * 64).decode()

VALID: dict[str, list[dict[str, Any]]] = {
    "x.post": [
        {"text": "hello", "reply_to": "1", "quote_post_id": "2"},
        {"text": "with media", "media_ids": ["3"]},
    ],
    "x.thread": [{"posts": [{"text": "one", "media_ids": ["3"]}, {"text": "two"}]}],
    "x.delete": [{"post_id": "1"}],
    "x.get_post": [{"post_id": "1", "fields": ["public_metrics"]}],
    "x.me": [{}],
    "x.upload_media": [
        {"data": PNG, "media_type": "image/png"},
        {"data": MP4, "media_type": "video/mp4"},
    ],
    "x.mentions": [{"user_id": "1", "since_id": "2", "pagination_token": "abc"}],
    "x.user_posts": [{"since_id": "2", "exclude": ["replies"], "fields": ["created_at"]}],
    "x.search_recent": [{"query": "hello", "pagination_token": "abc"}],
    "instagram.publish": [
        {"kind": "image", "image_url": IMAGE, "caption": "a caption"},
        {"kind": "reel", "video_url": VIDEO, "cover_url": IMAGE, "caption": "a reel"},
        {"kind": "carousel", "items": [{"image_url": IMAGE}, {"video_url": VIDEO}]},
        {
            "kind": "image",
            "image_url": IMAGE,
            "first_comment": "#mug",
            "alt_text": "a mug",
            "user_tags": [{"username": "bo.brews", "x": 0.3, "y": 0.6}],
            "product_tags": [{"product_id": "3", "x": 0.5, "y": 0.5}],
            "location_id": "4",
            "collaborators": ["cafe.ada"],
        },
    ],
    "instagram.list_comments": [{"media_id": MEDIA_ID}],
    "instagram.reply_comment": [{"comment_id": COMMENT_ID, "message": "thanks!"}],
    "instagram.hide_comment": [{"comment_id": COMMENT_ID}],
    "instagram.delete_comment": [{"comment_id": COMMENT_ID}],
    "instagram.private_reply": [{"comment_id": COMMENT_ID, "message": "here is the link"}],
    "instagram.send_message": [{"recipient_id": "555002", "message": "yes, 3 left"}],
    "instagram.insights": [
        {"target": "media", "media_id": MEDIA_ID, "metrics": ["reach"]},
        {"target": "account", "metrics": ["reach"], "period": "day"},
    ],
    "ai.generate": [
        {"model": "gpt-4o-mini", "system": "Be brief.", "prompt": "hello", "schema_name": "answer"},
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    ],
}
"""Valid parameters of every platform action, with every string field each takes set.
`http.request` is not here: its URL is the user's own, and its credential is bound to hosts."""

FREE_TEXT = {
    ("x.post", "text"),
    ("x.thread", "posts", "*", "text"),
    # Base64 file content and search text go in request bodies and query values.
    ("x.upload_media", "data"),
    ("x.search_recent", "query"),
    # X's page tokens go back to X as query values.
    ("x.mentions", "pagination_token"),
    ("x.search_recent", "pagination_token"),
    ("instagram.publish", "caption"),
    ("instagram.publish", "image_url"),
    ("instagram.publish", "video_url"),
    ("instagram.publish", "cover_url"),
    ("instagram.publish", "items", "*", "image_url"),
    ("instagram.publish", "items", "*", "video_url"),
    ("instagram.publish", "first_comment"),
    ("instagram.publish", "alt_text"),
    # Usernames go to Instagram inside JSON body values (`user_tags`, `collaborators`), never a
    # path; their pattern refuses '.' first or last and '..', yet takes names such as `me`.
    ("instagram.publish", "user_tags", "*", "username"),
    ("instagram.publish", "collaborators", "*"),
    ("instagram.reply_comment", "message"),
    ("instagram.private_reply", "message"),
    ("instagram.send_message", "message"),
    # The provider's URL is the account's; everything a node says goes in the request's body.
    ("ai.generate", "model"),
    ("ai.generate", "system"),
    ("ai.generate", "prompt"),
    ("ai.generate", "schema_name"),
    ("ai.generate", "messages", "*", "content"),
}
"""Fields that take any text (within their limits): sent in request bodies, never in a path."""

ROUTES: dict[str, set[str]] = {
    "x.post": {"POST /2/tweets", "GET /2/users/{}/tweets", "GET /2/users/me"},
    "x.thread": {"POST /2/tweets", "GET /2/users/{}/tweets", "GET /2/users/me"},
    "x.delete": {"DELETE /2/tweets/{}"},
    "x.get_post": {"GET /2/tweets/{}"},
    "x.me": {"GET /2/users/me"},
    "x.upload_media": {
        "POST /2/media/upload", "POST /2/media/upload/initialize",
        "POST /2/media/upload/{}/append", "POST /2/media/upload/{}/finalize",
        "GET /2/media/upload",
    },
    "x.mentions": {"GET /2/users/{}/mentions", "GET /2/users/me"},
    "x.user_posts": {"GET /2/users/{}/tweets", "GET /2/users/me"},
    "x.search_recent": {"GET /2/tweets/search/recent"},
    "instagram.publish": {
        "POST /v21.0/{}/media", "GET /v21.0/{}", "POST /v21.0/{}/media_publish",
        "GET /v21.0/{}/media", "GET /v21.0/me", "GET /v21.0/{}/comments",
        "POST /v21.0/{}/comments",
    },
    "instagram.list_comments": {"GET /v21.0/{}/comments"},
    "instagram.reply_comment": {
        "POST /v21.0/{}/replies", "GET /v21.0/{}/replies", "GET /v21.0/me",
    },
    "instagram.hide_comment": {"POST /v21.0/{}"},
    "instagram.delete_comment": {"DELETE /v21.0/{}"},
    "instagram.private_reply": {
        "POST /v21.0/{}/messages", "GET /v21.0/{}", "GET /v21.0/{}/conversations",
        "GET /v21.0/me",
    },
    "instagram.send_message": {
        "POST /v21.0/{}/messages", "GET /v21.0/{}/conversations", "GET /v21.0/me",
    },
    "instagram.insights": {"GET /v21.0/{}/insights", "GET /v21.0/me"},
    "ai.generate": {"POST /v1/chat/completions"},
}  # fmt: skip
"""The routes each action may call; `{}` is one id, whatever it holds once decoded."""
QUERY_NAMES = {
    "tweet.fields", "user.fields", "start_time", "max_results", "pagination_token",
    "fields", "metric", "period", "metric_type", "limit", "since_id", "exclude", "query",
    "next_token", "command", "media_id", "user_id",
}  # fmt: skip
"""Every query parameter the actions send: an injected `?expansions=...` is not one."""

TRAVERSALS = [
    "../", "..", "/", "%2F", "%2f", "%2e%2e%2f", "..%2F", "%252F", "?", "#", "%3F", "%23",
    "\\", "%5C", ";", "&", "=", " ", "\t", "%00", "\uff0f", "{{", "}}", "{{ trigger.id }}",
]  # fmt: skip
PROBES = [
    "1/../../2/users/me", "1/../../2/users/me?{{", "../../me", "../../me/insights",
    "1?expansions=author_id", "1#", "..", ".", "me", "%2e%2e%2f%2e%2e%2fme", "{{ '../' }}",
]  # fmt: skip
"""What the probe sent, and what a template renders to when run input or a webhook body
holds traversal text (the rendered value may itself hold `{{`)."""


def hostile_values() -> list[str]:
    return PROBES + [f"1{traversal}2/users/me" for traversal in TRAVERSALS]


hostile = st.one_of(
    st.sampled_from(PROBES),
    st.builds(
        lambda before, middle, after: before + middle + after,
        st.sampled_from(["", "1", MEDIA_ID, IMAGE]),
        st.lists(st.sampled_from(TRAVERSALS), min_size=1, max_size=4).map("".join),
        st.sampled_from(["", "1", "2/users/me", "me", "insights"]),
    ),
)


def string_fields(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_fields(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_fields(item, (*path, index))


def replaced(parameters: dict[str, Any], path: tuple[str | int, ...], new: str) -> dict[str, Any]:
    changed = copy.deepcopy(parameters)
    holder: Any = changed
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = new
    return changed


def field_name(node_type: str, path: tuple[str | int, ...]) -> tuple[str, ...]:
    return (node_type, *("*" if isinstance(part, int) else part for part in path))


CASES = [
    (node_type, index, path)
    for node_type, variants in VALID.items()
    for index, parameters in enumerate(variants)
    for path in string_fields(parameters)
]


def model_of(node_type: str) -> type[Parameters]:
    found = CATALOG.get(node_type)
    assert found is not None
    return found.parameters


def test_every_platform_action_is_searched() -> None:
    actions = {node_type.type for node_type in CATALOG.all_types() if node_type.kind == "action"}
    assert set(VALID) == actions - {"http.request"}
    for node_type, variants in VALID.items():
        for parameters in variants:
            parse_parameters(model_of(node_type), request(node_type, parameters))


def request(
    node_type: str, parameters: dict[str, Any], account: str | None = None,
    organization: str = "org_1",
) -> Any:  # fmt: skip
    return action(node_type, parameters, organization_id=organization, account_id=account)


@pytest.mark.parametrize(("node_type", "variant", "path"), CASES)
@given(value=hostile)
def test_a_rendered_value_is_held_to_its_field_whatever_it_holds(
    node_type: str, variant: int, path: tuple[str | int, ...], value: str
) -> None:
    """Only free-text fields take traversal text; ids refuse it, `{{` in it or not."""
    parameters = replaced(VALID[node_type][variant], path, value)
    refusal = refused(node_type, parameters)
    if refusal is None:
        assert field_name(node_type, path) in FREE_TEXT, f"{path} took {value!r}"
    else:
        assert (refusal.type, refusal.non_retryable) == ("InvalidParameters", True)


def refused(node_type: str, parameters: dict[str, Any]) -> ApplicationError | None:
    try:
        parse_parameters(model_of(node_type), request(node_type, parameters))
    except ApplicationError as error:
        return error
    return None


# Every request the actions make, with traversal input in each field


def on_routes(exchange: Exchange, routes: set[str]) -> bool:
    path, _, query = exchange.target.partition("?")
    segments = path.split("/")
    names = {name for name, _ in parse_qsl(query, keep_blank_values=True)}
    for route in routes:
        method, template = route.split(" ")
        expected = template.split("/")
        if (
            method == exchange.method
            and len(expected) == len(segments)
            and all(
                part == segment if part != "{}" else unquote(segment) not in ("", ".", "..")
                for part, segment in zip(expected, segments, strict=True)
            )
        ):
            return names <= QUERY_NAMES
    return False


class Platforms:
    def __init__(
        self, emulator: EmulatorHandle, services: ActionServices, organization: str,
        x: str, ig: str, ai: str,
    ) -> None:  # fmt: skip
        self.emulator = emulator
        self.organization = organization
        self.accounts = {"x": x, "instagram": ig, "ai": ai}
        self.activities: dict[str, Any] = {
            "x": XActivities(services), "instagram": InstagramActivities(services),
            "ai": AiActivities(services),
        }  # fmt: skip

    async def run(self, node_type: str, parameters: dict[str, Any]) -> ApplicationError | None:
        platform, name = node_type.split(".")
        method = getattr(self.activities[platform], name)
        try:
            await Attempts().run(
                method, request(node_type, parameters, self.accounts[platform], self.organization)
            )
        except ApplicationError as error:
            return error
        return None


@pytest.fixture
async def platforms(emulator: EmulatorHandle, services: ActionServices) -> Platforms:
    # Private networks allowed: the emulated AI provider is on loopback, as a local server is.
    organization = await new_organization(services.database, private_networks=True)
    emulator.reset(EmulatorConfig(instagram_polls_in_progress=0))
    x = emulator.add_x_user("ada", name="Ada Lovelace")
    instagram = emulator.add_instagram_user("ada.makes")
    x_account, instagram_account = await connect_emulated(services, organization, x, instagram)
    emulator.add_ai_key(AI_KEY)
    ai_account = await new_account(
        services, organization_id=organization, platform="ai", kind="openai",
        secret={"api_key": AI_KEY, AI_BASE_URL_FIELD: f"{emulator.url}/v1"},
    )  # fmt: skip
    return Platforms(emulator, services, organization, x_account, instagram_account, ai_account)


@pytest.mark.parametrize("node_type", sorted(VALID))
async def test_no_field_of_an_action_leads_its_requests_off_its_routes(
    platforms: Platforms, node_type: str
) -> None:
    for variant, parameters in enumerate(VALID[node_type]):
        before = len(platforms.emulator.requests())
        await platforms.run(node_type, parameters)
        made = platforms.emulator.requests()[before:]
        assert made, "the valid parameters reached no platform: the search would prove nothing"
        assert all(on_routes(exchange, ROUTES[node_type]) for exchange in made)
        for path in string_fields(parameters):
            for value in hostile_values():
                before = len(platforms.emulator.requests())
                failure = await platforms.run(node_type, replaced(parameters, path, value))
                made = platforms.emulator.requests()[before:]
                where = f"{node_type} #{variant} {path} = {value!r}"
                if failure is not None and failure.type == "InvalidParameters":
                    assert not made, where
                    continue
                assert field_name(node_type, path) in FREE_TEXT, where
                for exchange in made:
                    assert on_routes(exchange, ROUTES[node_type]), f"{where}: {exchange.target}"


# Ids that come from elsewhere than parameters


async def test_an_x_user_id_goes_into_the_timeline_path_as_one_segment(
    emulator: EmulatorHandle, services: ActionServices, organization: str
) -> None:
    user = emulator.add_x_user("ada")
    account = await new_account(
        services, organization_id=organization, platform="x", kind="oauth2",
        secret={"access_token": user.access_token, "refresh_token": str(user.refresh_token)},
        external_id="1/../../2/users/me", expires_at=user.expires_at,
    )  # fmt: skip
    retry = Attempts()
    retry.attempt = 1  # a retry reads the timeline before posting again
    post = action("x.post", {"text": "hi"}, organization_id=organization, account_id=account)
    with pytest.raises(ApplicationError):
        await retry.run(XActivities(services).post, post)
    [read] = emulator.requests("GET")
    assert read.target.startswith("/2/users/1%2F..%2F..%2F2%2Fusers%2Fme/tweets?")


@pytest.mark.parametrize(
    ("stored", "target"), [("../../me", "/v21.0/..%2F..%2Fme/insights"), ("..", None)]
)
async def test_an_instagram_user_id_goes_into_the_path_as_one_segment_or_not_at_all(
    emulator: EmulatorHandle, services: ActionServices, organization: str,
    stored: str, target: str | None,
) -> None:  # fmt: skip
    user = emulator.add_instagram_user("ada.makes")
    account = await new_account(
        services, organization_id=organization, platform="instagram", kind="token",
        secret={"access_token": user.access_token}, external_id=stored,
        expires_at=user.expires_at,
    )  # fmt: skip
    insights = action(
        "instagram.insights", {"target": "account", "metrics": ["reach"]},
        organization_id=organization, account_id=account,
    )  # fmt: skip
    with pytest.raises(ApplicationError) as caught:
        await Attempts().run(InstagramActivities(services).insights, insights)
    targets = [exchange.target.partition("?")[0] for exchange in emulator.requests()]
    if target is None:
        assert (caught.value.type, caught.value.non_retryable) == ("InvalidPathSegment", True)
        assert targets == []
    else:
        assert targets == [target]


async def test_a_container_id_instagram_answers_goes_into_the_path_as_one_segment(
    emulator: EmulatorHandle, services: ActionServices, organization: str
) -> None:
    user = emulator.add_instagram_user("ada.makes")
    x = emulator.add_x_user("ada")
    _, account = await connect_emulated(services, organization, x, user)
    emulator.fail_next("POST", "/v21.0/*/media", status=200, body={"id": "1/../../me"})
    publish = action(
        "instagram.publish", {"kind": "image", "image_url": IMAGE},
        organization_id=organization, account_id=account,
    )  # fmt: skip
    with pytest.raises(ApplicationError):
        await Attempts().run(InstagramActivities(services).publish, publish)
    assert emulator.requests("GET")[0].target.startswith("/v21.0/1%2F..%2F..%2Fme?")


@given(value=st.text().filter(lambda text: text not in ("", ".", "..")))
def test_a_path_segment_is_one_segment_that_decodes_to_the_value(value: str) -> None:
    segment = path_segment(value, "id")
    assert unquote(segment) == value
    assert not set(segment) & set("/?#\\;&= ")


@pytest.mark.parametrize("value", ["", ".", ".."])
def test_a_dot_segment_or_nothing_is_refused_as_an_id(value: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        path_segment(value, "post_id")
    assert (caught.value.type, caught.value.non_retryable) == ("InvalidPathSegment", True)
    assert "post_id" in caught.value.message
