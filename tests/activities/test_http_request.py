"""The `http.request` activity against real local HTTP servers: bodies, statuses, limits,
credentials from the vault, and the private-network guard."""

from __future__ import annotations

import base64
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.http.request import HttpActivities
from activities.network import is_public
from activities.retry_delays import retry_after_seconds
from activities.services import ActionServices
from app.store.accounts import set_account_status, update_account
from app.vault.credentials import ALLOWED_HOSTS_FIELD, CredentialKind
from tests.activities.support import (
    Attempts,
    action,
    new_account,
    new_organization,
    services_for,
)
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

    @app.get("/raw-query")
    async def raw_query(request: Request) -> Response:
        return Response(request.scope["query_string"], media_type="text/plain")

    @app.get("/elsewhere")
    async def elsewhere(request: Request) -> Response:
        # Same server, another origin: the name instead of the address.
        return RedirectResponse(f"http://localhost:{request.url.port}/echo", status_code=302)

    @app.get("/elsewhere-with-query")
    async def elsewhere_with_query(request: Request) -> Response:
        port, query = request.url.port, request.url.query
        return RedirectResponse(f"http://localhost:{port}/echo?{query}", status_code=307)

    @app.get("/limited")
    async def limited() -> Response:
        later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
        return Response("slow down", status_code=429, headers={"Retry-After": later})

    @app.get("/throttled")
    async def throttled(after: str) -> Response:
        return Response("slow down", status_code=429, headers={"Retry-After": after})

    every_method = ["POST", "PUT", "PATCH", "DELETE", "GET", "HEAD", "OPTIONS"]

    @app.api_route("/ledgers/{ledger}", methods=every_method)
    async def apply(ledger: str, request: Request) -> Response:
        return LEDGERS[ledger].apply(request)

    @app.get("/html")
    async def html() -> Response:
        return Response("<html><body>Bad gateway</body></html>", media_type="text/html")

    @app.get("/nested")
    async def nested() -> Response:
        return Response("[" * 100_000 + "]" * 100_000, media_type="application/json")

    @app.get("/huge-number")
    async def huge_number() -> Response:
        return Response("1" * 5000, media_type="application/json")

    return app


@dataclass
class Ledger:
    """A remote API that honours `Idempotency-Key`: a repeated key answers what the first
    request got instead of applying again. `lose_next` applies, then answers 503."""

    applied: int = 0
    keys: list[str | None] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    lose_next: int = 0

    def apply(self, request: Request) -> Response:
        key = request.headers.get("idempotency-key")
        self.keys.append(key)
        if key is None or key not in self.answers:
            self.applied += 1
            if key is not None:
                self.answers[key] = self.applied
        if self.lose_next:
            self.lose_next -= 1
            return Response("try again", status_code=503)
        return JSONResponse({"applied": self.applied})


LEDGERS: defaultdict[str, Ledger] = defaultdict(Ledger)


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


# The URL's own query and the `query` parameter (issue 12, point 13): httpx's `params`
# replaces the URL's query in some of the versions our range admits and merges it in others.


async def test_the_urls_own_query_is_sent_as_written(server: str, call: Any) -> None:
    written = "flag&path=a%2Fb&space=a+b&tag=x&tag=y"
    result = await call(url=f"{server}/raw-query?{written}")
    assert result["body"] == written


async def test_query_is_added_to_the_urls_own_query(server: str, call: Any) -> None:
    result = await call(url=f"{server}/raw-query?a=1&tag=x&tag=y", query={"b": "2 3"})
    assert result["body"] == "a=1&tag=x&tag=y&b=2%203"


async def test_query_replaces_the_urls_parameters_of_the_same_name(server: str, call: Any) -> None:
    result = await call(url=f"{server}/raw-query?page=1&keep=y&page=9", query={"page": "2"})
    assert result["body"] == "keep=y&page=2"


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


async def test_a_body_that_is_not_the_requested_json_fails_without_retry(
    server: str, call: Any
) -> None:
    with pytest.raises(ApplicationError) as caught:
        await call(url=f"{server}/html", response_format="json")
    assert (caught.value.type, caught.value.non_retryable) == ("InvalidJson", True)
    assert "not JSON" in caught.value.message


