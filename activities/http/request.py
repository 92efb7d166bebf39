"""The `http.request` activity: call any HTTP API with httpx.

Error mapping lives here, in one place: 429/5xx/network problems retry (honouring
Retry-After), other 4xx fail without retry and carry the status and a short reason.
Destinations on private networks are refused unless the organization allows them.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.accounts.failures import account_failure
from activities.base import heartbeating, parse_parameters
from activities.endpoints import TOKEN_PLATFORMS
from activities.errors import AccountError, WrongAccountError
from activities.http.credentials import (
    AppliedCredential,
    HostNotAllowedError,
    apply_credential,
    strip_on_other_origins,
)
from activities.http.nodes import FormBody, HttpBody, HttpRequestParameters, JsonBody, RawBody
from activities.http.query import with_query
from activities.http.sandbox import SandboxRefusedError, refuse_real_platforms
from activities.network import HTTP_POOL, PERMIT_PRIVATE, AddressNotAllowedError
from activities.retry_delays import longest_retry_delay, retry_after_seconds, retry_delay
from activities.services import ActionServices
from activities.transports import Borrowed
from app.contract.actions import ActionInput
from app.contract.failures import FailureType, http_status_type

UNAUTHORIZED = 401
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
"""Methods whose retry may change the remote twice: they carry an `Idempotency-Key`."""
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_NAMESPACE = uuid.UUID("5b1f7c3e-8d2a-4f6b-9c1e-0a7d3e5f9b24")


def idempotency_key(action_key: str) -> str:
    """The `Idempotency-Key` of one node execution: the same on every retry, different for
    every step, and a UUID (what remote APIs expect) that does not show our run ids."""
    return str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, action_key))


def _with_idempotency_key(
    method: str, headers: Mapping[str, str], action_key: str
) -> dict[str, str]:
    """`headers` plus our key on unsafe methods, unless the user set one (any spelling)."""
    if method not in UNSAFE_METHODS or any(
        name.lower() == IDEMPOTENCY_KEY_HEADER.lower() for name in headers
    ):
        return dict(headers)
    return {**headers, IDEMPOTENCY_KEY_HEADER: idempotency_key(action_key)}


def _body_arguments(
    body: HttpBody, headers: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, Any]]:
    """The headers to send and httpx's body arguments for `body`."""
    if isinstance(body, JsonBody):
        return dict(headers), {"json": body.payload}
    if isinstance(body, FormBody):
        return dict(headers), {"data": body.form}
    if isinstance(body, RawBody):
        has_type = any(name.lower() == "content-type" for name in headers)
        extra = {} if has_type else {"Content-Type": body.content_type}
        return {**headers, **extra}, {"content": body.raw.encode()}
    return dict(headers), {}


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    too_large = FailureType.ResponseTooLarge.error(f"response body is larger than {limit} bytes")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    # Decoded bytes are counted, so a small compressed body cannot expand past the limit.
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(content: bytes, response: httpx.Response, response_format: str) -> Any:
    """The body as `response_format` says. A body that is not what was asked for fails for
    good: the same request would read the same body again."""
    if not content:
        return None
    text = content.decode(response.encoding or "utf-8", errors="replace")
    looks_json = "json" in response.headers.get("content-type", "")
    if response_format == "json" or (response_format == "auto" and looks_json):
        try:
            return json.loads(text)
        # ValueError covers JSONDecodeError and integers past Python's digit limit;
        # RecursionError, nesting deeper than the interpreter's stack.
        except (ValueError, RecursionError):
            if response_format == "json":
                kind = response.headers.get("content-type", "").split(";")[0].strip()
                raise FailureType.InvalidJson.error(
                    f"the response from {response.url.host} is not JSON Python can read"
                    + (f" (Content-Type: {kind[:100]})" if kind else "")
                    + ": set response_format to `text` to take it as text"
                ) from None
    return text


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status in RETRYABLE_STATUSES:
        seconds = retry_after_seconds(response.headers.get("retry-after"), datetime.now(UTC))
        raise ApplicationError(
            f"HTTP {status} from {response.url.host}",
            {"status": status},
            type=http_status_type(status),
            next_retry_delay=retry_delay(seconds, longest_retry_delay()),
        )
    if status >= 400:
        raise ApplicationError(
            f"HTTP {status} from {response.url.host}: {response.reason_phrase}",
            {"status": status},
            type=http_status_type(status),
            non_retryable=True,
        )


def _refused_token(credential: AppliedCredential, details: Sequence[Any]) -> bool:
    """Whether a platform answered 401 to the account token `credential` carried."""
    first = details[0] if details else None
    return (
        credential.token is not None
        and isinstance(first, Mapping)
        and first.get("status") == UNAUTHORIZED
    )


def _once(ask: Callable[[], Awaitable[bool]]) -> Callable[[], Awaitable[bool]]:
    """`ask`, asked at most once however many redirect hops need the answer."""
    answer: list[bool] = []

    async def asked() -> bool:
        if not answer:
            answer.append(await ask())
        return answer[0]

    return asked


