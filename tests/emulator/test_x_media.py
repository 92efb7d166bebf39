"""Uploading media to the emulated X and reading mentions and recent search: what is accepted,
X's errors and limits, processing, and what a post may attach."""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx

from emulator.config import EmulatorConfig
from emulator.control import XAccount
from emulator.testing import EmulatorHandle

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 200
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x02" * 300


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


async def upload_image(x: httpx.AsyncClient) -> str:
    answer = await x.post(
        "/2/media/upload", json={"media": b64(PNG), "media_category": "tweet_image"}
    )
    assert answer.status_code == 200, answer.text
    media_id: str = answer.json()["data"]["id"]
    return media_id


async def start_video(x: httpx.AsyncClient, content: bytes = MP4) -> str:
    answer = await x.post(
        "/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": len(content)},
    )
    assert answer.status_code == 200, answer.text
    media_id: str = answer.json()["data"]["id"]
    return media_id


async def append(x: httpx.AsyncClient, media_id: str, chunk: bytes, index: int) -> httpx.Response:
    return await x.post(
        f"/2/media/upload/{media_id}/append", json={"media": b64(chunk), "segment_index": index}
    )


async def status(x: httpx.AsyncClient, media_id: str) -> httpx.Response:
    return await x.get("/2/media/upload", params={"command": "STATUS", "media_id": media_id})


def message(answer: httpx.Response) -> str:
    text: str = answer.json()["errors"][0]["message"]
    return text


async def test_an_uploaded_image_can_be_posted(x: httpx.AsyncClient) -> None:
    media_id = await upload_image(x)
    posted = await x.post("/2/tweets", json={"media": {"media_ids": [media_id]}})
    assert posted.status_code == 201
    read = await x.get(f"/2/tweets/{posted.json()['data']['id']}?tweet.fields=attachments")
    assert read.json()["data"]["attachments"] == {"media_keys": [f"3_{media_id}"]}


async def test_a_video_is_attachable_only_once_processed(x: httpx.AsyncClient) -> None:
    media_id = await start_video(x)
    assert (await append(x, media_id, MP4[:100], 0)).status_code == 200
    assert (await append(x, media_id, MP4[100:], 1)).status_code == 200
    finalized = await x.post(f"/2/media/upload/{media_id}/finalize")
    assert finalized.json()["data"]["processing_info"] == {
        "state": "pending", "check_after_secs": 1, "progress_percent": 0,
    }  # fmt: skip
    early = await x.post(
        "/2/tweets", json={"text": "too early", "media": {"media_ids": [media_id]}}
    )
    assert early.status_code == 400
    assert message(early) == "Your media IDs are invalid."
    states = [(await status(x, media_id)).json()["data"]["processing_info"]["state"]]
    states.append((await status(x, media_id)).json()["data"]["processing_info"]["state"])
    assert states == ["in_progress", "succeeded"]
    posted = await x.post("/2/tweets", json={"text": "now", "media": {"media_ids": [media_id]}})
    assert posted.status_code == 201


async def test_a_video_cannot_go_in_one_request(x: httpx.AsyncClient) -> None:
    answer = await x.post(
        "/2/media/upload", json={"media": b64(MP4), "media_category": "tweet_video"}
    )
    assert answer.status_code == 400
    assert "in chunks" in message(answer)


async def test_sizes_over_xs_limits_are_refused(x: httpx.AsyncClient) -> None:
    too_big = await x.post(
        "/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": 512 * 1024 * 1024 + 1},
    )
    assert too_big.status_code == 400
    assert "limit for tweet_video" in message(too_big)
    media_id = await start_video(x)
    over = await append(x, media_id, MP4 + b"more", 0)
    assert over.status_code == 400
    assert "exceed total_bytes" in message(over)


async def test_finalizing_a_short_or_wrong_file_is_refused(x: httpx.AsyncClient) -> None:
    media_id = await start_video(x)
    await append(x, media_id, MP4[:50], 0)
    short = await x.post(f"/2/media/upload/{media_id}/finalize")
    assert short.status_code == 400
    assert "File size mismatch" in message(short)
    fake = await start_video(x, PNG)
    await append(x, fake, PNG, 0)
    wrong = await x.post(f"/2/media/upload/{fake}/finalize")
    assert wrong.status_code == 400
    assert "media type unrecognized" in message(wrong)