@pytest.mark.parametrize("path", ["/nested", "/huge-number"])
async def test_json_python_cannot_read_fails_without_retry(
    server: str, call: Any, path: str
) -> None:
    # Nesting past the recursion limit and integers past Python's digit limit raise other
    # errors than JSONDecodeError; retrying would read the same body again.
    with pytest.raises(ApplicationError) as caught:
        await call(url=f"{server}{path}", response_format="json")
    assert (caught.value.type, caught.value.non_retryable) == ("InvalidJson", True)


@pytest.mark.parametrize("path", ["/nested", "/huge-number"])
async def test_auto_format_keeps_json_python_cannot_read_as_text(
    server: str, call: Any, path: str
) -> None:
    result = await call(url=f"{server}{path}")
    assert isinstance(result["body"], str)


# Idempotency-Key


async def _attempts_until_success(
    services: ActionServices, organization: str, parameters: dict[str, Any], *, node_id: str
) -> tuple[Attempts, dict[str, Any]]:
    """The activity run as Temporal retries it: the same input until an attempt succeeds."""
    attempts = Attempts()
    request = action("http.request", parameters, organization_id=organization, node_id=node_id)
    for _ in range(3):
        try:
            result: dict[str, Any] = await attempts.run(HttpActivities(services).request, request)
        except ApplicationError as error:
            if error.non_retryable:
                raise
            continue
        return attempts, result
    raise AssertionError("no attempt succeeded")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_a_retry_after_a_lost_answer_does_not_apply_twice(
    server: str, services: ActionServices, organization: str, method: str
) -> None:
    ledger = LEDGERS[f"retry-{method}"]
    ledger.lose_next = 1
    parameters = {"method": method, "url": f"{server}/ledgers/retry-{method}"}
    attempts, result = await _attempts_until_success(
        services, organization, parameters, node_id=f"node-{method}"
    )
    assert attempts.attempt == 2
    assert (result["status"], result["body"], ledger.applied) == (200, {"applied": 1}, 1)
    first, second = ledger.keys
    assert first is not None
    assert first == second


async def test_the_key_is_the_same_for_one_step_and_differs_between_steps(
    server: str, services: ActionServices, organization: str
) -> None:
    url = f"{server}/ledgers/steps"
    for node_id in ("a", "a", "b"):
        await _attempts_until_success(
            services, organization, {"method": "POST", "url": url}, node_id=node_id
        )
    first, again, other = LEDGERS["steps"].keys
    assert first == again != other
    assert first is not None
    assert "run/" not in first  # our ids stay ours


async def test_a_key_the_user_set_is_sent_as_it_is(server: str, call: Any) -> None:
    url = f"{server}/ledgers/own-key"
    await call(method="POST", url=url, headers={"idempotency-key": "mine-1"})
    assert LEDGERS["own-key"].keys == ["mine-1"]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
async def test_safe_methods_carry_no_key(
    server: str, services: ActionServices, organization: str, method: str
) -> None:
    url = f"{server}/ledgers/safe-{method}"
    parameters = {"method": method, "url": url}
    await _attempts_until_success(services, organization, parameters, node_id="safe")
    assert LEDGERS[f"safe-{method}"].keys == [None]


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


def _in(delta: timedelta) -> str:
    return format_datetime(datetime.now(UTC) + delta, usegmt=True)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (_in(-timedelta(days=3)), timedelta(0)),
        ("Fri, 31 Dec 9999 23:59:59 GMT", timedelta(hours=1)),
        ("9" * 400, timedelta(hours=1)),
        ("99999999999999", timedelta(hours=1)),
        (str(7 * 24 * 3600), timedelta(hours=1)),
    ],
    ids=["date-in-the-past", "year-9999", "400-digits", "past-timedelta", "a-week"],
)
async def test_retry_after_is_clamped_to_an_hour_without_a_retry_policy(
    server: str, call: Any, after: str, expected: timedelta
) -> None:
    with pytest.raises(ApplicationError) as caught:
        await call(url=f"{server}/throttled", query={"after": after})
    assert (caught.value.type, caught.value.non_retryable) == ("HTTP429", False)
    assert caught.value.next_retry_delay == expected


