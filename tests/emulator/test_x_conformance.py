"""The emulated X against the published X API v2 OpenAPI document (specs/x-api-v2.openapi.json):
the paths and methods it serves, the scopes and parameters it asks for, and the answers it
gives, success and error, validated with jsonschema against the spec's response schemas.

The spec has no schema for X's untyped problem bodies (`"type": "about:blank"`, sent for 401,
403 and 429, see emulator/specs/README.md): those are checked as RFC 7807 problems."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from emulator.app import CONTROL_PREFIX, create_app, is_x_path
from emulator.config import (
    CREATE_POST,
    GET_ME,
    GET_POST,
    MEDIA_STATUS,
    MEDIA_UPLOAD,
    SEARCH_RECENT,
    USER_MENTIONS,
    USER_POSTS,
)
from emulator.control import XAccount
from emulator.testing import EmulatorHandle
from emulator.x_access import REQUIRED_SCOPES
from emulator.x_api import QUERY_PARAMETERS
from emulator.x_spec import spec, validator

OUTSIDE_THE_SPEC = {
    ("GET", "/i/oauth2/authorize"): "the consent page lives on x.com, not on the API host",
    ("POST", "/2/oauth2/revoke"): "X documents revocation, the OpenAPI document does not",
}
ENDPOINT_PATHS = {
    CREATE_POST: ("POST", "/2/tweets"),
    "DELETE /2/tweets/:id": ("DELETE", "/2/tweets/{id}"),
    GET_POST: ("GET", "/2/tweets/{id}"),
    GET_ME: ("GET", "/2/users/me"),
    USER_POSTS: ("GET", "/2/users/{id}/tweets"),
    USER_MENTIONS: ("GET", "/2/users/{id}/mentions"),
    SEARCH_RECENT: ("GET", "/2/tweets/search/recent"),
    MEDIA_UPLOAD: ("POST", "/2/media/upload"),
    MEDIA_STATUS: ("GET", "/2/media/upload"),
}
LIVE_NAMES = {"edit_history_tweet_ids", "referenced_tweets", "retweet_count", "tweet_count"}
"""Names the live API and tweepy still use beside the spec's newer ones."""
ALL_POST_FIELDS = (
    "attachments,author_id,conversation_id,created_at,edit_controls,entities,"
    "in_reply_to_user_id,lang,non_public_metrics,organic_metrics,possibly_sensitive,"
    "public_metrics,referenced_tweets,reply_settings"
)
ALL_USER_FIELDS = (
    "created_at,description,most_recent_tweet_id,profile_image_url,protected,public_metrics,"
    "verified"
)


def routes_of(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every platform route the app serves (not the control API), as its
    OpenAPI document lists them."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if not path.startswith(CONTROL_PREFIX)
        for method in operations
    ]


def template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def spec_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), template(path))
        for path, item in spec()["paths"].items()
        for method in item
    }


def assert_conforms(method: str, spec_path: str, response: httpx.Response) -> None:
    """The answer is one the spec's operation documents, in content type and body."""
    responses = spec()["paths"][spec_path][method.lower()]["responses"]
    media = response.headers["content-type"].split(";")[0]
    body = response.json()
    status = str(response.status_code)
    if status not in responses and body.get("type") == "about:blank":
        assert media == "application/problem+json"
        assert set(body) == {"type", "title", "status", "detail"}
        assert body["status"] == response.status_code
        return
    content = responses[status if status in responses else "default"]["content"]
    assert media in content, f"{method} {spec_path} {status} is not documented as {media}"
    errors = [
        f"{error.json_path}: {error.message}"
        for error in validator(content[media]["schema"]["$ref"]).iter_errors(body)
    ]
    assert errors == [], f"{method} {spec_path} {status}: {errors}"


def test_every_x_path_and_method_served_is_in_the_spec() -> None:
    documented = spec_operations()
    token_url = urlsplit(
        spec()["components"]["securitySchemes"]["OAuth2UserToken"]["flows"]["authorizationCode"][
            "tokenUrl"
        ]
    ).path

    served = [(m, p) for m, p in routes_of(create_app()) if is_x_path(p)]

    assert len(served) == 15
    for method, path in served:
        if (method, path) in OUTSIDE_THE_SPEC or (method, path) == ("POST", token_url):
            continue
        assert (method, template(path)) in documented, f"{method} {path} is not in the spec"


def test_each_endpoint_asks_for_the_scopes_the_spec_lists() -> None:
    for endpoint, (method, path) in ENDPOINT_PATHS.items():
        security = spec()["paths"][path][method.lower()]["security"]
        [oauth2] = [entry["OAuth2UserToken"] for entry in security if "OAuth2UserToken" in entry]
        assert REQUIRED_SCOPES[endpoint] == set(oauth2), endpoint


