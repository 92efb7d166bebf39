"""No input reaches a 5xx: odd and hostile values in every path segment, query parameter, form
field and body member the emulator reads get a 4xx in the platform's error shape."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from emulator.config import GET_ME, GET_POST, USER_POSTS
from emulator.control import InstagramAccount, XAccount
from emulator.x_api import QUERY_PARAMETERS

HOSTILE = [
    "",
    " ",
    "²",
    "٣",
    "-1",
    "1e9",
    "9" * 40,
    "99999999999999999",
    "\x00",
    "a" * 5000,
    "%",
    "😀",
    "null",
    "[]",
    "1,,2",
    "../../etc/passwd",
    "v21.0",
]
BODIES: list[object] = [
    [],
    "text",
    None,
    {"text": ["a"]},
    {"reply": "1"},
    {"reply": {}},
    {"media": {"media_ids": []}},
    {"media": {"media_ids": ["1"] * 5}},
    {"quote_tweet_id": 1},
    {"text": "a", "reply_settings": "everyone"},
]


def failures(answers: list[tuple[str, httpx.Response]]) -> list[str]:
    """Answers that are 5xx or not JSON, described."""
    bad = []
    for what, response in answers:
        try:
            response.json()
        except ValueError:
            bad.append(f"{what}: not JSON")
        if response.status_code >= 500:
            bad.append(f"{what}: {response.status_code} {response.text[:200]}")
    return bad


async def test_hostile_x_reads_get_4xx(ada: XAccount, x: httpx.AsyncClient) -> None:
    post_id = (await x.post("/2/tweets", json={"text": "target"})).json()["data"]["id"]
    targets = {
        GET_POST: f"/2/tweets/{post_id}",
        GET_ME: "/2/users/me",
        USER_POSTS: f"/2/users/{ada.user_id}/tweets",
    }
    answers = []
    for value in HOSTILE:
        for endpoint, path in targets.items():
            for name in QUERY_PARAMETERS[endpoint]:
                answers.append(
                    (f"{path}?{name}={value[:20]!r}", await x.get(path, params={name: value}))
                )
        for path in (
            f"/2/tweets/{quote(value, safe='')}",
            f"/2/users/{quote(value, safe='')}/tweets",
        ):
            answers.append((f"GET {path[:40]}", await x.get(path)))
        answers.append(
            (f"DELETE {value[:20]!r}", await x.delete(f"/2/tweets/{quote(value, safe='')}"))
        )

    assert failures(answers) == []


async def test_hostile_post_bodies_get_4xx(x: httpx.AsyncClient) -> None:
    answers = [(repr(body)[:40], await x.post("/2/tweets", json=body)) for body in BODIES]
    for value in HOSTILE:
        answers.append((f"raw {value[:20]!r}", await x.post("/2/tweets", content=value.encode())))
        answers.append((f"text {value[:20]!r}", await x.post("/2/tweets", json={"text": value})))

    assert failures(answers) == []


def credentials(scheme: str, value: str) -> dict[str, str]:
    """An Authorization header carrying `value` as far as HTTP allows (no control characters,
    no trailing space)."""
    return {"Authorization": f"{scheme} {quote(value, safe='')}".strip()}


async def test_hostile_oauth_requests_get_4xx(http: httpx.AsyncClient) -> None:
    answers = []
    fields = ("code", "refresh_token", "redirect_uri", "code_verifier", "client_id")
    authorize_parameters = (
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
        "login_hint",
    )
    for value in HOSTILE:
        for grant in ("authorization_code", "refresh_token", value):
            form = {"grant_type": grant} | dict.fromkeys(fields, value)
            answers.append((f"token {grant[:20]!r}", await http.post("/2/oauth2/token", data=form)))
        basic = credentials("Basic", value)
        answers.append(
            ("basic", await http.post("/2/oauth2/token", data={"grant_type": "x"}, headers=basic))
        )
        answers.append(("revoke", await http.post("/2/oauth2/revoke", data={"token": value})))
        query = dict.fromkeys(authorize_parameters, value)
        answers.append(("authorize", await http.get("/i/oauth2/authorize", params=query)))

    assert failures(answers) == []


async def test_hostile_graph_requests_get_4xx(
    account: InstagramAccount, graph: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    ig = account.ig_user_id
    media_fields = (
        "media_type",
        "image_url",
        "video_url",
        "caption",
        "children",
        "is_carousel_item",
    )
    answers = []
    for value in HOSTILE:
        refresh = {"grant_type": value, "access_token": value}
        bearer = credentials("Bearer", value)
        json_body = {"Content-Type": "application/json"}
        answers += [
            ("node", await graph.get(f"/{quote(value, safe='')}")),
            ("fields", await graph.get(f"/{ig}", params={"fields": value})),
            ("publish", await graph.post(f"/{ig}/media_publish", params={"creation_id": value})),
            ("limit", await graph.get(f"/{ig}/media", params={"limit": value})),
            ("after", await graph.get(f"/{ig}/media", params={"after": value})),
            ("refresh", await http.get("/refresh_access_token", params=refresh)),
            ("token", await http.get("/v21.0/me", headers=bearer)),
            ("json", await graph.post(f"/{ig}/media", content=value.encode(), headers=json_body)),
        ]
        for name in media_fields:
            form = {"media_type": "CAROUSEL", name: value}
            answers.append((f"media {name}", await graph.post(f"/{ig}/media", data=form)))
        for name in ("metric", "period", "metric_type", "since", "until"):
            params = {"metric": "reach", "period": "day", name: value}
            answers.append((f"insights {name}", await graph.get(f"/{ig}/insights", params=params)))

    assert failures(answers) == []
