"""The `http.request` activity against real local HTTP servers: bodies, statuses, limits,
credentials from the vault, and the private-network guard."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.http.network import is_public
from activities.http.request import HttpActivities, retry_after_seconds
from activities.services import ActionServices
from app.store.accounts import set_account_status
from app.vault.credentials import CredentialKind
from tests.activities.support import action, new_account, new_organization, services_for
from tests.utils.servers import serve


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/json")
    async def echo_json(request: Request) -> dict[str, Any]:
        return {"received": await request.json(), "content_type": request.headers["content-type"]}

    @app.post("/form")
    async def echo_form(request: Request) -> dict[str, Any]:
        return {
            "received": dict(parse_qsl((await request.body()).decode())),
            "content_type": request.headers["content-type"],
        }

    @app.post("/raw")
    async def echo_raw(request: Request) -> dict[str, Any]:
        return {
            "received": (await request.body()).decode(),
            "content_type": request.headers["content-type"],
        }

    @app.get("/missing")
    async def missing() -> Response:
        return JSONResponse({"detail": "no such item"}, status_code=404)

    @app.get("/busy")
    async def busy() -> Response:
        return Response("try later", status_code=503, headers={"Retry-After": "7"})

    @app.get("/text")
    async def text(request: Request) -> Response:
        return Response(f"q={request.query_params['q']}", media_type="text/plain")

    @app.get("/big")
    async def big() -> Response:
        return Response(b"x" * 2000, media_type="application/octet-stream")

    @app.get("/moved")
    async def moved() -> Response:
        return RedirectResponse("/text?q=moved", status_code=302)

    @app.get("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        return {"headers": dict(request.headers), "query": dict(request.query_params)}

    @app.get("/elsewhere")
    async def elsewhere(request: Request) -> Response:
        # Same server, another origin: the name instead of the address.
        return RedirectResponse(f"http://localhost:{request.url.port}/echo", status_code=302)

    @app.get("/limited")
    async def limited() -> Response:
        later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
        return Response("slow down", status_code=429, headers={"Retry-After": later})

    return app


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[str]:
    async with serve(_app()) as base_url:
        yield base_url


@pytest.fixture(scope="module")
async def organization(services: ActionServices) -> str:
    """An organization that allows private networks: every test server is on loopback."""
    return await new_organization(services.database, private_networks=True)


@pytest.fixture
async def call(services: ActionServices, organization: str) -> Any:
    async def call(account_id: str | None = None, **parameters: Any) -> dict[str, Any]:
        activities = HttpActivities(services)
        request = action(
            "http.request", parameters, organization_id=organization, account_id=account_id
        )
        result: dict[str, Any] = await ActivityEnvironment().run(activities.request, request)
        return result

    return call


async def test_json_body_round_trip(server: str, call: Any) -> None:
    payload = {"name": "Ada", "tags": ["a", "b"], "n": 1.5, "ok": True, "none": None}
    result = await call(method="POST", url=f"{server}/json", body={"type": "json", "json": payload})
    assert result["status"] == 200
    assert result["headers"]["content-type"] == "application/json"
    assert result["body"] == {"received": payload, "content_type": "application/json"}


async def test_form_body_is_sent_url_encoded(server: str, call: Any) -> None:
    form = {"grant_type": "client_credentials", "scope": "a b&c"}
    result = await call(method="POST", url=f"{server}/form", body={"type": "form", "form": form})
    assert result["body"] == {
        "received": form,
        "content_type": "application/x-www-form-urlencoded",
    }


async def test_raw_body_is_sent_as_is_with_its_content_type(server: str, call: Any) -> None:
    body = {"type": "raw", "raw": "<ping/>", "content_type": "application/xml"}
    result = await call(method="POST", url=f"{server}/raw", body=body)
    assert result["body"] == {"received": "<ping/>", "content_type": "application/xml"}


async def test_query_is_added_and_text_is_returned_as_text(server: str, call: Any) -> None:
    result = await call(url=f"{server}/text", query={"q": "a b"})
    assert result["body"] == "q=a b"


async def test_redirects_are_followed(server: str, call: Any) -> None:
    assert (await call(url=f"{server}/moved"))["body"] == "q=moved"


async def test_too_many_redirects_fail_without_retry(server: str, call: Any) -> None:
    with pytest.raises(ApplicationError) as caught:
        await call(url=f"{server}/moved", max_redirects=0)
    assert caught.value.non_retryable


async def test_client_error_fails_without_retry(server: str, call: Any) -> None:
    with pytest.raises(ApplicationError) as caught:
        await call(url=f"{server}/missing")
    assert caught.value.non_retryable
    assert caught.value.type == "HTTP404"


async def test_unavailable_retries_after_the_servers_delay(server: str, call: Any) -> None:
    with pytest.raises(ApplicationError) as caught:
        await call(url=f"{server}/busy")
    assert not caught.value.non_retryable
    assert caught.value.next_retry_delay == timedelta(seconds=7)


async def test_error_status_is_output_when_fail_on_status_is_false(server: str, call: Any) -> None:
    result = await call(url=f"{server}/missing", fail_on_status=False)
    assert (result["status"], result["body"]) == (404, {"detail": "no such item"})


async def test_response_larger_than_the_limit_fails_without_retry(server: str, call: Any) -> None:
    with pytest.raises(ApplicationError) as caught:
        await call(url=f"{server}/big", max_response_bytes=1000)
    assert (caught.value.type, caught.value.non_retryable) == ("ResponseTooLarge", True)


async def test_json_format_refuses_a_body_that_is_not_json(server: str, call: Any) -> None:
    with pytest.raises(ApplicationError) as caught:
        await call(url=f"{server}/text", query={"q": "1"}, response_format="json")
    assert (caught.value.type, caught.value.non_retryable) == ("InvalidJson", True)


async def test_rendered_parameters_are_checked_before_sending(call: Any) -> None:
    with pytest.raises(ApplicationError) as caught:
        await call(url="ftp://example.com/file")
    assert (caught.value.type, caught.value.non_retryable) == ("InvalidParameters", True)


# Retry-After


async def test_too_many_requests_retries_at_the_http_date_the_server_names(
    server: str, call: Any
) -> None:
    with pytest.raises(ApplicationError) as caught:
        await call(url=f"{server}/limited")
    assert (caught.value.type, caught.value.non_retryable) == ("HTTP429", False)
    delay = caught.value.next_retry_delay
    assert delay is not None
    assert timedelta(minutes=59) < delay <= timedelta(hours=1)


def test_retry_after_reads_seconds_and_dates_and_ignores_nonsense() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


# Credentials from the vault


@pytest.fixture
def http_account(services: ActionServices, organization: str) -> Any:
    """Connects an `http` account holding a credential of a kind; returns its id."""

    async def connect(kind: CredentialKind, secret: dict[str, str]) -> str:
        return await new_account(
            services, organization_id=organization, platform="http", kind=kind, secret=secret
        )

    return connect


CREDENTIALS: list[tuple[CredentialKind, dict[str, str], str, str]] = [
    ("bearer", {"token": "tok-123"}, "authorization", "Bearer tok-123"),
    ("basic", {"username": "ada", "password": "pa:ss"}, "authorization",
     "Basic " + base64.b64encode(b"ada:pa:ss").decode()),
    ("header", {"name": "X-Api-Key", "value": "k-456"}, "x-api-key", "k-456"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "secret", "header", "sent"), CREDENTIALS)
async def test_a_credential_is_sent_as_its_kind_says(
    server: str,
    call: Any,
    http_account: Any,
    kind: CredentialKind,
    secret: dict[str, str],
    header: str,
    sent: str,
) -> None:
    account = await http_account(kind, secret)
    result = await call(account, url=f"{server}/echo")
    assert result["body"]["headers"][header] == sent


async def test_a_query_credential_is_added_to_the_query(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    account = await new_account(
        services, organization_id=organization, platform="http", kind="query",
        secret={"name": "api_key", "value": "q-789"},
    )  # fmt: skip
    result = await call(account, url=f"{server}/echo", query={"page": "2"})
    assert result["body"]["query"] == {"page": "2", "api_key": "q-789"}


@pytest.mark.parametrize(
    ("kind", "secret", "hidden"),
    [
        ("bearer", {"token": "tok-secret-123"}, "tok-secret-123"),
        ("basic", {"username": "ada", "password": "pw-secret-456"}, "pw-secret-456"),
        ("header", {"name": "X-Api-Key", "value": "key-secret-789"}, "key-secret-789"),
        ("query", {"name": "api_key", "value": "query-secret-012"}, "query-secret-012"),
    ],
)
async def test_a_credential_reaches_neither_logs_nor_errors(
    server: str, call: Any, http_account: Any, caplog: pytest.LogCaptureFixture,
    kind: CredentialKind, secret: dict[str, str], hidden: str,
) -> None:  # fmt: skip
    """Issue 6.1: a request that succeeds and one that fails, logged at every level."""
    account = await http_account(kind, secret)
    with caplog.at_level(logging.DEBUG):
        await call(account, url=f"{server}/text", query={"q": "hi"})
        with pytest.raises(ApplicationError) as caught:
            await call(account, url=f"{server}/missing", query={"page": "2"})
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert hidden not in caplog.text
    assert hidden not in str(caught.value)
    assert hidden not in repr(caught.value.details)


async def test_a_credential_header_does_not_follow_a_redirect_to_another_origin(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    account = await new_account(
        services, organization_id=organization, platform="http", kind="header",
        secret={"name": "X-Api-Key", "value": "k-456"},
    )  # fmt: skip
    same_origin = await call(account, url=f"{server}/echo")
    moved = await call(account, url=f"{server}/elsewhere")
    assert "x-api-key" in same_origin["body"]["headers"]
    assert "x-api-key" not in moved["body"]["headers"]


async def test_an_account_of_another_platform_is_refused(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    account = await new_account(
        services, organization_id=organization, platform="x", kind="token",
        secret={"access_token": "x-token"},
    )  # fmt: skip
    with pytest.raises(ApplicationError) as caught:
        await call(account, url=f"{server}/echo")
    assert (caught.value.type, caught.value.non_retryable) == ("AccountUnusable", True)
    assert "x-token" not in str(caught.value)


async def test_an_account_of_another_organization_is_unknown(
    server: str, call: Any, services: ActionServices
) -> None:
    other = await new_organization(services.database)
    account = await new_account(
        services, organization_id=other, platform="http", kind="bearer",
        secret={"token": "theirs"},
    )  # fmt: skip
    with pytest.raises(ApplicationError) as caught:
        await call(account, url=f"{server}/echo")
    assert caught.value.type == "AccountUnusable"
    assert "does not exist" in caught.value.message


async def test_a_revoked_account_is_not_used(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    account = await new_account(
        services, organization_id=organization, platform="http", kind="bearer",
        secret={"token": "old"},
    )  # fmt: skip
    async with services.database.session() as session:
        await set_account_status(
            session, organization_id=organization, account_id=account, status="revoked"
        )
    with pytest.raises(ApplicationError) as caught:
        await call(account, url=f"{server}/echo")
    assert caught.value.type == "AccountUnusable"
    assert "revoked" in caught.value.message


# Private networks


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1",  # noqa: S104 (not a binding)
     "::ffff:127.0.0.1", "::ffff:10.0.0.1"],
)  # fmt: skip
def test_private_local_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public(address)


@pytest.fixture
async def guarded(services: ActionServices) -> tuple[HttpActivities, str]:
    """The activity for an organization that has not allowed private networks."""
    organization = await new_organization(services.database)
    return HttpActivities(services), organization


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_loopback_destination_is_refused_unless_the_organization_allows_it(
    server: str, guarded: tuple[HttpActivities, str], host: str
) -> None:
    activities, organization = guarded
    port = server.rsplit(":", 1)[1]
    request = action(
        "http.request", {"url": f"http://{host}:{port}/echo"}, organization_id=organization
    )
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities.request, request)
    assert (caught.value.type, caught.value.non_retryable) == ("AddressNotAllowed", True)
    assert "private or local address" in caught.value.message


async def test_the_engine_wide_setting_allows_private_networks_for_everyone(
    server: str, module_database_url: str, services: ActionServices
) -> None:
    organization = await new_organization(services.database)
    allowing = services_for(module_database_url, allow_private=True)
    request = action("http.request", {"url": f"{server}/echo"}, organization_id=organization)
    try:
        result = await ActivityEnvironment().run(HttpActivities(allowing).request, request)
    finally:
        await allowing.close()
    assert result["status"] == 200