def test_each_read_takes_the_query_parameters_the_spec_lists() -> None:
    parameters = spec()["components"]["parameters"]
    for endpoint, allowed in QUERY_PARAMETERS.items():
        method, path = ENDPOINT_PATHS[endpoint]
        documented = {
            (parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p)["name"]
            for p in spec()["paths"][path][method.lower()]["parameters"]
        }
        query = {name for name in documented if name != "id"}
        assert allowed == query | {"tweet.fields"}, endpoint


async def test_answers_to_creating_posts_conform(
    emulator: EmulatorHandle, x: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    media_id = emulator.add_x_media("ada")
    created = await x.post("/2/tweets", json={"text": "spec", "media": {"media_ids": [media_id]}})
    parent = created.json()["data"]["id"]
    answers = [
        created,
        await x.post(
            "/2/tweets", json={"text": "reply", "reply": {"in_reply_to_tweet_id": parent}}
        ),
        await x.post("/2/tweets", json={"text": "spec"}),
        await x.post("/2/tweets", json={"text": "x" * 300}),
        await x.post("/2/tweets", json={"text": "a", "quote_tweet_id": "bad"}),
        await x.post("/2/tweets", json={"text": ""}),
        await x.post(
            "/2/tweets", json={"text": "poll", "poll": {"options": ["a"], "duration_minutes": 5}}
        ),
        await http.post("/2/tweets", json={"text": "anonymous"}),
    ]
    emulator.fail_next("POST", "/2/tweets", status=503)
    answers.append(await x.post("/2/tweets", json={"text": "unlucky"}))

    assert [a.status_code for a in answers] == [201, 201, 403, 403, 400, 400, 400, 401, 503]
    for answer in answers:
        assert_conforms("POST", "/2/tweets", answer)


async def test_answers_to_deleting_posts_conform(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    mine = (await x.post("/2/tweets", json={"text": "mine"})).json()["data"]["id"]
    grace = emulator.add_x_user("grace")
    theirs = (
        await x.post(
            "/2/tweets",
            json={"text": "theirs"},
            headers={"Authorization": f"Bearer {grace.access_token}"},
        )
    ).json()["data"]["id"]
    answers = [
        await x.delete(f"/2/tweets/{mine}"),
        await x.delete(f"/2/tweets/{mine}"),
        await x.delete(f"/2/tweets/{theirs}"),
        await x.delete("/2/tweets/x1"),
    ]

    assert [a.status_code for a in answers] == [200, 404, 403, 400]
    for answer in answers:
        assert_conforms("DELETE", "/2/tweets/{id}", answer)


async def test_answers_to_reading_a_post_conform(ada: XAccount, x: httpx.AsyncClient) -> None:
    root = (await x.post("/2/tweets", json={"text": "root #tag @grace"})).json()["data"]["id"]
    reply = (
        await x.post("/2/tweets", json={"text": "reply", "reply": {"in_reply_to_tweet_id": root}})
    ).json()["data"]["id"]
    everything = {
        "tweet.fields": ALL_POST_FIELDS,
        "expansions": "author_id",
        "user.fields": ALL_USER_FIELDS,
    }
    answers = [
        await x.get(f"/2/tweets/{reply}", params=everything),
        await x.get(f"/2/tweets/{root}", params={"post.fields": "public_metrics,entities"}),
        await x.get("/2/tweets/1"),
        await x.get(f"/2/tweets/{root}", params={"tweet.fields": "colour"}),
        await x.get(f"/2/tweets/{root}", params={"colour": "red"}),
    ]

    assert [a.status_code for a in answers] == [200, 200, 200, 400, 400]
    for answer in answers:
        assert_conforms("GET", "/2/tweets/{id}", answer)


async def test_answers_to_reading_me_conform(x: httpx.AsyncClient) -> None:
    answer = await x.get("/2/users/me", params={"user.fields": ALL_USER_FIELDS})

    assert answer.status_code == 200
    assert_conforms("GET", "/2/users/me", answer)


async def test_answers_to_reading_a_timeline_conform(ada: XAccount, x: httpx.AsyncClient) -> None:
    for n in range(6):
        await x.post("/2/tweets", json={"text": f"post {n}"})
    path = f"/2/users/{ada.user_id}/tweets"
    answers = [
        await x.get(
            path,
            params={"max_results": 5, "tweet.fields": ALL_POST_FIELDS, "expansions": "author_id"},
        ),
        await x.get(path, params={"since_id": "9" * 19}),
        await x.get("/2/users/1/tweets"),
        await x.get(path, params={"max_results": 1}),
    ]

    assert [a.status_code for a in answers] == [200, 200, 200, 400]
    for answer in answers:
        assert_conforms("GET", "/2/users/{id}/tweets", answer)


async def test_every_post_and_user_field_rendered_is_named_by_the_spec(
    ada: XAccount, x: httpx.AsyncClient
) -> None:
    post_id = (await x.post("/2/tweets", json={"text": "fields #all"})).json()["data"]["id"]
    answer = await x.get(
        f"/2/tweets/{post_id}",
        params={
            "tweet.fields": ALL_POST_FIELDS,
            "expansions": "author_id",
            "user.fields": ALL_USER_FIELDS,
        },
    )
    schemas = spec()["components"]["schemas"]

    data, [user] = answer.json()["data"], answer.json()["includes"]["users"]

    assert set(data) - set(schemas["Post"]["properties"]) <= LIVE_NAMES
    assert (
        set(data["public_metrics"]) - set(schemas["PostPublicMetrics"]["properties"]) <= LIVE_NAMES
    )
    assert set(user) - set(schemas["User"]["properties"]) <= {"most_recent_tweet_id"}
    assert (
        set(user["public_metrics"]) - set(schemas["UserPublicMetrics"]["properties"]) <= LIVE_NAMES
    )


@pytest.mark.parametrize("path", ["/2/spaces", "/2/tweets/search/all"])
async def test_paths_the_emulator_does_not_serve_answer_a_404_problem(
    x: httpx.AsyncClient, path: str
) -> None:
    answer = await x.get(path)

    assert answer.status_code == 404
    assert answer.json()["type"] == "about:blank"


async def test_answers_to_reading_mentions_and_searching_conform(
    emulator: EmulatorHandle, ada: XAccount, x: httpx.AsyncClient
) -> None:
    grace = emulator.add_x_user("grace")
    as_grace = {"Authorization": f"Bearer {grace.access_token}"}
    for n in range(12):
        await x.post("/2/tweets", json={"text": f"hello @grace {n}"})
    mentions = f"/2/users/{grace.user_id}/mentions"
    answers = [
        ("/2/users/{id}/mentions", await x.get(mentions, params={"max_results": 5})),
        ("/2/users/{id}/mentions", await x.get(mentions, params={"tweet.fields": ALL_POST_FIELDS})),
        ("/2/users/{id}/mentions", await x.get("/2/users/1/mentions")),
        ("/2/users/{id}/mentions", await x.get(mentions, params={"since_id": "x"})),
        (
            "/2/tweets/search/recent",
            await x.get("/2/tweets/search/recent", params={"query": "hello"}),
        ),
        (
            "/2/tweets/search/recent",
            await x.get(
                "/2/tweets/search/recent",
                params={"query": "from:ada -7", "max_results": 10, "tweet.fields": ALL_POST_FIELDS},
                headers=as_grace,
            ),
        ),
        ("/2/tweets/search/recent", await x.get("/2/tweets/search/recent")),
        (
            "/2/tweets/search/recent",
            await x.get("/2/tweets/search/recent", params={"query": "a", "max_results": 5}),
        ),
    ]

    assert [a.status_code for _, a in answers] == [200, 200, 200, 400, 200, 200, 400, 400]
    for path, answer in answers:
        assert_conforms("GET", path, answer)


async def test_answers_to_uploading_media_conform(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 100).decode()
    video = b"\x00\x00\x00\x18ftypmp42" + b"0" * 200
    started = await x.post(
        "/2/media/upload/initialize",
        json={
            "media_type": "video/mp4",
            "total_bytes": len(video),
            "media_category": "tweet_video",
        },
    )
    media_id = started.json()["data"]["id"]
    chunk = base64.b64encode(video).decode()
    appended = await x.post(
        f"/2/media/upload/{media_id}/append", json={"media": chunk, "segment_index": 0}
    )
    finalized = await x.post(f"/2/media/upload/{media_id}/finalize")
    statuses = [
        await x.get("/2/media/upload", params={"command": "STATUS", "media_id": media_id})
        for _ in range(2)
    ]
    answers = [
        (
            "POST",
            "/2/media/upload",
            await x.post("/2/media/upload", json={"media": png, "media_category": "tweet_image"}),
        ),
        (
            "POST",
            "/2/media/upload",
            await x.post(
                "/2/media/upload",
                json={"media": "bm90IGFuIGltYWdl", "media_category": "tweet_image"},
            ),
        ),
        ("POST", "/2/media/upload/initialize", started),
        (
            "POST",
            "/2/media/upload/initialize",
            await x.post(
                "/2/media/upload/initialize",
                json={"media_type": "image/png", "total_bytes": 6 * 1024 * 1024},
            ),
        ),
        ("POST", "/2/media/upload/{id}/append", appended),
        ("POST", "/2/media/upload/{id}/finalize", finalized),
        ("GET", "/2/media/upload", statuses[0]),
        ("GET", "/2/media/upload", statuses[1]),
        ("GET", "/2/media/upload", await x.get("/2/media/upload", params={"media_id": "x"})),
    ]

    assert [a.status_code for _, _, a in answers] == [200, 400, 200, 400, 200, 200, 200, 200, 400]
    assert [s.json()["data"]["processing_info"]["state"] for s in statuses] == [
        "in_progress",
        "succeeded",
    ]
    for method, path, answer in answers:
        assert_conforms(method, path, answer)
