"""The codec endpoint the Temporal UI calls to show encrypted payloads (PAYLOAD_ENCRYPTION).

Temporal's UI and CLI post `{"payloads": [...]}` (protobuf JSON: base64 metadata values and
data) to `/codec/decode` and show what comes back. It opens every organization's data, so
it is not an API key's: it takes the operator's `PAYLOAD_CODEC_TOKEN` and is off without one.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf.message import DecodeError
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload

from app.api.deps import SettingsDep
from app.api.responses import errors
from app.errors import (
    AuthenticationError,
    ErrorDetail,
    InvalidInputError,
    NotFoundError,
    VaultError,
)
from app.settings import Settings
from app.vault import parse_keys
from temporal.payload_codec import VaultPayloadCodec

router = APIRouter(prefix="/codec", tags=["codec"])

_codec_token = HTTPBearer(
    auto_error=False,
    scheme_name="CodecToken",
    description="The operator's PAYLOAD_CODEC_TOKEN: `Authorization: Bearer <codec token>`",
)
CodecTokenDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_codec_token)]

MAX_PAYLOADS = 1000


class CodecPayload(BaseModel):
    metadata: dict[str, str] = Field(default_factory=dict, max_length=64)
    """Metadata values, base64."""
    data: str = ""
    """The payload's bytes, base64."""


class CodecPayloads(BaseModel):
    payloads: list[CodecPayload] = Field(
        max_length=MAX_PAYLOADS,
        json_schema_extra={
            "examples": [[{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "eyJhIjogMX0="}]]
        },
    )


def _codec(
    request: Request, settings: Settings, credentials: HTTPAuthorizationCredentials | None
) -> VaultPayloadCodec:
    if not settings.payload_codec_token:
        raise NotFoundError("the codec endpoint is off: PAYLOAD_CODEC_TOKEN is not set")
    token = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(token.strip().encode(), settings.payload_codec_token.encode()):
        raise AuthenticationError("the codec endpoint takes 'Authorization: Bearer <codec token>'")
    codec: VaultPayloadCodec | None = getattr(request.app.state, "payload_codec", None)
    if codec is None:
        codec = VaultPayloadCodec(parse_keys(settings.vault_keys))
        request.app.state.payload_codec = codec
    return codec


def _payloads(body: CodecPayloads) -> list[Payload]:
    payloads = []
    for index, item in enumerate(body.payloads):
        try:
            metadata = {
                key: base64.b64decode(value, validate=True) for key, value in item.metadata.items()
            }
            data = base64.b64decode(item.data, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInputError(
                "a payload is not base64",
                [ErrorDetail("metadata values and data are base64", path=("payloads", index))],
            ) from None
        payloads.append(Payload(metadata=metadata, data=data))
    return payloads


def _answer(payloads: list[Payload]) -> CodecPayloads:
    return CodecPayloads(
        payloads=[
            CodecPayload(
                metadata={
                    key: base64.b64encode(value).decode() for key, value in payload.metadata.items()
                },
                data=base64.b64encode(payload.data).decode(),
            )
            for payload in payloads
        ]
    )


@router.post(
    "/decode", operation_id="codec_decode", response_model=CodecPayloads,
    responses=errors(401, 404, 422),
)  # fmt: skip
async def decode(
    body: CodecPayloads,
    request: Request,
    settings: SettingsDep,
    credentials: CodecTokenDep,
) -> CodecPayloads:
    """Payloads as the engine gave them to Temporal, from their encrypted form; others as sent."""
    codec = _codec(request, settings, credentials)
    decoded = []
    for index, payload in enumerate(_payloads(body)):
        try:
            decoded.append(codec.decode_one(payload))
        except VaultError as error:
            raise InvalidInputError(
                "a payload does not decrypt", [ErrorDetail(error.message, path=("payloads", index))]
            ) from None
        except (ValueError, DecodeError):
            raise InvalidInputError(
                "a payload does not decrypt",
                [ErrorDetail("not a payload this codec made", path=("payloads", index))],
            ) from None
    return _answer(decoded)


@router.post(
    "/encode", operation_id="codec_encode", response_model=CodecPayloads,
    responses=errors(401, 404, 422),
)  # fmt: skip
async def encode(
    body: CodecPayloads,
    request: Request,
    settings: SettingsDep,
    credentials: CodecTokenDep,
) -> CodecPayloads:
    """Payloads encrypted as the engine would (for the Temporal CLI's and UI's inputs)."""
    codec = _codec(request, settings, credentials)
    return _answer([codec.encode_one(payload) for payload in _payloads(body)])
