"""Issue 15, point 12: every workflow in examples/ is imported through the API as a user would
(its accounts mapped to the organization's), run against the emulator with a real worker and
Temporal, and checked by its effect: the posts on the emulated platforms, the requests a local
"outside" server received."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from app.db.engine import Database
from app.store.organizations import update_organization
from tests.utils.accounts_api import AccountsApi, accounts, accounts_api
from tests.utils.api import start_run, wait_for_end, wait_until_waiting
from tests.utils.servers import http_client, serve

__all__ = ["accounts", "accounts_api"]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
AI_KEY = "sk-examples-ai-key-0123456789"
IMAGE = "https://cdn.example.com/launch.jpg"


class Outside:
    """A CMS, a chat webhook and a reporting endpoint in one local server: what it received."""

    def __init__(self, url: str, received: list[dict[str, Any]]) -> None:
        self.url = url
        self.received = received

    def to(self, path_prefix: str) -> list[dict[str, Any]]:
        return [seen for seen in self.received if seen["path"].startswith(path_prefix)]


@pytest.fixture(scope="module")
async def outside_server() -> AsyncIterator[Outside]:
    received: list[dict[str, Any]] = []
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PATCH", "PUT"])
    async def anything(path: str, request: Request) -> JSONResponse:
        received.append({
            "method": request.method, "path": f"/{path}", "json": await request.json(),
            "headers": dict(request.headers),
        })  # fmt: skip
        return JSONResponse({"ok": True})

    async with serve(app) as url:
        yield Outside(url, received)


@pytest.fixture
async def outside(outside_server: Outside, accounts: AccountsApi) -> Outside:
    """The outside server, emptied, and the organization allowed to reach it on loopback."""
    outside_server.received.clear()
    database = Database(accounts.settings.resolved_database_url)
    try:
        async with database.session() as session:
            await update_organization(
                session, organization_id=accounts.organization_id, allow_private_networks=True
            )
    finally:
        await database.dispose()
    return outside_server


def example(name: str, **replace: str) -> dict[str, Any]:
    """The example's file, with the example hosts replaced by the test's servers."""
    text = (EXAMPLES / name).read_text()
    for placeholder, url in replace.items():
        text = text.replace(f"https://{placeholder}", url)
    document: dict[str, Any] = json.loads(text)
    return document


async def imported(accounts: AccountsApi, document: dict[str, Any], **mapped: str) -> str:
    response = await accounts.client.post(
        "/workflows/import", json={**document, "accounts": mapped}
    )
    assert response.status_code == 201, response.text
    workflow_id: str = response.json()["id"]
    return workflow_id


async def connect_x(
    accounts: AccountsApi, username: str = "newsroom", *more_scopes: str
) -> tuple[str, str]:
    """An emulated X user connected by its tokens: (account id, X user id)."""
    user = accounts.emulator.add_x_user(username, name=username.title())
    scopes = ["tweet.read", "tweet.write", "users.read", *more_scopes]
    response = await accounts.client.post(
        "/accounts/x/tokens",
        json={"access_token": user.access_token, "refresh_token": user.refresh_token,
              "expires_in": 7200, "scopes": scopes},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()["id"], user.user_id


async def connect_instagram(accounts: AccountsApi, username: str) -> tuple[str, str]:
    """An emulated Instagram account connected by its token: (account id, IG user id)."""
    user = accounts.emulator.add_instagram_user(username)
    response = await accounts.client.post(
        "/accounts/instagram", json={"access_token": user.access_token}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], user.ig_user_id


def test_every_example_is_listed_in_its_readme_and_the_main_readme() -> None:
    names = sorted(path.name for path in EXAMPLES.glob("*.json"))
    assert len(names) == 6
    readme = (EXAMPLES / "README.md").read_text()
    main = (EXAMPLES.parent / "README.md").read_text()
    for name in names:
        assert name in readme, name
        assert f"examples/{name}" in main, name


async def test_content_created_is_posted_to_x_and_marked_published(
    accounts: AccountsApi, outside: Outside
) -> None:
    x_account, x_user = await connect_x(accounts)
    workflow_id = await imported(
        accounts, example("content-to-x.json", **{"cms.example.com": outside.url}),
        **{"x-account": x_account},
    )  # fmt: skip
    hook = await accounts.client.put(f"/workflows/{workflow_id}/webhooks/created/secret", json={})
    assert hook.status_code == 200, hook.text
    activated = await accounts.client.post(f"/workflows/{workflow_id}/activate")
    assert activated.status_code == 200, activated.text

    content = {"id": "c42", "title": "Durable runs", "url": "https://blog.example.com/durable"}
    async with http_client(timeout=30) as cms:
        delivered = await cms.post(
            hook.json()["url"], json=content, headers={"X-Webhook-Token": hook.json()["secret"]}
        )
    assert delivered.status_code == 202, delivered.text
    final = await wait_for_end(accounts.client, delivered.json()["run_id"])

    assert final["status"] == "succeeded", final
    [post] = accounts.emulator.posts_by(x_user)
    assert post.text == "New: Durable runs https://blog.example.com/durable"
    [marked] = outside.to("/api/content/")
    assert (marked["method"], marked["path"]) == ("PATCH", "/api/content/c42")
    assert marked["json"] == {"status": "published", "x_post_id": post.id}
    assert marked["headers"]["idempotency-key"]
    await accounts.client.post(f"/workflows/{workflow_id}/deactivate")


async def test_a_thread_every_monday_at_nine_in_berlin(accounts: AccountsApi) -> None:
    x_account, x_user = await connect_x(accounts)
    workflow_id = await imported(
        accounts, example("weekly-thread.json"), **{"x-account": x_account}
    )
    activated = await accounts.client.post(f"/workflows/{workflow_id}/activate")
    assert activated.status_code == 200, activated.text
    try:
        [schedule] = (await accounts.client.get(f"/workflows/{workflow_id}/schedules")).json()[
            "data"
        ]
        fires = [datetime.fromisoformat(at) for at in schedule["next_fire_times"]]
        assert fires
        berlin = [at.astimezone(ZoneInfo("Europe/Berlin")) for at in fires]
        assert all((at.weekday(), at.hour, at.minute) == (0, 9, 0) for at in berlin), berlin

        triggered = await accounts.client.post(f"/workflows/{workflow_id}/schedules/monday/trigger")
        assert triggered.status_code == 202, triggered.text
        final = await wait_for_end(accounts.client, triggered.json()["run_id"])
        assert final["status"] == "succeeded", final
        first, second = reversed(accounts.emulator.posts_by(x_user))
        assert first.text.startswith("Week of 20")
        assert first.text.endswith("(1/2)")
        assert second.text.endswith("(2/2)")
    finally:
        await accounts.client.post(f"/workflows/{workflow_id}/deactivate")


async def ai_draft_workflow(accounts: AccountsApi, outside: Outside) -> tuple[str, str, str]:
    """The AI example imported with its three accounts: (workflow, X user, IG user ids)."""
    accounts.emulator.add_ai_key(AI_KEY)
    ai = await accounts.client.post(
        "/accounts/ai",
        json={"display_name": "Drafts", "provider": "openai", "api_key": AI_KEY,
              "base_url": f"{accounts.emulator.url}/v1"},
    )  # fmt: skip
    assert ai.status_code == 201, ai.text
    x_account, x_user = await connect_x(accounts)
    instagram_account, ig_user = await connect_instagram(accounts, "launches")
    workflow_id = await imported(
        accounts,
        example("ai-draft-approve-publish.json", **{"chat.example.com": outside.url}),
        **{"ai-account": ai.json()["id"], "x-account": x_account,
           "instagram-account": instagram_account},
    )  # fmt: skip
    return workflow_id, x_user, ig_user


async def test_an_ai_draft_once_approved_goes_to_x_and_instagram_then_the_chat_is_told(
    accounts: AccountsApi, outside: Outside
) -> None:
    workflow_id, x_user, ig_user = await ai_draft_workflow(accounts, outside)
    run_id = await start_run(
        accounts.client, workflow_id, {"topic": "our launch", "image_url": IMAGE}
    )
    waiting = await wait_until_waiting(accounts.client, run_id, "review")
    draft = waiting["nodes"]["draft"]["output"]["text"]
    assert draft == "echo: A caption about our launch"
    assert accounts.emulator.posts_by(x_user) == []
    decided = await accounts.client.post(
        f"/runs/{run_id}/decisions", json={"approved": True, "by": "editor@example.com"}
    )
    assert decided.status_code == 200, decided.text
    final = await wait_for_end(accounts.client, run_id)

    assert final["status"] == "succeeded", final
    [post] = accounts.emulator.posts_by(x_user)
    assert post.text == draft
    [media] = accounts.emulator.published_by(ig_user)
    [told] = outside.to("/hooks/social")
    assert told["json"] == {"text": f"Published: X post {post.id}, Instagram media {media.id}"}


async def test_a_rejected_ai_draft_is_published_nowhere(
    accounts: AccountsApi, outside: Outside
) -> None:
    workflow_id, x_user, ig_user = await ai_draft_workflow(accounts, outside)
    run_id = await start_run(
        accounts.client, workflow_id, {"topic": "a bad idea", "image_url": IMAGE}
    )
    await wait_until_waiting(accounts.client, run_id, "review")
    decided = await accounts.client.post(
        f"/runs/{run_id}/decisions", json={"approved": False, "by": "editor@example.com"}
    )
    assert decided.status_code == 200, decided.text
    final = await wait_for_end(accounts.client, run_id)

    assert final["status"] == "succeeded", final
    assert accounts.emulator.posts_by(x_user) == []
    assert accounts.emulator.published_by(ig_user) == []
    [told] = outside.to("/hooks/social")
    assert told["json"] == {"text": "Not published (rejected): a bad idea"}


async def test_nightly_insights_cover_every_connected_instagram_account(
    accounts: AccountsApi, outside: Outside
) -> None:
    first, first_ig = await connect_instagram(accounts, "studio.one")
    second, second_ig = await connect_instagram(accounts, "studio.two")
    accounts.emulator.set_insights(first_ig, reach=120, profile_views=7)
    accounts.emulator.set_insights(second_ig, reach=300, profile_views=11)
    reader = await accounts.client.post("/api-keys", json={"name": "insights", "scope": "read"})
    assert reader.status_code == 201, reader.text
    own_api = await accounts.client.post(
        "/accounts/http",
        json={"display_name": "Flowhold API", "allowed_hosts": ["127.0.0.1"],
              "credential": {"type": "bearer", "token": reader.json()["key"]}},
    )  # fmt: skip
    assert own_api.status_code == 201, own_api.text
    document = example(
        "nightly-insights.json",
        **{"flowhold.example.com": accounts.url, "reports.example.com": outside.url},
    )
    workflow_id = await imported(accounts, document, **{"flowhold-api": own_api.json()["id"]})
    activated = await accounts.client.post(f"/workflows/{workflow_id}/activate")
    assert activated.status_code == 200, activated.text
    try:
        triggered = await accounts.client.post(
            f"/workflows/{workflow_id}/schedules/nightly/trigger"
        )
        assert triggered.status_code == 202, triggered.text
        final = await wait_for_end(accounts.client, triggered.json()["run_id"])
    finally:
        await accounts.client.post(f"/workflows/{workflow_id}/deactivate")

    assert final["status"] == "succeeded", final
    [report] = outside.to("/instagram/nightly")
    by_name = {row["account"]: row["insights"]["metrics"] for row in report["json"]["accounts"]}
    assert by_name == {
        "studio.one": {"reach": 120, "profile_views": 7},
        "studio.two": {"reach": 300, "profile_views": 11},
    }
    assert {first, second} == {
        row["id"]
        for row in (
            await accounts.client.get("/accounts", params={"platform": "instagram"})
        ).json()["data"]
    }
    assert reader.json()["key"] not in json.dumps(final)


META_APP_SECRET = "meta-app-secret-0123456789abcdef"
META_VERIFY_TOKEN = "verify-examples-7"


async def emulator_control(accounts: AccountsApi, path: str, body: dict[str, Any]) -> Any:
    async with http_client(timeout=30) as client:
        response = await client.post(f"{accounts.emulator.url}/_emulator{path}", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_an_instagram_comment_meta_resends_is_answered_once(accounts: AccountsApi) -> None:
    instagram_account, ig_user = await connect_instagram(accounts, "shop.daily")
    workflow_id = await imported(
        accounts, example("instagram-comment-once.json"),
        **{"instagram-account": instagram_account},
    )  # fmt: skip
    hook = await accounts.client.put(
        f"/workflows/{workflow_id}/webhooks/comment/secret",
        json={"secret": META_APP_SECRET, "verify_token": META_VERIFY_TOKEN},
    )
    assert hook.status_code == 200, hook.text
    activated = await accounts.client.post(f"/workflows/{workflow_id}/activate")
    assert activated.status_code == 200, activated.text
    async with http_client(timeout=30) as meta:
        subscribed = await meta.get(
            hook.json()["url"],
            params={"hub.mode": "subscribe", "hub.verify_token": META_VERIFY_TOKEN,
                    "hub.challenge": "1158201444"},
        )  # fmt: skip
    assert (subscribed.status_code, subscribed.text) == (200, "1158201444")
    media = await emulator_control(accounts, f"/instagram/users/{ig_user}/published", {})

    async def commented(username: str, text: str) -> list[dict[str, Any]]:
        """A comment, then Meta's delivery of it three times, each in a new envelope."""
        comment = await emulator_control(
            accounts, f"/instagram/media/{media['id']}/comments",
            {"username": username, "text": text},
        )  # fmt: skip
        answers = []
        for _ in range(3):
            sent = await emulator_control(
                accounts, f"/instagram/comments/{comment['id']}/webhook",
                {"url": hook.json()["url"], "app_secret": META_APP_SECRET},
            )  # fmt: skip
            assert sent["status"] == 202, sent
            answers.append({"comment": comment["id"], **json.loads(sent["body"])})
            accounts.emulator.advance(timedelta(seconds=30))
        return answers

    try:
        first = await commented("fan", "Love it")
        second = await commented("critic", "Nice colours")
    finally:
        await accounts.client.post(f"/workflows/{workflow_id}/deactivate")

    for answers in (first, second):
        assert [answer["created"] for answer in answers] == [True, False, False]
        assert len({answer["run_id"] for answer in answers}) == 1
        final = await wait_for_end(accounts.client, answers[0]["run_id"])
        assert final["status"] == "succeeded", final
    assert first[0]["run_id"] != second[0]["run_id"]
    comments = accounts.emulator.state.instagram.comments.values()
    replies = sorted(
        (reply.parent_id, reply.username, reply.text) for reply in comments if reply.parent_id
    )
    assert replies == sorted([
        (first[0]["comment"], "shop.daily", "Thanks @fan, glad you like it!"),
        (second[0]["comment"], "shop.daily", "Thanks @critic, glad you like it!"),
    ])  # fmt: skip


VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x07" * 4000
READY_AFTER = 3
"""How many status reads a video takes to be processed by the video host."""


class VideoHost:
    """A video host: `/api/videos/{id}` says `processing` for the first reads of a video, then
    `ready` with its `download_url` (`failed` for ids starting with `broken`, `processing` for
    ever for ids starting with `stuck`)."""

    def __init__(self, url: str, reads: dict[str, int]) -> None:
        self.url = url
        self.reads = reads


@pytest.fixture(scope="module")
async def video_host_server() -> AsyncIterator[VideoHost]:
    reads: dict[str, int] = {}
    app = FastAPI()
    host = VideoHost("", reads)

    @app.get("/api/videos/{video}")
    async def status(video: str) -> dict[str, Any]:
        reads[video] = reads.get(video, 0) + 1
        if video.startswith("broken"):
            return {"id": video, "status": "failed"}
        if video.startswith("stuck") or reads[video] < READY_AFTER:
            return {"id": video, "status": "processing"}
        return {"id": video, "status": "ready", "download_url": f"{host.url}/files/{video}.mp4"}

    @app.get("/files/{name}")
    async def file(name: str) -> Response:
        return Response(VIDEO, media_type="video/mp4")

    async with serve(app) as url:
        host.url = url
        yield host


@pytest.fixture
def video_host(video_host_server: VideoHost) -> VideoHost:
    """The video host with no reads counted: the server lives for the module, across both
    database backends, whose runs ask for the same video ids."""
    video_host_server.reads.clear()
    return video_host_server


