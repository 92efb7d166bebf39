"""X media and reads in whole runs on a real (time-skipping) Temporal server, the worker's
activities calling the emulator over real HTTP: media uploaded from a URL and from the run's
data, posted exactly once although X's answer was lost; reads paged, resumed with since_id,
and a spent rate-limit window waited out."""

from __future__ import annotations

import base64
import logging
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Response
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from emulator import record
from tests.activities import test_platform_runs
from tests.activities.test_platform_runs import WINDOW, Platforms, retry_scheduled
from tests.utils.servers import serve

platforms = test_platform_runs.platforms
"""The worker on a time-skipping server with X connected, as the platform run tests have it."""

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x07" * 4000


@pytest.fixture(scope="module")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of this module's own, whose clock only the skips made here
    moved: the session's may be years ahead after other modules' runs, past the time X ids
    (milliseconds since 2010, shifted 22 bits) fit in 19 digits."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    yield env
    await env.shutdown()


@pytest.fixture(autouse=True)
async def x_keeps_the_servers_time(
    platforms: Platforms, time_skipping_env: WorkflowEnvironment
) -> None:
    """The time-skipping server's clock runs ahead of the wall clock once earlier runs had it
    skip; X's clock and Temporal's agree in life (an earlier attempt's post is looked for
    since the step was scheduled), so the emulator's clock catches up first."""
    server_now = await time_skipping_env.get_current_time()
    behind = server_now - platforms.emulator.state.clock.now()
    if behind > timedelta(0):
        platforms.emulator.advance(behind)


@pytest.fixture(scope="module")
async def media_server() -> AsyncIterator[str]:
    app = FastAPI()

    @app.get("/photo.png")
    async def photo() -> Response:
        return Response(PNG, media_type="image/png")

    async with serve(app) as url:
        yield url


async def test_an_image_from_a_url_is_posted_once_though_the_answer_was_lost(
    platforms: Platforms, media_server: str
) -> None:
    platforms.emulator.fail_next("POST", "/2/tweets", network=True, when="after")
    handle = await platforms.start(
        platforms.x_node("upload", "x.upload_media", url=f"{media_server}/photo.png"),
        platforms.x_node(
            "post", "x.post", text="new photo", media_ids=["{{ nodes.upload.media_id }}"]
        ),
    )
    state = await handle.result()
    assert state.status == "succeeded", state
    [post] = platforms.x_posts()
    media_id = state.nodes["upload"].output["media_id"]
    assert post.media_ids == (media_id,)
    assert state.nodes["post"].output == {"id": post.id, "text": "new photo"}
    assert platforms.emulator.count(record.X_POST_CREATED) == 1


async def test_a_video_from_the_runs_data_is_processed_and_posted_once_without_text(
    platforms: Platforms, caplog: pytest.LogCaptureFixture
) -> None:
    platforms.emulator.fail_next("POST", "/2/tweets", network=True, when="after")
    with caplog.at_level(logging.DEBUG):
        handle = await platforms.start(
            platforms.x_node(
                "upload", "x.upload_media", data="{{ trigger.video }}", media_type="video/mp4"
            ),
            platforms.x_node("post", "x.post", media_ids=["{{ nodes.upload.media_id }}"]),
            payload={"video": base64.b64encode(VIDEO).decode()},
        )
        state = await handle.result()
    await platforms.assert_no_secret_in_history_or_logs(handle, caplog.text)
    assert state.status == "succeeded", state
    media_id = state.nodes["upload"].output["media_id"]
    assert state.nodes["upload"].output["media_key"] == f"7_{media_id}"
    assert platforms.emulator.requests("GET", "/2/media/upload") != []  # processing polled
    [post] = platforms.x_posts()
    assert (post.text, post.media_ids) == ("", (media_id,))
    assert state.nodes["post"].output == {"id": post.id, "text": ""}
    assert platforms.emulator.count(record.X_POST_CREATED) == 1


async def test_reads_page_resume_with_since_id_and_wait_out_a_rate_limit(
    platforms: Platforms,
) -> None:
    emulator = platforms.emulator
    grace = emulator.add_x_user("grace")
    for n in range(15):
        await post_as(emulator.url, grace.access_token, f"@ada hello {n}")
    emulator.set_x_rate_limit(
        platforms.x.user_id, "GET /2/users/:id/mentions", remaining=0, reset_in=WINDOW
    )
    handle = await platforms.start(
        platforms.x_node("first", "x.mentions", max_results=10, max_pages=1),
        platforms.x_node(
            "rest", "x.mentions", max_results=10, max_pages=5,
            pagination_token="{{ nodes.first.next_token }}",
        ),
        platforms.x_node("later", "x.mentions", since_id="{{ nodes.first.newest_id }}"),
    )  # fmt: skip
    await retry_scheduled(handle, "x.mentions")
    emulator.advance(WINDOW)
    state = await handle.result()
    assert state.status == "succeeded", state
    mentions = [post.id for post in emulator.posts_by(grace.user_id)]
    first, rest, later = (state.nodes[n].output for n in ("first", "rest", "later"))
    assert [item["id"] for item in first["items"]] == mentions[:10]
    assert first["next_token"] is not None
    assert [item["id"] for item in rest["items"]] == mentions[10:]
    assert rest["next_token"] is None
    assert (later["items"], later["newest_id"]) == ([], mentions[0])


async def post_as(base_url: str, token: str, text: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            "/2/tweets", json={"text": text}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 201, response.text
