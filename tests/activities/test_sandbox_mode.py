"""Sandbox mode comes from the settings alone: every process that reads SANDBOX=true points X
and Instagram at the emulator with the sandbox's OAuth client, and no request leaves for a
real platform host, not even an `http.request` aimed at one or redirected to one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.endpoints import PlatformEndpoints
from activities.http.request import HttpActivities
from app.settings import SANDBOX_X_CLIENT_ID, Settings
from tests.activities.support import action, new_organization, services_for
from tests.utils.servers import serve

REAL_SECRET = "my-real-secret"


def configured_for_real(**extra: Any) -> Settings:
    """Settings that name the real platforms and a real OAuth app."""
    return Settings(
        x_api_base_url="https://api.x.com",
        x_authorize_url="https://x.com/i/oauth2/authorize",
        x_client_id="my-real-app",
        x_client_secret=REAL_SECRET,
        instagram_api_base_url="https://graph.instagram.com",
        **extra,
    )


def test_sandbox_settings_point_every_platform_at_the_emulator_whatever_else_is_set() -> None:
    settings = configured_for_real(sandbox=True, sandbox_port=8977)

    endpoints = PlatformEndpoints.from_settings(settings)

    assert endpoints.x_api_base_url == "http://127.0.0.1:8977"
    assert endpoints.x_authorize_url == "http://127.0.0.1:8977/i/oauth2/authorize"
    assert endpoints.instagram_api_base_url == "http://127.0.0.1:8977"
    assert endpoints.x_client_id == SANDBOX_X_CLIENT_ID
    assert endpoints.x_client_secret not in ("", REAL_SECRET)
    assert endpoints.sandbox


def test_every_process_derives_the_same_sandbox_client_secret_from_the_secret_key() -> None:
    api = Settings(sandbox=True, secret_key="k" * 40)
    worker = Settings(sandbox=True, secret_key="k" * 40)
    other_install = Settings(sandbox=True, secret_key="o" * 40)

    assert api.x_client_secret == worker.x_client_secret
    assert api.x_client_secret != other_install.x_client_secret


def test_without_the_sandbox_the_configured_platforms_stay() -> None:
    endpoints = PlatformEndpoints.from_settings(configured_for_real())

    assert endpoints.x_api_base_url == "https://api.x.com"
    assert endpoints.x_client_secret == REAL_SECRET
    assert not endpoints.sandbox


def _redirecting_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ok")
    async def ok() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/to-x")
    async def to_x() -> RedirectResponse:
        return RedirectResponse("https://api.x.com/2/users/me")

    return app


@pytest.fixture(scope="module")
async def redirector() -> AsyncIterator[str]:
    async with serve(_redirecting_app()) as url:
        yield url


@pytest.mark.parametrize(
    "url",
    [
        "https://api.x.com/2/tweets",
        "https://upload.twitter.com/1.1/media/upload.json",
        "https://graph.instagram.com/v21.0/me",
        "https://GRAPH.FACEBOOK.COM./v21.0/me",
    ],
)
async def test_in_sandbox_mode_an_http_request_to_a_real_platform_is_refused(
    module_database_url: str, url: str
) -> None:
    services = services_for(module_database_url, PlatformEndpoints(sandbox=True))
    organization = await new_organization(services.database)
    try:
        with pytest.raises(ApplicationError) as refused:
            await ActivityEnvironment().run(
                HttpActivities(services).request,
                action("http.request", {"url": url}, organization_id=organization),
            )
    finally:
        await services.close()

    assert refused.value.type == "SandboxRefused"
    assert refused.value.non_retryable


async def test_in_sandbox_mode_a_redirect_to_a_real_platform_is_refused(
    module_database_url: str, redirector: str
) -> None:
    services = services_for(module_database_url, PlatformEndpoints(sandbox=True))
    organization = await new_organization(services.database, private_networks=True)
    request = action(
        "http.request",
        {"url": f"{redirector}/to-x", "follow_redirects": True},
        organization_id=organization,
    )
    try:
        with pytest.raises(ApplicationError) as refused:
            await ActivityEnvironment().run(HttpActivities(services).request, request)
    finally:
        await services.close()

    assert refused.value.type == "SandboxRefused"


async def test_in_sandbox_mode_other_hosts_are_called_as_usual(
    module_database_url: str, redirector: str
) -> None:
    services = services_for(module_database_url, PlatformEndpoints(sandbox=True))
    organization = await new_organization(services.database, private_networks=True)
    request = action("http.request", {"url": f"{redirector}/ok"}, organization_id=organization)
    try:
        answer = await ActivityEnvironment().run(HttpActivities(services).request, request)
    finally:
        await services.close()

    assert answer["status"] == 200
