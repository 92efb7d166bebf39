"""Insights on the emulated Instagram: a media's lifetime metrics and the account's metrics."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from emulator.control import InstagramAccount
from emulator.testing import EmulatorHandle


async def published(
    emulator: EmulatorHandle, graph: httpx.AsyncClient, account: InstagramAccount, **params: str
) -> str:
    """Publish a media; its id."""
    params = params or {"image_url": "https://cdn.example.com/a.jpg"}
    container_id = (await graph.post(f"/{account.ig_user_id}/media", data=params)).json()["id"]
    emulator.set_container_status(container_id, "FINISHED")
    response = await graph.post(
        f"/{account.ig_user_id}/media_publish", params={"creation_id": container_id}
    )
    media_id: str = response.json()["id"]
    return media_id


async def test_media_insights_report_each_metric_asked_for(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    media_id = await published(emulator, graph, account)
    emulator.set_insights(media_id, reach=321, likes=12)

    response = await graph.get(f"/{media_id}/insights", params={"metric": "reach,likes,shares"})

    data = response.json()["data"]
    assert [(entry["name"], entry["period"]) for entry in data] == [
        ("reach", "lifetime"),
        ("likes", "lifetime"),
        ("shares", "lifetime"),
    ]
    assert [entry["values"][0]["value"] for entry in data[:2]] == [321, 12]
    assert isinstance(data[2]["values"][0]["value"], int)
    assert data[0]["id"] == f"{media_id}/insights/reach/lifetime"


async def test_unset_metrics_are_stable_between_reads(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    media_id = await published(emulator, graph, account)

    first = (await graph.get(f"/{media_id}/insights", params={"metric": "views"})).json()
    second = (await graph.get(f"/{media_id}/insights", params={"metric": "views"})).json()

    assert first == second


async def test_like_count_agrees_with_the_likes_metric(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    media_id = await published(emulator, graph, account)
    emulator.set_insights(media_id, likes=42)

    response = await graph.get(f"/{media_id}", params={"fields": "like_count"})

    assert response.json() == {"like_count": 42}


async def test_an_unknown_metric_is_refused_naming_the_allowed_ones(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    media_id = await published(emulator, graph, account)

    response = await graph.get(f"/{media_id}/insights", params={"metric": "reach,applause"})

    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (400, 100)
    assert error["message"].startswith("(#100) metric[1] must be one of the following values:")


async def test_a_story_metric_is_refused_for_a_feed_image(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    media_id = await published(emulator, graph, account)

    response = await graph.get(f"/{media_id}/insights", params={"metric": "navigation"})

    assert "navigation metric for this media product type" in response.json()["error"]["message"]


async def test_a_story_has_its_story_metrics(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    media_id = await published(
        emulator, graph, account, media_type="STORIES", image_url="https://cdn.example.com/s.jpg"
    )

    response = await graph.get(f"/{media_id}/insights", params={"metric": "navigation,replies"})

    assert response.status_code == 200


async def test_account_insights_give_one_value_per_day(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    until = emulator.state.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    since = until - timedelta(days=3)

    response = await graph.get(
        f"/{account.ig_user_id}/insights",
        params={
            "metric": "reach",
            "period": "day",
            "since": int(since.timestamp()),
            "until": int(until.timestamp()),
        },
    )

    [entry] = response.json()["data"]
    ends = [datetime.strptime(v["end_time"], "%Y-%m-%dT%H:%M:%S%z") for v in entry["values"]]
    assert ends == [since + timedelta(days=n) for n in (1, 2, 3)]


async def test_account_totals_come_with_metric_type_total_value(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    emulator.set_insights(account.ig_user_id, accounts_engaged=9)

    response = await graph.get(
        f"/{account.ig_user_id}/insights",
        params={"metric": "accounts_engaged", "period": "day", "metric_type": "total_value"},
    )

    [entry] = response.json()["data"]
    assert entry["total_value"] == {"value": 9}


async def test_interaction_metrics_need_total_value(
    account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    response = await graph.get(
        f"/{account.ig_user_id}/insights", params={"metric": "reach,likes", "period": "day"}
    )

    assert (
        "(likes) should be specified with parameter metric_type=total_value"
        in (response.json()["error"]["message"])
    )


@pytest.mark.parametrize(
    "params",
    [
        {"metric": "reach"},
        {"metric": "reach", "period": "lifetime"},
        {"metric": "reach", "period": "day", "since": "yesterday"},
        {"metric": "reach", "period": "day", "since": "1700000000", "until": "1600000000"},
        {"metric": "reach", "period": "day", "since": "1600000000", "until": "1700000000"},
        {"period": "day"},
    ],
)
async def test_a_bad_account_insights_request_says_what_is_wrong(
    account: InstagramAccount, graph: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await graph.get(f"/{account.ig_user_id}/insights", params=params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


async def test_insights_of_someone_elses_media_are_invisible(
    emulator: EmulatorHandle, account: InstagramAccount, graph: httpx.AsyncClient
) -> None:
    media_id = await published(emulator, graph, account)
    other = emulator.add_instagram_user("someone.else")

    response = await graph.get(
        f"/{media_id}/insights", params={"metric": "reach", "access_token": other.access_token}
    )

    assert response.json()["error"]["error_subcode"] == 33