async def test_unknown_and_other_users_media_are_not_found(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    assert (await status(x, "123")).status_code == 404
    grace = emulator.add_x_user("grace")
    theirs = await x.post(
        "/2/media/upload",
        json={"media": b64(PNG), "media_category": "tweet_image"},
        headers={"Authorization": f"Bearer {grace.access_token}"},
    )
    assert (await status(x, theirs.json()["data"]["id"])).status_code == 404
    posted = await x.post("/2/tweets", json={"media": {"media_ids": [theirs.json()["data"]["id"]]}})
    assert posted.status_code == 400


async def test_media_expire(emulator: EmulatorHandle) -> None:
    emulator.reset(EmulatorConfig(x_media_ttl=timedelta(minutes=30)))
    user = emulator.add_x_user("ada")
    async with httpx.AsyncClient(
        base_url=emulator.url, headers={"Authorization": f"Bearer {user.access_token}"}
    ) as x:
        media_id = await upload_image(x)
        emulator.advance(timedelta(minutes=31))
        posted = await x.post("/2/tweets", json={"media": {"media_ids": [media_id]}})
    assert posted.status_code == 400


async def test_uploading_needs_the_media_write_scope(emulator: EmulatorHandle) -> None:
    user = emulator.add_x_user("grace", scopes={"tweet.read", "tweet.write", "users.read"})
    async with httpx.AsyncClient(
        base_url=emulator.url, headers={"Authorization": f"Bearer {user.access_token}"}
    ) as client:
        answer = await client.post(
            "/2/media/upload", json={"media": b64(PNG), "media_category": "tweet_image"}
        )
    assert answer.status_code == 403
    assert answer.json()["detail"] == "Missing required scopes: media.write."


async def test_failed_processing_is_reported(emulator: EmulatorHandle) -> None:
    emulator.reset(EmulatorConfig(x_media_fails_processing=True, x_video_polls_in_progress=0))
    user = emulator.add_x_user("ada")
    async with httpx.AsyncClient(
        base_url=emulator.url, headers={"Authorization": f"Bearer {user.access_token}"}
    ) as x:
        media_id = await start_video(x)
        await append(x, media_id, MP4, 0)
        await x.post(f"/2/media/upload/{media_id}/finalize")
        answer = await status(x, media_id)
    assert answer.json()["data"]["processing_info"]["state"] == "failed"


async def test_uploads_count_against_their_own_rate_limit(
    emulator: EmulatorHandle, ada: XAccount, x: httpx.AsyncClient
) -> None:
    emulator.set_x_rate_limit(
        ada.user_id, "POST /2/media/upload", remaining=0, reset_in=timedelta(minutes=15)
    )
    refused = await x.post(
        "/2/media/upload", json={"media": b64(PNG), "media_category": "tweet_image"}
    )
    assert refused.status_code == 429
    assert refused.headers["x-rate-limit-remaining"] == "0"
    assert (await x.get("/2/users/me")).status_code == 200


async def test_mentions_and_search_page_with_tokens_and_since_id(
    emulator: EmulatorHandle, ada: XAccount, x: httpx.AsyncClient
) -> None:
    ids = []
    for n in range(12):
        answer = await x.post("/2/tweets", json={"text": f"hi @ada and @grace {n}"})
        ids.append(answer.json()["data"]["id"])
    newest_first = list(reversed(ids))
    first = await x.get(f"/2/users/{ada.user_id}/mentions", params={"max_results": 10})
    assert [post["id"] for post in first.json()["data"]] == newest_first[:10]
    assert first.headers["x-rate-limit-limit"] == "300"
    token = first.json()["meta"]["next_token"]
    rest = await x.get(
        f"/2/users/{ada.user_id}/mentions", params={"max_results": 10, "pagination_token": token}
    )
    assert [post["id"] for post in rest.json()["data"]] == newest_first[10:]
    assert "next_token" not in rest.json()["meta"]
    searched = await x.get(
        "/2/tweets/search/recent", params={"query": "@grace", "since_id": ids[9]}
    )
    assert [post["id"] for post in searched.json()["data"]] == newest_first[:2]
    assert searched.json()["meta"]["newest_id"] == ids[-1]


async def test_search_reaches_back_seven_days_only(
    emulator: EmulatorHandle, x: httpx.AsyncClient
) -> None:
    old = (await x.post("/2/tweets", json={"text": "vintage"})).json()["data"]["id"]
    emulator.state.x.posts[old].created_at -= timedelta(days=8)
    found = await x.get("/2/tweets/search/recent", params={"query": "vintage"})
    assert found.json()["meta"]["result_count"] == 0
    too_early = await x.get(
        "/2/tweets/search/recent",
        params={"query": "vintage", "start_time": "2000-01-01T00:00:00Z"},
    )
    assert too_early.status_code == 400
