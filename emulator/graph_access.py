"""Who is calling the Graph API and whether they may: parameters from the query and the body,
the access token (query, body or `Authorization` header), and the account's call budget
reported in `X-App-Usage` and `X-Business-Use-Case-Usage`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.convertors import Convertor, register_url_convertor

from emulator import meta_errors
from emulator.instagram_state import InstagramToken, InstagramUser
from emulator.meta_errors import MetaError, error_body, invalid_parameter
from emulator.params import FORM, media_type, parse_form
from emulator.state import EmulatorState, emulator_of, keep_headers


class GraphVersion(Convertor[str]):
    """A path segment like `v21.0`: any version is served the same way."""

    regex = r"v[0-9]{1,3}\.[0-9]{1,2}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


# Routes name it `{version:graph_version}`, so X's `/2/...` paths never reach Graph routes.
register_url_convertor("graph_version", GraphVersion())


@dataclass(frozen=True)
class GraphCall:
    """An admitted call: its parameters, the token's account, the usage headers."""

    state: EmulatorState
    params: dict[str, str]
    token: InstagramToken
    user: InstagramUser
    headers: dict[str, str]

    def answer(self, body: dict[str, Any]) -> JSONResponse:
        return JSONResponse(body, headers=self.headers)

    def node(self, node_id: str) -> str:
        """A path's node id, with `me` meaning the token's account."""
        return self.user.id if node_id == "me" else node_id

    def required(self, name: str) -> str:
        value = self.params.get(name, "")
        if not value:
            raise invalid_parameter(f"The parameter {name} is required")
        return value

    def fields(self, allowed: frozenset[str], node_type: str, default: str = "id") -> list[str]:
        """The `fields` asked for, each one known for this kind of node."""
        names = [name.strip() for name in self.params.get("fields", default).split(",")]
        for name in names:
            if name not in allowed:
                raise invalid_parameter(
                    f"Tried accessing nonexisting field ({name}) on node type ({node_type})"
                )
        return names


async def _params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    raw = await request.body()
    if not raw:
        return params
    kind = media_type(request.headers.get("content-type", ""))
    try:
        if kind == "application/json":
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("the JSON body must be an object")
            return params | {key: _as_param(value) for key, value in body.items()}
        if kind == FORM:
            return params | parse_form(raw)
    except ValueError as error:
        raise invalid_parameter(f"Could not read the request body: {error}") from None
    raise invalid_parameter(f"Send parameters in the query, as {FORM} or as JSON, not {kind}")


def _as_param(value: Any) -> str:
    """JSON members as the Graph API reads form values: strings as they are, others as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _token_value(request: Request, params: dict[str, str]) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "oauth") and credentials.strip():
        return credentials.strip()
    return params.pop("access_token", "")


async def graph_call(request: Request) -> GraphCall:
    """The call, or the error Meta answers instead (190 for a bad token, 80002 when the
    account has used its hourly budget)."""
    state = emulator_of(request)
    params = await _params(request)
    value = _token_value(request, params)
    if not value:
        message = "An access token is required to request this resource."
        raise MetaError(400, error_body(104, message))
    token = state.instagram.tokens.get(value)
    now = state.clock.now()
    if token is None:
        raise meta_errors.bad_token("Invalid OAuth access token - Cannot parse access token")
    if token.revoked:
        raise meta_errors.bad_token(
            "Error validating access token: The user has not authorized application.", 458
        )
    if token.expires_at <= now:
        raise meta_errors.bad_token(
            f"Error validating access token: Session has expired on "
            f"{token.expires_at:%A, %d-%b-%y %H:%M:%S} UTC. "
            f"The current time is {now:%A, %d-%b-%y %H:%M:%S} UTC.",
            463,
        )
    admission = state.meta_usage.admit(token.ig_user_id, len(state.instagram.users))
    if not admission.allowed:
        code = meta_errors.INSTAGRAM_ACCOUNT_LIMIT
        body = error_body(code, meta_errors.THROTTLING[code], transient=True)
        raise MetaError(400, body, admission.headers)
    keep_headers(request, admission.headers)
    user = state.instagram.users[token.ig_user_id]
    return GraphCall(state, params, token, user, admission.headers)