class HttpActivities:
    """`http.request`, with the services it needs: the vault for credentials, the database
    for the organization's network policy."""

    def __init__(self, services: ActionServices) -> None:
        self.services = services

    def all(self) -> list[Callable[..., Any]]:
        return [self.request]

    @activity.defn(name="http.request")
    async def request(self, action: ActionInput) -> dict[str, Any]:
        """Send one HTTP request and return its status, headers and body.

        Raises:
            ApplicationError: Retryable for network problems, timeouts, 408/425/429/5xx
                (with Retry-After as the next delay); non-retryable for other 4xx, bad
                URLs, refused destinations, hosts the account's credential is not for,
                unusable accounts, too many redirects and
                oversized or malformed responses.
        """
        params = parse_parameters(HttpRequestParameters, action)
        host = urlsplit(params.url).hostname or "the server"
        try:
            credential = await self._credential(action)
            async with heartbeating(), asyncio.timeout(params.timeout.total_seconds()):
                try:
                    answer = await self._send(params, credential, action)
                except ApplicationError as error:
                    if not _refused_token(credential, error.details):
                        raise
                else:
                    if not _refused_token(credential, ({"status": answer["status"]},)):
                        return answer
                # A 401 to a platform's token: renewed once for everyone (TokenKeeper), then
                # sent again; the platform applied nothing it refused.
                renewed = await self._credential(action, refused=credential.token)
                return await self._send(params, renewed, action)
        except AccountError as error:
            raise account_failure(error) from None
        except HostNotAllowedError as error:
            raise FailureType.HostNotAllowed.error(error.message) from None
        except SandboxRefusedError as error:
            raise FailureType.SandboxRefused.error(error.message) from None
        except AddressNotAllowedError as error:
            raise FailureType.AddressNotAllowed.error(
                f"{error.message}: this organization may not call private networks"
            ) from None
        except (TimeoutError, httpx.TimeoutException):
            raise FailureType.Timeout.error(f"{host} did not answer in time") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
            raise FailureType.InvalidUrl.error(f"cannot request {host}: {error}") from None
        except httpx.TooManyRedirects:
            raise FailureType.TooManyRedirects.error(
                f"{host} redirected more than {params.max_redirects} times"
            ) from None
        except httpx.TransportError as error:
            raise FailureType.NetworkError.error(
                f"could not reach {host}: {type(error).__name__}"
            ) from None
        except httpx.DecodingError:
            raise FailureType.DecodingError.error(
                f"request to {host} failed: DecodingError"
            ) from None

    async def _credential(
        self, action: ActionInput, refused: str | None = None
    ) -> AppliedCredential:
        if action.account_id is None:
            return AppliedCredential()
        tokens = self.services.tokens
        try:
            usable = await tokens.credential(
                organization_id=action.organization_id,
                account_id=action.account_id,
                platform="http",
            )
        except WrongAccountError as error:
            if error.platform not in TOKEN_PLATFORMS:
                raise
            # A connected X or Instagram account: its current token (renewed when due), for
            # that platform's own API only (`AppliedCredential.check_host`).
            token = await tokens.access_token(
                organization_id=action.organization_id,
                account_id=action.account_id,
                platform=error.platform,
                refused=refused,
            )
            return AppliedCredential(
                headers={"Authorization": f"Bearer {token.access_token}"},
                platform=error.platform,
                origins=self.services.endpoints.api_origins(error.platform),
                token=token.access_token,
            )
        return apply_credential(usable.credential.kind, usable.credential.secret)

    async def _send(
        self, params: HttpRequestParameters, credential: AppliedCredential, action: ActionInput
    ) -> dict[str, Any]:
        organization_id = action.organization_id
        permitted = self.services.private_networks_allowed
        keyed = _with_idempotency_key(params.method, params.headers, action.idempotency_key)
        headers, body = _body_arguments(params.body, keyed)
        first = with_query(httpx.URL(params.url), params.query, credential.query)
        credential.check_host(first)
        async with (
            httpx.AsyncClient(
                transport=Borrowed(self.services.transports.get(HTTP_POOL)),
                timeout=params.timeout.total_seconds(),
                follow_redirects=params.follow_redirects,
                max_redirects=params.max_redirects,
                event_hooks={
                    "request": [
                        refuse_real_platforms(self.services.endpoints.sandbox),
                        strip_on_other_origins(credential, first),
                    ]
                },
                trust_env=False,
            ) as client,
            client.stream(
                params.method,
                first,
                headers={**headers, **credential.headers},
                extensions={PERMIT_PRIVATE: _once(lambda: permitted(organization_id))},
                **body,
            ) as response,
        ):
            if params.fail_on_status:
                _raise_for_status(response)
            content = await _read_limited(response, params.max_response_bytes)
            return {
                "status": response.status_code,
                "headers": dict(response.headers),
                "body": _decode(content, response, params.response_format),
            }