async def video_workflow(
    accounts: AccountsApi, outside: Outside, host: VideoHost, max_iterations: int = 40
) -> Any:
    """The video example imported and activated: (workflow id, X user id, its webhook's url
    and secret)."""
    document = example(
        "video-when-processed.json",
        **{"video.example.com": host.url, "chat.example.com": outside.url},
    )
    [loop] = [node for node in document["graph"]["nodes"] if node["id"] == "processed"]
    assert loop["parameters"]["delay"] == "PT30S"
    loop["parameters"]["delay"] = "PT1S"  # the same durable timer, shorter for a test
    loop["parameters"]["max_iterations"] = max_iterations
    x_account, x_user = await connect_x(accounts, "clips", "media.write")
    workflow_id = await imported(accounts, document, **{"x-account": x_account})
    hook = await accounts.client.put(f"/workflows/{workflow_id}/webhooks/uploaded/secret", json={})
    assert hook.status_code == 200, hook.text
    activated = await accounts.client.post(f"/workflows/{workflow_id}/activate")
    assert activated.status_code == 200, activated.text
    return workflow_id, x_user, hook.json()


async def uploaded(hook: dict[str, Any], video: dict[str, str]) -> str:
    async with http_client(timeout=30) as client:
        delivered = await client.post(
            hook["url"], json=video, headers={"X-Webhook-Token": hook["secret"]}
        )
    assert delivered.status_code == 202, delivered.text
    run_id: str = delivered.json()["run_id"]
    return run_id


