"""The bytes of a file to upload to X: fetched from a URL through the worker's guarded pools
(the organization's private-network rule applies, as for `http.request`), or decoded from
base64 the run carries. Bounded by the largest file X takes for posts."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from temporalio.exceptions import ApplicationError

from activities.network import HTTP_POOL, PERMIT_PRIVATE, AddressNotAllowedError
from activities.services import ActionServices
from activities.transports import Borrowed
from activities.x.media_nodes import CATEGORY, MEDIA_LIMITS, XUploadMediaParameters
from app.contract.failures import FailureType

MAX_REDIRECTS = 5
FETCH_TIMEOUT_SECONDS = 120.0
LARGEST = max(MEDIA_LIMITS.values())


@dataclass(frozen=True)
class MediaFile:
    content: bytes
    media_type: str

    @property
    def category(self) -> str:
        return CATEGORY[self.media_type]


def _checked(content: bytes, media_type: str | None, where: str) -> MediaFile:
    if media_type not in CATEGORY:
        raise FailureType.MediaSourceRefused.error(
            f"{where} is {media_type or 'of no stated type'}: X posts take "
            f"{', '.join(sorted(CATEGORY))}; set media_type if the server says otherwise"
        )
    limit = MEDIA_LIMITS[CATEGORY[media_type]]
    if len(content) > limit:
        raise FailureType.MediaSourceRefused.error(
            f"{where} is {len(content)} bytes: X takes at most {limit} bytes for {media_type}"
        )
    if not content:
        raise FailureType.MediaSourceRefused.error(f"{where} is empty")
    return MediaFile(content, media_type)


async def media_file(
    params: XUploadMediaParameters, services: ActionServices, organization_id: str
) -> MediaFile:
    """The file the node names, or a failure saying what is wrong with its source."""
    if params.data is not None:
        try:
            content = base64.b64decode(params.data, validate=True)
        except (binascii.Error, ValueError):
            raise FailureType.MediaSourceRefused.error("data is not base64") from None
        return _checked(content, params.media_type, "the data")
    assert params.url is not None  # the parameters' validator asks for one of them
    return await _fetched(params.url, params.media_type, services, organization_id)


async def _fetched(
    url: str, media_type: str | None, services: ActionServices, organization_id: str
) -> MediaFile:
    host = urlsplit(url).hostname or "the server"

    async def permitted() -> bool:
        return await services.private_networks_allowed(organization_id)

    try:
        async with (
            httpx.AsyncClient(
                transport=Borrowed(services.transports.get(HTTP_POOL)),
                timeout=FETCH_TIMEOUT_SECONDS,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                trust_env=False,
            ) as client,
            client.stream("GET", url, extensions={PERMIT_PRIVATE: permitted}) as response,
        ):
            _raise_for_status(response, host)
            stated = response.headers.get("content-type", "").split(";")[0].strip().lower()
            chosen = media_type or stated or None
            content = await _read_limited(response, host)
    except ApplicationError:
        raise
    except AddressNotAllowedError as error:
        raise FailureType.AddressNotAllowed.error(
            f"{error.message}: this organization may not call private networks"
        ) from None
    except httpx.TimeoutException:
        raise FailureType.Timeout.error(f"{host} did not send the media in time") from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
        raise FailureType.InvalidUrl.error(f"cannot request {host}: {error}") from None
    except httpx.TooManyRedirects:
        raise FailureType.TooManyRedirects.error(
            f"{host} redirected more than {MAX_REDIRECTS} times"
        ) from None
    except httpx.HTTPError as error:
        raise FailureType.NetworkError.error(
            f"could not fetch the media from {host}: {type(error).__name__}"
        ) from None
    return _checked(content, chosen, f"the media at {host}")


def _raise_for_status(response: httpx.Response, host: str) -> None:
    status = response.status_code
    if status < 400:
        return
    message = f"{host} answered {status} for the media"
    if status in (408, 425, 429) or status >= 500:
        raise FailureType.NetworkError.error(message)
    raise FailureType.MediaSourceRefused.error(message)


async def _read_limited(response: httpx.Response, host: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > LARGEST:
            raise FailureType.ResponseTooLarge.error(
                f"the media at {host} is larger than {LARGEST} bytes, more than X takes"
            )
        chunks.append(chunk)
    return b"".join(chunks)