async def test_retry_after_is_clamped_to_the_nodes_maximum_interval(
    server: str, services: ActionServices, organization: str
) -> None:
    attempts = Attempts(retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)))
    parameters = {"url": f"{server}/throttled", "query": {"after": _in(timedelta(days=365))}}
    request = action("http.request", parameters, organization_id=organization)
    with pytest.raises(ApplicationError) as caught:
        await attempts.run(HttpActivities(services).request, request)
    assert caught.value.next_retry_delay == timedelta(minutes=5)


def test_retry_after_reads_seconds_and_dates_and_ignores_nonsense() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("\u00b2", now) is None  # a digit to str.isdigit, not to float
    assert retry_after_seconds(None, now) is None


# Credentials from the vault


async def http_account(
    services: ActionServices,
    organization: str,
    kind: CredentialKind,
    secret: dict[str, str],
    hosts: tuple[str, ...] | None = ("127.0.0.1",),
) -> str:
    """An HTTP account for `hosts` (None: one stored before accounts named their hosts)."""
    bound = secret if hosts is None else {**secret, ALLOWED_HOSTS_FIELD: list(hosts)}
    return await new_account(
        services, organization_id=organization, platform="http", kind=kind, secret=bound
    )


CREDENTIALS: list[tuple[CredentialKind, dict[str, str], str, str]] = [
    ("bearer", {"token": "tok-123"}, "authorization", "Bearer tok-123"),
    ("basic", {"username": "ada", "password": "pa:ss"}, "authorization",
     "Basic " + base64.b64encode(b"ada:pa:ss").decode()),
    ("header", {"name": "X-Api-Key", "value": "k-456"}, "x-api-key", "k-456"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "secret", "header", "sent"), CREDENTIALS)
async def test_a_credential_is_sent_as_its_kind_says_and_not_to_another_host(
    server: str,
    call: Any,
    services: ActionServices,
    organization: str,
    kind: CredentialKind,
    secret: dict[str, str],
    header: str,
    sent: str,
) -> None:
    account = await http_account(services, organization, kind, secret)
    result = await call(account, url=f"{server}/echo")
    moved = await call(account, url=f"{server}/elsewhere")
    assert result["body"]["headers"][header] == sent
    assert moved["status"] == 200
    assert header not in moved["body"]["headers"]
    assert sent not in str(moved["body"])


