"""`x.upload_media` against the emulator over real HTTP: images from a URL and from the run's
data, videos in chunks with processing, resumed retries, every kind of bad source; and posts
with media made exactly once even when the answer to the first attempt was lost."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI, Response
from temporalio.exceptions import ApplicationError

from activities.services import ActionServices
from activities.x.actions import XActivities
from activities.x.media import SEGMENT_BYTES
from emulator import record
from emulator.config import EmulatorConfig
from emulator.testing import EmulatorHandle
from tests.activities.support import Attempts, action, new_account, new_organization
from tests.utils.servers import serve

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
GIF = b"GIF89a" + b"\x00" * 3000
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"\x07" * (2 * SEGMENT_BYTES + 1000)
"""A video of three segments."""


class X:
    """An X user on the emulator, connected as an account of an organization."""

    def __init__(
        self, emulator: EmulatorHandle, user_id: str, account_id: str, organization: str,
        activities: XActivities,
    ) -> None:  # fmt: skip
        self.emulator = emulator
        self.user_id = user_id
        self.account_id = account_id
        self.organization = organization
        self.activities = activities

    async def run(self, node_type: str, attempts: Attempts | None = None, **parameters: Any) -> Any:
        method = getattr(self.activities, node_type.removeprefix("x."))
        request = action(
            node_type, parameters, organization_id=self.organization, account_id=self.account_id
        )
        return await (attempts or Attempts()).run(method, request)

    async def fails(
        self, node_type: str, attempts: Attempts | None = None, **parameters: Any
    ) -> ApplicationError:
        with pytest.raises(ApplicationError) as caught:
            await self.run(node_type, attempts, **parameters)
        return caught.value

    def posts(self) -> list[Any]:
        return list(reversed(self.emulator.posts_by(self.user_id)))


async def connect(emulator: EmulatorHandle, services: ActionServices, organization: str) -> X:
    user = emulator.add_x_user("ada", name="Ada Lovelace")
    account = await new_account(
        services, organization_id=organization, platform="x", kind="oauth2",
        secret={"access_token": user.access_token, "refresh_token": str(user.refresh_token)},
        external_id=user.user_id, expires_at=user.expires_at,
    )  # fmt: skip
    return X(emulator, user.user_id, account, organization, XActivities(services))


@pytest.fixture(scope="module")
async def trusting_organization(services: ActionServices) -> str:
    """An organization that may reach private addresses: the media server is on loopback."""
    return await new_organization(services.database, private_networks=True)


@pytest.fixture
async def x(emulator: EmulatorHandle, services: ActionServices, trusting_organization: str) -> X:
    return await connect(emulator, services, trusting_organization)


@pytest.fixture(scope="module")
async def media_server() -> AsyncIterator[str]:
    app = FastAPI()
    files = {"photo.png": (PNG, "image/png"), "clip.mp4": (VIDEO, "video/mp4")}

    @app.get("/files/{name}")
    async def file(name: str) -> Response:
        if name not in files:
            return Response(status_code=404)
        content, media_type = files[name]
        return Response(content, media_type=media_type)

    @app.get("/untyped")
    async def untyped() -> Response:
        return Response(PNG, media_type="application/octet-stream")

    @app.get("/broken")
    async def broken() -> Response:
        return Response(status_code=502)

    async with serve(app) as url:
        yield url


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


# Uploading


async def test_an_image_from_a_url_is_uploaded_in_one_request(x: X, media_server: str) -> None:
    output = await x.run("x.upload_media", url=f"{media_server}/files/photo.png")
    upload = x.emulator.state.x.uploads[output["media_id"]]
    assert output == {
        "media_id": upload.id, "media_key": f"3_{upload.id}", "media_type": "image/png",
        "size": len(PNG),
    }  # fmt: skip
    assert upload.state == "succeeded"
    assert len(x.emulator.requests("POST", "/2/media/upload")) == 1
    assert x.emulator.count(record.X_MEDIA_UPLOADED) == 1


async def test_an_image_from_the_runs_data_is_uploaded(x: X) -> None:
    output = await x.run("x.upload_media", data=b64(PNG), media_type="image/png")
    post = await x.run("x.post", text="with a picture", media_ids=[output["media_id"]])
    [made] = x.posts()
    assert made.id == post["id"]
    assert made.media_ids == (output["media_id"],)


async def test_a_gif_is_uploaded_in_chunks_and_processed(x: X) -> None:
    output = await x.run("x.upload_media", data=b64(GIF), media_type="image/gif")
    assert output["media_key"] == f"16_{output['media_id']}"
    assert x.emulator.state.x.uploads[output["media_id"]].state == "succeeded"


async def test_a_video_goes_in_segments_and_waits_for_its_processing(
    x: X, media_server: str
) -> None:
    output = await x.run("x.upload_media", url=f"{media_server}/files/clip.mp4")
    media_id = output["media_id"]
    assert output["media_key"] == f"7_{media_id}"
    assert output["size"] == len(VIDEO)
    assert len(x.emulator.requests("POST", f"/2/media/upload/{media_id}/append")) == 3
    statuses = x.emulator.requests("GET", "/2/media/upload")
    assert len(statuses) == 2  # in_progress, then succeeded
    await x.run("x.post", text="watch this", media_ids=[media_id])
    assert x.posts()[0].media_ids == (media_id,)


async def test_a_retry_resumes_after_the_segments_x_has(x: X) -> None:
    injected: list[bool] = []

    def fail_the_next_segment(details: Any) -> None:
        if details["segments"] == 1 and not injected:
            injected.append(True)
            x.emulator.fail_next("POST", "/2/media/upload/*/append", status=503)

    attempts = Attempts(on_progress=fail_the_next_segment)
    error = await x.fails("x.upload_media", attempts, data=b64(VIDEO), media_type="video/mp4")
    assert (error.type, error.non_retryable) == ("XServerError", False)
    output = await x.run("x.upload_media", attempts, data=b64(VIDEO), media_type="video/mp4")
    media_id = output["media_id"]
    assert list(x.emulator.state.x.uploads) == [media_id]  # one upload, resumed
    assert len(x.emulator.requests("POST", "/2/media/upload/initialize")) == 1
    # Segment 1 was refused once; 0 and 2 went once each.
    assert len(x.emulator.requests("POST", f"/2/media/upload/{media_id}/append")) == 4
    assert x.emulator.state.x.uploads[media_id].received == len(VIDEO)


async def test_a_retry_after_finalizing_only_asks_how_processing_goes(x: X) -> None:
    x.emulator.fail_next("GET", "/2/media/upload", status=503)
    attempts = Attempts()
    error = await x.fails("x.upload_media", attempts, data=b64(GIF), media_type="image/gif")
    assert error.type == "XServerError"
    output = await x.run("x.upload_media", attempts, data=b64(GIF), media_type="image/gif")
    media_id = output["media_id"]
    assert len(x.emulator.requests("POST", "/2/media/upload/initialize")) == 1
    assert len(x.emulator.requests("POST", f"/2/media/upload/{media_id}/append")) == 1
    assert len(x.emulator.requests("POST", f"/2/media/upload/{media_id}/finalize")) == 1
    assert x.emulator.state.x.uploads[media_id].state == "succeeded"


async def test_a_video_x_cannot_process_fails_for_good(
    emulator: EmulatorHandle, services: ActionServices, trusting_organization: str
) -> None:
    emulator.reset(EmulatorConfig(x_media_fails_processing=True))
    x = await connect(emulator, services, trusting_organization)
    error = await x.fails("x.upload_media", data=b64(VIDEO), media_type="video/mp4")
    assert (error.type, error.non_retryable) == ("XMediaFailed", True)
    assert "could not process" in error.message


async def test_processing_longer_than_max_wait_fails(
    emulator: EmulatorHandle, services: ActionServices, trusting_organization: str
) -> None:
    emulator.reset(EmulatorConfig(x_video_polls_in_progress=100))
    x = await connect(emulator, services, trusting_organization)
    error = await x.fails("x.upload_media", data=b64(GIF), media_type="image/gif", max_wait="PT2S")
    assert error.type == "XMediaFailed"
    assert "raise max_wait" in error.message


@pytest.mark.parametrize(
    ("parameters", "failure", "words"),
    [
        ({"data": "not base64!", "media_type": "image/png"}, "MediaSourceRefused", "not base64"),
        ({"data": b64(b"plain text"), "media_type": "image/png"}, "XBadRequest", "unrecognized"),
        ({"url": "/files/missing.png"}, "MediaSourceRefused", "answered 404"),
        ({"url": "/untyped"}, "MediaSourceRefused", "application/octet-stream"),
        ({"url": "/broken"}, "NetworkError", "answered 502"),
    ],
    ids=["not-base64", "not-an-image", "missing", "untyped", "source-down"],
)
async def test_a_bad_source_fails_with_what_is_wrong(
    x: X, media_server: str, parameters: dict[str, str], failure: str, words: str
) -> None:
    if "url" in parameters:
        parameters = {"url": media_server + parameters["url"]}
    error = await x.fails("x.upload_media", None, **parameters)
    assert error.type == failure
    assert words in error.message
    assert error.non_retryable == (failure != "NetworkError")
    assert x.emulator.count(record.X_MEDIA_UPLOADED) == 0


async def test_an_image_over_xs_limit_is_refused_before_uploading(x: X) -> None:
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024)
    error = await x.fails("x.upload_media", data=b64(big), media_type="image/png")
    assert (error.type, error.non_retryable) == ("MediaSourceRefused", True)
    assert "at most 5242880 bytes" in error.message
    assert x.emulator.requests("POST", "/2/media/upload") == []


async def test_a_private_address_is_refused_unless_the_organization_allows_it(
    emulator: EmulatorHandle, services: ActionServices, organization: str, media_server: str
) -> None:
    x = await connect(emulator, services, organization)
    error = await x.fails("x.upload_media", url=f"{media_server}/files/photo.png")
    assert (error.type, error.non_retryable) == ("AddressNotAllowed", True)
    assert "private" in error.message


async def test_an_unknown_media_id_fails_the_post_for_good(x: X) -> None:
    error = await x.fails("x.post", media_ids=["1234567890"])
    assert (error.type, error.non_retryable) == ("XBadRequest", True)
    assert "media IDs are invalid" in error.message


# Exactly once


async def test_a_media_only_post_whose_answer_was_lost_is_not_posted_again(x: X) -> None:
    media = await x.run("x.upload_media", data=b64(PNG), media_type="image/png")
    attempts = Attempts()
    x.emulator.fail_next("POST", "/2/tweets", network=True, when="after")
    error = await x.fails("x.post", attempts, media_ids=[media["media_id"]])
    assert error.type == "NetworkError"
    output = await x.run("x.post", attempts, media_ids=[media["media_id"]])
    [post] = x.posts()
    assert output == {"id": post.id, "text": ""}
    assert x.emulator.count(record.X_POST_CREATED) == 1


async def test_a_retry_does_not_take_a_post_with_the_same_text_but_other_media(
    emulator: EmulatorHandle, services: ActionServices, trusting_organization: str
) -> None:
    emulator.reset(EmulatorConfig(x_refuses_duplicates=False))
    x = await connect(emulator, services, trusting_organization)
    first = await x.run("x.upload_media", data=b64(PNG), media_type="image/png")
    second = await x.run("x.upload_media", data=b64(PNG), media_type="image/png")
    await x.run("x.post", text="today's picture", media_ids=[first["media_id"]])
    attempts = Attempts()
    x.emulator.fail_next("POST", "/2/tweets", status=503)
    await x.fails("x.post", attempts, text="today's picture", media_ids=[second["media_id"]])
    output = await x.run("x.post", attempts, text="today's picture", media_ids=[second["media_id"]])
    assert [post.media_ids for post in x.posts()] == [(first["media_id"],), (second["media_id"],)]
    assert output["id"] == x.posts()[1].id


async def test_a_thread_of_media_posts_resumes_without_duplicates(x: X) -> None:
    ids = [
        (await x.run("x.upload_media", data=b64(PNG), media_type="image/png"))["media_id"]
        for _ in range(3)
    ]
    lost: list[bool] = []

    def lose_the_next_answer(details: Any) -> None:
        if len(details["ids"]) == 1 and not lost:
            lost.append(True)
            x.emulator.fail_next("POST", "/2/tweets", network=True, when="after")

    attempts = Attempts(on_progress=lose_the_next_answer)
    posts = [{"media_ids": [media_id]} for media_id in ids]
    await x.fails("x.thread", attempts, posts=posts)
    output = await x.run("x.thread", attempts, posts=posts)
    made = x.posts()
    assert [post.media_ids for post in made] == [(media_id,) for media_id in ids]
    assert output["ids"] == [post.id for post in made]
    assert x.emulator.count(record.X_POST_CREATED) == 3
