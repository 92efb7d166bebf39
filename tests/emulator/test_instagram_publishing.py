"""Publishing on the emulated Instagram: containers, their processing status, publishing,
the quota, and the media list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from emulator import record
from emulator.config import EmulatorConfig
from emulator.control import InstagramAccount
from emulator.testing import EmulatorHandle, http_client

IMAGE = "https://cdn.example.com/photo.jpg"
VIDEO = "https://cdn.example.com/clip.mp4"


async def create(graph: httpx.AsyncClient, account: InstagramAccount, **params: str) -> str:
    response = await graph.post(f"/{account.ig_user_id}/media", data=params)
    assert response.status_code == 200, response.text
    container_id: str = response.json()["id"]
    return container_id


async def status(graph: httpx.AsyncClient, container_id: str) -> str:
    response = await graph.get(f"/{container_id}", params={"fields": "status_code"})
    value: str = response.json()["status_code"]
    return value


async def publish(
    graph: httpx.AsyncClient, account: InstagramAccount, container_id: str
) -> httpx.Response:
    return await graph.post(
        f"/{account.ig_user_id}/media_publish", params={"creation_id": container_id}
    )


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["fbtrace_id"]
    return error


async def test_an_image_is_published_in_two_steps(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    container_id = await create(graph, account, image_url=IMAGE, caption="Hello #sandbox")
    assert await status(graph, container_id) == "IN_PROGRESS"
    assert await status(graph, container_id) == "FINISHED"

    published = await publish(graph, account, container_id)

    assert published.status_code == 200
    media_id = published.json()["id"]
    [media] = emulator.published_by(account.ig_user_id)
    assert (media.id, media.container_id, media.caption) == (
        media_id,
        container_id,
        "Hello #sandbox",
    )
    assert await status(graph, container_id) == "PUBLISHED"
    assert emulator.count(record.INSTAGRAM_CONTAINER_CREATED) == 1
    assert emulator.count(record.INSTAGRAM_MEDIA_PUBLISHED) == 1


async def test_a_published_media_reads_back_with_its_permalink(
    account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    container_id = await create(graph, account, image_url=IMAGE, caption="look")
    await status(graph, container_id)
    media_id = (await publish(graph, account, container_id)).json()["id"]

    response = await graph.get(
        f"/{media_id}",
        params={"fields": "id,permalink,media_type,media_product_type,caption,timestamp"},
    )

    media = response.json()
    assert media["id"] == media_id
    assert media["permalink"].startswith("https://www.instagram.com/p/")
    assert (media["media_type"], media["media_product_type"]) == ("IMAGE", "FEED")
    assert media["caption"] == "look"
    assert media["timestamp"].endswith("+0000")


async def test_status_stays_in_progress_for_the_configured_number_of_polls(
    emulator: EmulatorHandle,
) -> None:
    emulator.reset(EmulatorConfig(instagram_polls_in_progress=3))
    account = emulator.add_instagram_user("slow")
    async with http_client(
        emulator.graph_url(), params={"access_token": account.access_token}
    ) as graph:
        container_id = await create(graph, account, image_url=IMAGE)

        statuses = [await status(graph, container_id) for _ in range(4)]

    assert statuses == ["IN_PROGRESS"] * 3 + ["FINISHED"]


async def test_publishing_before_processing_finished_is_refused_as_not_ready(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    container_id = await create(graph, account, image_url=IMAGE)

    error = error_of(await publish(graph, account, container_id))

    assert (error["code"], error["error_subcode"]) == (9007, 2207027)
    assert emulator.published_by(account.ig_user_id) == []


async def test_a_container_queued_to_fail_ends_in_error_and_cannot_be_published(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    emulator.queue_container_outcomes(account.ig_user_id, "ERROR")
    container_id = await create(graph, account, media_type="REELS", video_url=VIDEO)

    assert await status(graph, container_id) == "IN_PROGRESS"
    assert await status(graph, container_id) == "ERROR"
    assert error_of(await publish(graph, account, container_id))["error_subcode"] == 2207032
    assert emulator.published_by(account.ig_user_id) == []


async def test_a_container_expires_a_day_after_it_was_made(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    container_id = await create(graph, account, image_url=IMAGE)
    emulator.advance(timedelta(hours=24))

    assert await status(graph, container_id) == "EXPIRED"
    assert error_of(await publish(graph, account, container_id))["error_subcode"] == 2207020


async def test_a_container_can_be_set_to_expire_on_demand(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    container_id = await create(graph, account, image_url=IMAGE)

    emulator.set_container_status(container_id, "EXPIRED")

    assert await status(graph, container_id) == "EXPIRED"


async def test_a_container_is_published_once(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    container_id = await create(graph, account, image_url=IMAGE)
    emulator.set_container_status(container_id, "FINISHED")
    assert (await publish(graph, account, container_id)).status_code == 200

    again = await publish(graph, account, container_id)

    assert error_of(again)["code"] == 100
    assert len(emulator.published_by(account.ig_user_id)) == 1


async def test_a_reel_publishes_as_a_reel(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    container_id = await create(graph, account, media_type="REELS", video_url=VIDEO, caption="clip")
    emulator.set_container_status(container_id, "FINISHED")

    await publish(graph, account, container_id)

    [media] = emulator.published_by(account.ig_user_id)
    assert (media.product_type, media.media_type) == ("REELS", "VIDEO")
    assert "/reel/" in media.permalink


async def test_a_story_publishes_without_its_caption(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    container_id = await create(graph, account, media_type="STORIES", image_url=IMAGE, caption="x")
    emulator.set_container_status(container_id, "FINISHED")

    await publish(graph, account, container_id)

    [media] = emulator.published_by(account.ig_user_id)
    assert (media.product_type, media.caption) == ("STORY", None)
    assert media.permalink.startswith("https://www.instagram.com/stories/ada.makes/")


async def test_a_carousel_publishes_its_items_as_one_album(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    first = await create(graph, account, image_url=IMAGE, is_carousel_item="true")
    second = await create(
        graph, account, media_type="VIDEO", video_url=VIDEO, is_carousel_item="true"
    )
    album = await create(
        graph, account, media_type="CAROUSEL", children=f"{first},{second}", caption="both"
    )
    emulator.set_container_status(album, "FINISHED")

    response = await publish(graph, account, album)

    assert response.status_code == 200
    [media] = emulator.published_by(account.ig_user_id)
    assert media.media_type == "CAROUSEL_ALBUM"
    assert emulator.state.instagram.containers[album].children == (first, second)


async def test_a_carousel_item_cannot_be_published_alone(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    item = await create(graph, account, image_url=IMAGE, is_carousel_item="true")
    emulator.set_container_status(item, "FINISHED")

    assert error_of(await publish(graph, account, item))["code"] == 100


@pytest.mark.parametrize(
    "params",
    [
        {"caption": "no media"},
        {"image_url": IMAGE, "video_url": VIDEO},
        {"media_type": "REELS", "image_url": IMAGE},
        {"media_type": "STORIES"},
        {"media_type": "VIDEO", "video_url": VIDEO},
        {"media_type": "HOLOGRAM", "image_url": IMAGE},
        {"image_url": "ftp://cdn.example.com/a.jpg"},
        {"image_url": IMAGE, "caption": "x" * 2201},
        {"image_url": IMAGE, "caption": " ".join(f"#t{n}" for n in range(31))},
        {"media_type": "CAROUSEL", "children": "1"},
    ],
)
async def test_a_container_the_graph_api_would_refuse_is_a_bad_request_storing_nothing(
    emulator: EmulatorHandle,
    account: InstagramAccount,
    graph: httpx.AsyncClient,
    params: dict[str, str],
) -> None:
    response = await graph.post(f"/{account.ig_user_id}/media", data=params)

    error = error_of(response)
    assert error["code"] == 100
    assert error["message"].startswith("(#100) ")
    assert emulator.containers_of(account.ig_user_id) == []


async def test_children_of_another_account_are_refused(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    other = emulator.add_instagram_user("someone.else")
    theirs = [
        (
            await graph.post(
                f"/{other.ig_user_id}/media",
                data={
                    "image_url": IMAGE,
                    "is_carousel_item": "true",
                    "access_token": other.access_token,
                },
            )
        ).json()["id"]
        for _ in range(2)
    ]

    response = await graph.post(
        f"/{account.ig_user_id}/media",
        data={"media_type": "CAROUSEL", "children": ",".join(theirs)},
    )

    assert error_of(response)["error_subcode"] == 2207028


async def test_another_accounts_nodes_are_invisible(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    other = emulator.add_instagram_user("someone.else")

    response = await graph.post(f"/{other.ig_user_id}/media", data={"image_url": IMAGE})

    error = error_of(response)
    assert (error["code"], error["error_subcode"], error["type"]) == (
        100,
        33,
        "GraphMethodException",
    )


async def test_parameters_may_come_as_json(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    response = await graph.post(
        f"/{account.ig_user_id}/media", json={"image_url": IMAGE, "is_carousel_item": True}
    )

    assert response.status_code == 200
    assert emulator.containers_of(account.ig_user_id)[0].is_carousel_item


async def test_the_publishing_limit_counts_the_last_24_hours(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    container_id = await create(graph, account, image_url=IMAGE)
    emulator.set_container_status(container_id, "FINISHED")
    await publish(graph, account, container_id)

    response = await graph.get(
        f"/{account.ig_user_id}/content_publishing_limit", params={"fields": "quota_usage,config"}
    )

    assert response.json() == {
        "data": [{"quota_usage": 1, "config": {"quota_total": 100, "quota_duration": 86400}}]
    }


async def test_publishing_beyond_the_quota_is_refused(emulator: EmulatorHandle) -> None:
    emulator.reset(EmulatorConfig(instagram_publishes_per_24_hours=1))
    account = emulator.add_instagram_user("busy")
    async with http_client(
        emulator.graph_url(), params={"access_token": account.access_token}
    ) as graph:
        first, second = [await create(graph, account, image_url=IMAGE, caption=n) for n in "ab"]
        for container_id in (first, second):
            emulator.set_container_status(container_id, "FINISHED")
        assert (await publish(graph, account, first)).status_code == 200

        refused = await publish(graph, account, second)
        emulator.advance(timedelta(hours=24, seconds=1))
        third = await create(graph, account, image_url=IMAGE, caption="c")
        emulator.set_container_status(third, "FINISHED")
        a_day_later = await publish(graph, account, third)

    assert error_of(refused)["error_subcode"] == 2207042
    assert a_day_later.status_code == 200
    assert len(emulator.published_by(account.ig_user_id)) == 2


async def test_the_media_list_pages_newest_first(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    published = []
    for caption in ("one", "two", "three"):
        container_id = await create(graph, account, image_url=IMAGE, caption=caption)
        emulator.set_container_status(container_id, "FINISHED")
        published.append((await publish(graph, account, container_id)).json()["id"])

    page = (
        await graph.get(f"/{account.ig_user_id}/media", params={"limit": 2, "fields": "id,caption"})
    ).json()
    rest = (
        await graph.get(
            f"/{account.ig_user_id}/media",
            params={"limit": 2, "after": page["paging"]["cursors"]["after"]},
        )
    ).json()

    assert [item["caption"] for item in page["data"]] == ["three", "two"]
    assert [item["id"] for item in rest["data"]] == [published[0]]


async def test_me_stands_for_the_tokens_account(
    account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    response = await graph.get("/me", params={"fields": "id,username"})

    assert response.json() == {"id": account.ig_user_id, "username": "ada.makes"}


async def test_an_unknown_field_is_a_bad_request(
    account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    response = await graph.get(f"/{account.ig_user_id}", params={"fields": "id,shoe_size"})

    assert "(shoe_size)" in error_of(response)["message"]