async def test_a_video_is_posted_to_x_once_its_processing_finished(
    accounts: AccountsApi, outside: Outside, video_host: VideoHost
) -> None:
    workflow_id, x_user, hook = await video_workflow(accounts, outside, video_host)
    try:
        run_id = await uploaded(hook, {"id": "v1", "title": "Our launch in 60 seconds"})
        final = await wait_for_end(accounts.client, run_id)
    finally:
        await accounts.client.post(f"/workflows/{workflow_id}/deactivate")

    assert final["status"] == "succeeded", final
    assert video_host.reads["v1"] == READY_AFTER
    assert final["nodes"]["processed"]["output"]["count"] == READY_AFTER
    [post] = accounts.emulator.posts_by(x_user)
    assert post.text == "New video: Our launch in 60 seconds"
    assert post.media_ids == (final["nodes"]["upload"]["output"]["media_id"],)
    assert outside.to("/hooks/videos") == []


async def test_a_video_whose_processing_failed_is_not_posted_and_the_chat_is_told(
    accounts: AccountsApi, outside: Outside, video_host: VideoHost
) -> None:
    workflow_id, x_user, hook = await video_workflow(accounts, outside, video_host)
    try:
        run_id = await uploaded(hook, {"id": "broken-1", "title": "Blurry"})
        final = await wait_for_end(accounts.client, run_id)
    finally:
        await accounts.client.post(f"/workflows/{workflow_id}/deactivate")

    assert final["status"] == "succeeded", final
    assert video_host.reads["broken-1"] == 1
    assert accounts.emulator.posts_by(x_user) == []
    [told] = outside.to("/hooks/videos")
    assert told["json"] == {"text": "Video broken-1 not posted: failed"}


async def test_a_video_never_ready_is_not_posted_and_the_chat_is_told(
    accounts: AccountsApi, outside: Outside, video_host: VideoHost
) -> None:
    workflow_id, x_user, hook = await video_workflow(
        accounts, outside, video_host, max_iterations=2
    )
    try:
        run_id = await uploaded(hook, {"id": "stuck-1", "title": "Forever"})
        final = await wait_for_end(accounts.client, run_id)
    finally:
        await accounts.client.post(f"/workflows/{workflow_id}/deactivate")

    assert final["status"] == "succeeded", final
    assert video_host.reads["stuck-1"] == 2
    assert accounts.emulator.posts_by(x_user) == []
    [told] = outside.to("/hooks/videos")
    assert told["json"] == {"text": "Video stuck-1 not posted: still processing after every check"}