async def test_a_query_credential_is_added_to_the_query(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    secret = {"name": "api_key", "value": "q-789"}
    account = await http_account(services, organization, "query", secret)
    result = await call(account, url=f"{server}/echo", query={"page": "2"})
    assert result["body"]["query"] == {"page": "2", "api_key": "q-789"}


async def test_a_query_credential_joins_the_urls_query_and_replaces_its_own_name(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    secret = {"name": "api_key", "value": "q-789"}
    account = await http_account(services, organization, "query", secret)
    result = await call(account, url=f"{server}/raw-query?api_key=guess&a=1")
    assert result["body"] == "a=1&api_key=q-789"


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
    server: str, call: Any, services: ActionServices, organization: str,
    caplog: pytest.LogCaptureFixture,
    kind: CredentialKind, secret: dict[str, str], hidden: str,
) -> None:  # fmt: skip
    """Issue 6.1: a request that succeeds and one that fails, logged at every level."""
    account = await http_account(services, organization, kind, secret)
    with caplog.at_level(logging.DEBUG):
        await call(account, url=f"{server}/text", query={"q": "hi"})
        with pytest.raises(ApplicationError) as caught:
            await call(account, url=f"{server}/missing", query={"page": "2"})
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert hidden not in caplog.text
    assert hidden not in str(caught.value)
    assert hidden not in repr(caught.value.details)


async def test_a_query_credential_does_not_follow_a_redirect_that_repeats_the_query(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    secret = {"name": "api_key", "value": "q-789"}
    account = await http_account(services, organization, "query", secret)
    moved = await call(account, url=f"{server}/elsewhere-with-query", query={"page": "2"})
    assert moved["body"]["query"] == {"page": "2"}


@pytest.mark.parametrize(
    "hosts", [("api.example.com",), ("*.0.0.1",), ("localhost",)], ids=lambda h: h[0]
)
async def test_a_host_the_credential_is_not_for_is_refused_before_sending(
    server: str, call: Any, services: ActionServices, organization: str, hosts: tuple[str, ...]
) -> None:
    account = await http_account(services, organization, "bearer", {"token": "t-1"}, hosts)
    with pytest.raises(ApplicationError) as caught:
        await call(account, method="POST", url=f"{server}/ledgers/wrong-host")
    assert (caught.value.type, caught.value.non_retryable) == ("HostNotAllowed", True)
    assert f"for {hosts[0]}, not 127.0.0.1" in caught.value.message
    assert "t-1" not in str(caught.value)
    assert LEDGERS["wrong-host"].keys == []


async def test_a_credential_without_allowed_hosts_is_not_sent_anywhere(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    account = await http_account(services, organization, "bearer", {"token": "t-2"}, None)
    with pytest.raises(ApplicationError) as caught:
        await call(account, url=f"{server}/ledgers/legacy")
    assert (caught.value.type, caught.value.non_retryable) == ("HostNotAllowed", True)
    assert "PATCH /accounts/" in caught.value.message
    assert LEDGERS["legacy"].keys == []


async def test_hosts_changed_on_the_account_apply_to_the_next_request(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    # What PATCH /accounts/{id} does: the secret stays, only the hosts it is sealed with change.
    legacy = await http_account(services, organization, "bearer", {"token": "t-3"}, None)
    narrowed = await http_account(services, organization, "bearer", {"token": "t-4"})
    async with services.database.session() as session:
        for account, hosts in ((legacy, ["127.0.0.1"]), (narrowed, ["api.example.com"])):
            await update_account(
                session, services.vault, organization_id=organization, account_id=account,
                allowed_hosts=hosts,
            )  # fmt: skip
    sent = await call(legacy, url=f"{server}/echo")
    with pytest.raises(ApplicationError) as caught:
        await call(narrowed, url=f"{server}/ledgers/narrowed")
    assert sent["body"]["headers"]["authorization"] == "Bearer t-3"
    assert caught.value.type == "HostNotAllowed"
    assert LEDGERS["narrowed"].keys == []


async def test_a_request_without_an_account_may_go_to_any_host(server: str, call: Any) -> None:
    assert (await call(url=f"{server.replace('127.0.0.1', 'localhost')}/echo"))["status"] == 200


async def test_an_x_accounts_token_is_refused_for_any_host_but_the_x_api(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    """An X or Instagram account authorises requests to its own platform's API only
    (tests/activities/test_run_time_accounts.py runs both against the emulator)."""
    account = await new_account(
        services, organization_id=organization, platform="x", kind="token",
        secret={"access_token": "x-token"},
    )  # fmt: skip
    with pytest.raises(ApplicationError) as caught:
        await call(account, url=f"{server}/echo")
    assert (caught.value.type, caught.value.non_retryable) == ("HostNotAllowed", True)
    assert "x-token" not in str(caught.value)


async def test_an_account_of_a_platform_without_tokens_for_http_is_refused(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    account = await new_account(
        services, organization_id=organization, platform="ai", kind="token",
        secret={"api_key": "ai-key"},
    )  # fmt: skip
    with pytest.raises(ApplicationError) as caught:
        await call(account, url=f"{server}/echo")
    assert (caught.value.type, caught.value.non_retryable) == ("WrongAccount", True)
    assert "is a ai account, not http" in caught.value.message
    assert "ai-key" not in str(caught.value)


async def test_an_account_of_another_organization_is_unknown(
    server: str, call: Any, services: ActionServices
) -> None:
    other = await new_organization(services.database)
    account = await http_account(services, other, "bearer", {"token": "theirs"})
    with pytest.raises(ApplicationError) as caught:
        await call(account, url=f"{server}/echo")
    assert caught.value.type == "AccountNotFound"
    assert "does not exist" in caught.value.message


async def test_a_revoked_account_is_not_used(
    server: str, call: Any, services: ActionServices, organization: str
) -> None:
    account = await http_account(services, organization, "bearer", {"token": "old"})
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
