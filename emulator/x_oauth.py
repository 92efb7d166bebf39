"""X's OAuth 2.0 Authorization Code flow with PKCE: the consent page (which the sandbox
approves at once), the token endpoint with single-use rotating refresh tokens, and revocation.

Error bodies follow RFC 6749 section 5.2: `{"error", "error_description"}`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from emulator import record as kinds
from emulator.params import FORM, media_type, parse_form
from emulator.state import EmulatorState, emulator_of
from emulator.x_spec import oauth_scopes
from emulator.x_state import AuthorizationCode, TokenPair, XUser

router = APIRouter()

_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
SANDBOX_USERNAME = "sandbox_user"


class OAuthError(Exception):
    """An OAuth 2.0 error answer."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.description}
        headers = {"WWW-Authenticate": 'Basic realm="X"'} if self.status == 401 else None
        return JSONResponse(body, status_code=self.status, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    if media_type(request.headers.get("content-type", "")) != FORM:
        raise OAuthError("invalid_request", f"Send the parameters as {FORM}.")
    try:
        return parse_form(await request.body())
    except ValueError as error:
        raise OAuthError("invalid_request", str(error)) from None


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise OAuthError("invalid_request", f"Missing required parameter [{name}].")
    return value


def _client(request: Request, form: dict[str, str], state: EmulatorState) -> str:
    """The authenticated client: HTTP Basic for confidential clients, `client_id` for public."""
    clients = state.x.clients
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(credentials).decode().partition(":")
        except ValueError:
            raise OAuthError(
                "invalid_client", "Malformed Basic authorization header.", 401
            ) from None
        expected = clients.get(unquote(client_id))
        if expected is None or not hmac.compare_digest(expected, unquote(secret)):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        return unquote(client_id)
    client_id = form.get("client_id", "")
    if client_id not in clients:
        raise OAuthError("invalid_client", "Missing valid authorization header or client_id.", 401)
    if clients[client_id] is not None:
        raise OAuthError(
            "invalid_client", "A confidential client must authenticate with HTTP Basic.", 401
        )
    return client_id


def _token_body(pair: TokenPair, state: EmulatorState) -> dict[str, Any]:
    body: dict[str, Any] = {
        "token_type": "bearer",
        "expires_in": round((pair.expires_at - state.clock.now()).total_seconds()),
        "access_token": pair.access_token,
        "scope": " ".join(sorted(pair.scopes)),
    }
    if pair.refresh_token is not None:
        body["refresh_token"] = pair.refresh_token
    return body


@router.post("/2/oauth2/token")
async def token(request: Request) -> Response:
    state = emulator_of(request)
    form = await _form(request)
    client_id = _client(request, form, state)
    grant = _required(form, "grant_type")
    if grant == "authorization_code":
        pair = _exchange_code(form, client_id, state)
    elif grant == "refresh_token":
        pair = _refresh(form, client_id, state)
    else:
        raise OAuthError("unsupported_grant_type", f"grant_type {grant} is not supported.")
    return JSONResponse(_token_body(pair, state), headers={"Cache-Control": "no-store"})


def _exchange_code(form: dict[str, str], client_id: str, state: EmulatorState) -> TokenPair:
    value, redirect_uri = _required(form, "code"), _required(form, "redirect_uri")
    verifier = _required(form, "code_verifier")
    if not _VERIFIER.fullmatch(verifier):
        raise OAuthError(
            "invalid_request", "code_verifier must be 43 to 128 unreserved characters."
        )
    code = state.x.codes.get(value)
    if (
        code is None
        or code.used
        or code.expires_at <= state.clock.now()
        or code.client_id != client_id
        or code.redirect_uri != redirect_uri
    ):
        raise OAuthError("invalid_grant", "Value passed for the authorization code was invalid.")
    code.used = True
    if not _pkce_matches(code, verifier):
        raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge.")
    pair = state.x.issue(code.user_id, client_id, code.scopes)
    state.x.effect(
        kinds.X_TOKEN_ISSUED, code.user_id, client_id=client_id, grant="authorization_code"
    )
    return pair


def _pkce_matches(code: AuthorizationCode, verifier: str) -> bool:
    if code.challenge_method == "plain":
        return hmac.compare_digest(code.challenge, verifier)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return hmac.compare_digest(code.challenge, computed)


def _refresh(form: dict[str, str], client_id: str, state: EmulatorState) -> TokenPair:
    old = state.x.refresh_tokens.get(_required(form, "refresh_token"))
    if old is None or old.spent or old.revoked or old.client_id not in (None, client_id):
        raise OAuthError("invalid_grant", "Value passed for the token was invalid.")
    pair = state.x.rotate(old)
    state.x.effect(kinds.X_TOKEN_ROTATED, old.user_id, client_id=client_id)
    return pair


@router.post("/2/oauth2/revoke")
async def revoke(request: Request) -> Response:
    state = emulator_of(request)
    form = await _form(request)
    client_id = _client(request, form, state)
    value = _required(form, "token")
    owner = state.x.access_tokens.get(value) or state.x.refresh_tokens.get(value)
    # RFC 7009: an unknown token is not an error; there is just nothing to revoke.
    if owner is not None and state.x.revoke(value):
        state.x.effect(kinds.X_TOKEN_REVOKED, owner.user_id, client_id=client_id)
    return JSONResponse({"revoked": True})


@router.get("/i/oauth2/authorize")
async def authorize(request: Request) -> Response:
    """The consent screen. The sandbox approves at once, as the user named by `login_hint`
    (username or id), else the first X user, else a new `sandbox_user`."""
    state = emulator_of(request)
    query = dict(request.query_params)
    client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
    if client_id not in state.x.clients:
        raise OAuthError("invalid_request", f"Unknown client_id [{client_id}].")
    target = urlsplit(redirect_uri)
    if target.scheme not in ("http", "https") or not target.netloc:
        raise OAuthError("invalid_request", "redirect_uri must be an absolute http(s) URL.")

    def redirect(**parameters: str) -> RedirectResponse:
        if "state" in query:
            parameters["state"] = query["state"]
        joined = "&".join(part for part in (target.query, urlencode(parameters)) if part)
        return RedirectResponse(urlunsplit(target._replace(query=joined)), status_code=302)

    problem = _authorize_problem(query)
    if problem is not None:
        return redirect(error=problem[0], error_description=problem[1])
    user = _consenting_user(state, query.get("login_hint"))
    if user is None:
        return redirect(error="access_denied", error_description="No such X user.")
    code = AuthorizationCode(
        value=secrets.token_urlsafe(32),
        client_id=client_id,
        redirect_uri=redirect_uri,
        user_id=user.id,
        scopes=frozenset(query["scope"].split()),
        challenge=query["code_challenge"],
        challenge_method=query.get("code_challenge_method", "plain"),
        expires_at=state.clock.now() + state.config.x_authorization_code_ttl,
    )
    state.x.codes[code.value] = code
    state.x.effect(kinds.X_CODE_ISSUED, user.id, client_id=client_id)
    return redirect(code=code.value)


def _authorize_problem(query: dict[str, str]) -> tuple[str, str] | None:
    if query.get("response_type") != "code":
        return "unsupported_response_type", "response_type must be code."
    for name in ("state", "scope", "code_challenge"):
        if not query.get(name):
            return "invalid_request", f"Missing required parameter [{name}]."
    if query.get("code_challenge_method", "plain") not in ("S256", "plain"):
        return "invalid_request", "code_challenge_method must be S256 or plain."
    unknown = sorted(set(query["scope"].split()) - oauth_scopes())
    if unknown:
        return "invalid_scope", f"Unknown scope [{unknown[0]}]."
    return None


def _consenting_user(state: EmulatorState, hint: str | None) -> XUser | None:
    if hint:
        return state.x.find_user(hint)
    if not state.x.users:
        return state.x.add_user(SANDBOX_USERNAME)
    return next(iter(state.x.users.values()))
