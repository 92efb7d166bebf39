"""CORS for builders served from another origin: `CORS_ORIGINS` lists exact origins; a listed
one gets its preflight answered and every answer marked readable by it, any other gets no
CORS header; with none configured, nothing changes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from app.settings import Settings
from tests.conftest import ApiHarness
from tests.utils.api_servers import SharedApis, organization_on

BUILDER = "https://builder.example.com"
DEV_SERVER = "http://localhost:5173"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.fixture
async def cors_api(api_servers: SharedApis, backend: str) -> AsyncIterator[ApiHarness]:
    # Listed as a person might type it; browsers send hosts in lower case.
    server = await api_servers.get(backend, cors_origins=f"{BUILDER}, http://LocalHost:5173")
    async with organization_on(server) as harness:
        yield harness


@pytest.mark.parametrize("origin", [BUILDER, DEV_SERVER])
async def test_a_listed_origin_gets_its_preflight_answered(
    cors_api: ApiHarness, origin: str
) -> None:
    response = await cors_api.client.options(
        "/workflows/validate", headers={"Origin": origin, **PREFLIGHT}
    )
    assert response.status_code == 204
    assert response.content == b""
    headers = response.headers
    assert headers["access-control-allow-origin"] == origin
    assert headers["access-control-allow-methods"] == "GET, POST, PUT, PATCH, DELETE"
    assert headers["access-control-allow-headers"] == (
        "Authorization, Content-Type, Idempotency-Key, Last-Event-ID"
    )
    assert headers["access-control-max-age"] == "600"
    assert headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in headers


async def test_every_answer_to_a_listed_origin_is_readable_by_it(cors_api: ApiHarness) -> None:
    for response in (
        await cors_api.client.get("/workflows", headers={"Origin": BUILDER}),
        await cors_api.client.get("/workflows/wf_unknown", headers={"Origin": BUILDER}),
        await cors_api.client.get(
            "/workflows", headers={"Origin": BUILDER, "Authorization": "Bearer fh_wrong"}
        ),
    ):
        assert response.headers["access-control-allow-origin"] == BUILDER
        assert response.headers["access-control-expose-headers"] == "Content-Disposition"
        assert "Origin" in response.headers["vary"]
        assert "access-control-allow-credentials" not in response.headers
    assert response.status_code == 401


async def test_an_unlisted_origin_gets_no_cors_header_and_is_not_refused(
    cors_api: ApiHarness,
) -> None:
    other = {"Origin": "https://builder.example.com.evil.example"}
    response = await cors_api.client.get("/workflows", headers=other)
    assert response.status_code == 200
    assert not [name for name in response.headers if name.startswith("access-control-")]
    preflight = await cors_api.client.options("/workflows", headers={**other, **PREFLIGHT})
    assert not [name for name in preflight.headers if name.startswith("access-control-")]


async def test_without_cors_origins_there_are_no_cors_headers(api: ApiHarness) -> None:
    response = await api.client.get("/workflows", headers={"Origin": BUILDER})
    assert not [name for name in response.headers if name.startswith("access-control-")]
    preflight = await api.client.options(
        "/workflows/validate", headers={"Origin": BUILDER, **PREFLIGHT}
    )
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize(
    "value",
    ["https://builder.example.com/", "builder.example.com", "https://a.example/ui", "ftp://a.b"],
)
def test_cors_origins_must_be_exact_origins(value: str) -> None:
    with pytest.raises(ValidationError, match=r"CORS_ORIGINS: .* is not an origin"):
        Settings(_env_file=None, cors_origins=value)


def test_any_origin_is_refused_in_production_only() -> None:
    assert Settings(_env_file=None, cors_origins="*").cors_origin_list == ("*",)
    with pytest.raises(ValidationError, match=r"CORS_ORIGINS .\*. lets any web page"):
        Settings(
            _env_file=None,
            environment="production",
            cors_origins="*",
            secret_key="Zq8vN3xR7tL2mK9pW4yB6cH1jF5sD0gA-eU_iO",
            vault_keys="k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
        )
