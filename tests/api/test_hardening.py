"""What an outside probe found missing: failed authentication is slowed per address (429 with
Retry-After), oversized headers are refused before anything reads them, every answer tells
browsers and caches not to misuse it, and the docs page needs no CDN."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.api.main import create_app
from app.settings import Settings
from tests.utils.databases import fresh_database
from tests.utils.factories import new_organization
from tests.utils.servers import free_port, serve

FAILED_AUTHENTICATION_LIMIT = Settings().failed_authentications_per_minute
FAILED_DELIVERY_LIMIT = Settings().failed_deliveries_per_minute


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """An API of its own (its failure counts are its own), and a good key."""
    with fresh_database("sqlite", tmp_path) as database_url:
        settings = Settings(
            environment="test",
            database_url=database_url,
            temporal_address=f"127.0.0.1:{free_port()}",
            data_dir=tmp_path,
        )
        _, key = await new_organization(settings, "Probed")
        async with serve(create_app(settings)) as url:
            yield url, key


def wrong_key() -> str:
    return "fh_" + secrets.token_urlsafe(32)


async def test_an_address_that_keeps_failing_to_authenticate_gets_429_with_retry_after(
    server: tuple[str, str],
) -> None:
    url, key = server
    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(FAILED_AUTHENTICATION_LIMIT):
            answer = await client.get(
                "/workflows", headers={"Authorization": f"Bearer {wrong_key()}"}
            )
            assert answer.status_code == 401
        throttled = await client.get(
            "/workflows", headers={"Authorization": f"Bearer {wrong_key()}"}
        )
        # Even the right key waits: the address, not the key, is being slowed down.
        good = await client.get("/organization", headers={"Authorization": f"Bearer {key}"})

    assert throttled.status_code == 429
    assert throttled.json()["error"]["type"] == "too_many_requests"
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert good.status_code == 429


async def test_keys_that_cannot_be_ours_count_as_failures_without_a_lookup(
    server: tuple[str, str],
) -> None:
    url, _ = server
    async with httpx.AsyncClient(base_url=url) as client:
        answers = [
            (
                await client.get("/workflows", headers={"Authorization": f"Bearer {guess}"})
            ).status_code
            for guess in ["x" * 300] * FAILED_AUTHENTICATION_LIMIT + ["fh_short"]
        ]

    assert answers[:-1] == [401] * FAILED_AUTHENTICATION_LIMIT
    assert answers[-1] == 429


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer fh_" + "a" * 9_000},
        {f"X-Filler-{i}": "b" * 4_000 for i in range(10)},
    ],
)
async def test_oversized_headers_are_refused_with_431(
    server: tuple[str, str], headers: dict[str, str]
) -> None:
    url, _ = server
    async with httpx.AsyncClient(base_url=url) as client:
        answer = await client.get("/workflows", headers=headers)

    assert answer.status_code == 431
    assert answer.json()["error"]["type"] == "headers_too_large"


async def test_every_answer_forbids_sniffing_and_caching(server: tuple[str, str]) -> None:
    url, key = server
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=auth) as client:
        answers = [
            await client.post("/api-keys", json={"name": "shown once"}),
            await client.get("/organization"),
            await client.get("/nope"),
            await client.get("/workflows", headers={"Authorization": "Bearer wrong"}),
        ]

    for answer in answers:
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "no-store"


async def test_the_docs_load_their_assets_from_this_server(server: tuple[str, str]) -> None:
    url, _ = server
    async with httpx.AsyncClient(base_url=url) as client:
        pages = [(await client.get(path)).text for path in ("/docs", "/redoc")]
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", "".join(pages))
        fetched = [await client.get(asset) for asset in assets]

    assert assets
    assert all(asset.startswith("/") for asset in assets), assets
    assert [answer.status_code for answer in fetched] == [200] * len(assets)


async def test_an_address_whose_deliveries_keep_failing_gets_429(server: tuple[str, str]) -> None:
    url, _ = server
    async with httpx.AsyncClient(base_url=url) as client:
        answers = [
            (await client.post(f"/hooks/wh_{secrets.token_hex(8)}", json={})).status_code
            for _ in range(FAILED_DELIVERY_LIMIT + 1)
        ]

    assert answers[:-1] == [404] * FAILED_DELIVERY_LIMIT
    assert answers[-1] == 429
