"""What the accounts API accepts and returns. No model here has a field that carries a secret
out: tokens and passwords come in, and only their kind and expiry go back."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from activities.ai.providers import DEFAULT_BASE_URLS, Provider
from activities.http.hosts import MAX_ALLOWED_HOSTS, MAX_HOST_LENGTH, normalize_host_pattern
from app.vault.credentials import AI_BASE_URL_FIELD, ALLOWED_HOSTS_FIELD

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
"""An HTTP token (RFC 9110): what a header name may be made of."""
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


def _header_name(value: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise ValueError("is not a valid header name")
    if value.lower() in _RESERVED_HEADERS:
        raise ValueError(f"{value} is set by the HTTP client and cannot carry a credential")
    return value


def _one_line(value: str) -> str:
    if any(char in value for char in "\r\n\0"):
        raise ValueError("must not contain line breaks or NUL characters")
    return value


def _header_safe(value: str) -> str:
    # What HTTP can carry in a header value: visible ASCII, spaces and tabs (RFC 9110).
    if not all(char == "\t" or " " <= char <= "~" for char in value):
        raise ValueError("must be printable ASCII: it is sent in an HTTP header")
    return value


def _token68(value: str) -> str:
    if not all("!" <= char <= "~" for char in value):
        raise ValueError("must be printable ASCII without spaces, as tokens are")
    return value


Secret = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_one_line)]
"""A secret sent in a way that encodes any text (a query parameter, a Basic password)."""
HeaderSecret = Annotated[Secret, AfterValidator(_header_safe)]
"""A secret sent as an HTTP header value."""
Token = Annotated[Secret, AfterValidator(_token68)]
"""An access, refresh or bearer token."""
HeaderName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_header_name)]
DisplayName = Annotated[str, Field(min_length=1, max_length=200)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CredentialPublic(BaseModel):
    kind: str = Field(
        description="`oauth2`, `token`, `bearer`, `basic`, `header`, `query`, or an AI "
        "account's provider: `openai` or `anthropic`."
    )
    expires_at: datetime | None = Field(description="When the access token stops working.")


MAX_WINDOW_SECONDS = 7 * 24 * 3600


class AccountPacing(BaseModel):
    """At most `actions_per_window` actions with the account in any `window_seconds`; more
    wait (the node shows `retry.waiting_for: quota` and when it acts) instead of failing."""

    model_config = ConfigDict(extra="forbid")

    actions_per_window: int | None = Field(
        ge=1,
        le=100_000,
        description="How many actions (every node using the account: posts, reads...) may "
        "run in one window; null: no pacing.",
        examples=[2],
    )
    window_seconds: int = Field(
        default=3600, ge=1, le=MAX_WINDOW_SECONDS, description="The window, in seconds."
    )


class AccountPublic(BaseModel):
    id: str
    platform: str = Field(description="`x`, `instagram`, `http` or `ai`.")
    display_name: str
    status: str = Field(
        description="`active`; `expired` or `revoked` when it must be connected again."
    )
    scopes: list[str]
    external_id: str | None = Field(description="The platform's id of the account.")
    credential: CredentialPublic | None
    allowed_hosts: list[str] | None = Field(
        default=None,
        description="HTTP accounts: the hosts their credential may be sent to (not secret). "
        "Null for other platforms, and for a credential the vault's keys no longer open.",
    )
    base_url: str | None = Field(
        default=None,
        description="AI accounts: the provider API's base URL (not secret). Null for other "
        "platforms.",
    )
    pacing: AccountPacing | None = Field(
        default=None, description="How the account's actions are spread out; null: not paced."
    )
    created_at: datetime
    updated_at: datetime


class AccountsPublic(BaseModel):
    data: list[AccountPublic]
    count: int


class XTokensCreate(_Input):
    """Tokens of an X bot account obtained elsewhere (e.g. X's developer portal)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"access_token": "bWFkZS11cC1hY2Nlc3M", "refresh_token": "bWFkZS11cC1yZWZyZXNo",
                 "expires_in": 7200, "scopes": ["tweet.read", "tweet.write", "users.read",
                 "offline.access"]}
            ]
        },
    )  # fmt: skip

    access_token: Token
    refresh_token: Token | None = Field(
        default=None, description="With it, the engine renews the access token itself."
    )
    expires_in: int | None = Field(
        default=None, gt=0, le=10 * 365 * 86_400,
        description="Seconds until the access token expires, if known.",
    )  # fmt: skip
    scopes: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20
    )
    display_name: DisplayName | None = Field(default=None, description="Default: @username.")


_RETURN_TO_SHAPE = "a path on this API's own origin, such as '/ui/accounts'"


class XAuthorizationStart(_Input):
    """Where the browser goes back to once X sends it to the callback (optional)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"return_to": "/ui/accounts"}]}
    )

    return_to: str | None = Field(
        default=None,
        max_length=500,
        description=(
            "A path on this API's own origin: the callback answers `303` to it with "
            "`?connected=acc_…` or `?error=…&message=…` instead of JSON."
        ),
    )

    @field_validator("return_to")
    @classmethod
    def _same_origin_path(cls, value: str | None) -> str | None:
        # `//host` and `/\host` are other origins to a browser; a scheme is another origin.
        if value is None:
            return None
        if (
            not value.startswith("/")
            or value.startswith(("//", "/\\"))
            or "\\" in value
            or "#" in value
            or any(character.isspace() or not character.isprintable() for character in value)
        ):
            raise ValueError(f"return_to must be {_RETURN_TO_SHAPE} (no fragment), not {value!r}")
        return value


class XAuthorizationStarted(BaseModel):
    authorize_url: str = Field(description="Send the person here to approve on X.")
    expires_at: datetime = Field(description="Approve before this; start again after.")


class InstagramConnect(_Input):
    """A long-lived Instagram token (60 days, renewed by the engine before it runs out)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"access_token": "IGQVJ-made-up", "expires_in": 5_184_000}]
        },
    )

    access_token: Token
    expires_in: int | None = Field(
        default=None, gt=0, le=60 * 86_400,
        description="Seconds the token has left, if known (default: a fresh token's 60 days).",
    )  # fmt: skip
    display_name: DisplayName | None = Field(default=None, description="Default: the username.")


class BearerCredential(_Input):
    type: Literal["bearer"]
    token: Token


def _no_colon(value: str) -> str:
    if ":" in value:
        raise ValueError(
            "must not contain ':' (Basic authentication joins user and password by it)"
        )
    return value


class BasicCredential(_Input):
    type: Literal["basic"]
    username: Annotated[
        str,
        Field(min_length=1, max_length=500),
        AfterValidator(_one_line),
        AfterValidator(_no_colon),
    ]
    password: Secret


class HeaderCredential(_Input):
    type: Literal["header"]
    name: HeaderName
    value: HeaderSecret


class QueryCredential(_Input):
    type: Literal["query"]
    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line)]
    value: Secret


HttpCredential = Annotated[
    BearerCredential | BasicCredential | HeaderCredential | QueryCredential,
    Field(discriminator="type"),
]


def _distinct(hosts: list[str]) -> list[str]:
    return list(dict.fromkeys(hosts))


HostPattern = Annotated[
    str, Field(min_length=1, max_length=MAX_HOST_LENGTH), AfterValidator(normalize_host_pattern)
]
AllowedHosts = Annotated[
    list[HostPattern],
    AfterValidator(_distinct),
    Field(min_length=1, max_length=MAX_ALLOWED_HOSTS),
]
"""An HTTP credential's hosts, as create and update check them (`activities.http.hosts`)."""
_HOSTS_EXAMPLE = ["api.example.com", "*.example.org"]


class HttpAccountCreate(_Input):
    display_name: DisplayName
    credential: HttpCredential = Field(
        description="How `http.request` nodes using this account authenticate.",
        examples=[{"type": "header", "name": "X-Api-Key", "value": "..."}],
    )
    allowed_hosts: AllowedHosts = Field(
        description="The hosts the credential is for: `api.example.com`, or `*.example.com` for "
        "every host below example.com. A request to another host is refused, and a redirect "
        "to another origin loses the credential. Sealed with the credential.",
        examples=[_HOSTS_EXAMPLE],
    )

    def secret(self) -> dict[str, Any]:
        """What is sealed: the credential's fields and the hosts it is bound to."""
        return {**credential_fields(self.credential), ALLOWED_HOSTS_FIELD: list(self.allowed_hosts)}


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http or https URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not hold a user or password: the key goes in `api_key`")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or fragment")
    return value.rstrip("/")


BaseUrl = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_base_url)]


class AiAccountCreate(_Input):
    """An AI provider's API key, and where its API is."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"display_name": "OpenAI", "provider": "openai", "api_key": "sk-..."},
                {"display_name": "Mistral", "provider": "openai", "api_key": "...",
                 "base_url": "https://api.mistral.ai/v1"},
                {"display_name": "Claude", "provider": "anthropic", "api_key": "sk-ant-..."},
            ]
        },
    )  # fmt: skip

    display_name: DisplayName
    provider: Provider = Field(
        description="`openai`: OpenAI's Chat Completions API and the APIs that copy it "
        "(Mistral, Gemini's OpenAI-compatible endpoint, Ollama, vLLM...); `anthropic`: "
        "Anthropic's Messages API."
    )
    api_key: HeaderSecret
    base_url: BaseUrl | None = Field(
        default=None,
        description="Where the API is: for `openai` the URL before `/chat/completions` "
        "(default https://api.openai.com/v1; Mistral https://api.mistral.ai/v1, Gemini "
        "https://generativelanguage.googleapis.com/v1beta/openai, Ollama "
        "http://localhost:11434/v1), for `anthropic` the URL before `/v1/messages` (default "
        "https://api.anthropic.com). A private or local address is reached only where the "
        "organization may call private networks.",
    )

    def secret(self) -> dict[str, Any]:
        """What is sealed: the key and the base URL it is for."""
        return {
            "api_key": self.api_key,
            AI_BASE_URL_FIELD: self.base_url or DEFAULT_BASE_URLS[self.provider],
        }


class AccountUpdate(_Input):
    """What may change without connecting the account again; a field left out (or null)
    stays as it is."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"allowed_hosts": ["api.example.com", "*.example.org"]}]},
    )

    display_name: DisplayName | None = None
    allowed_hosts: AllowedHosts | None = Field(
        default=None,
        description="HTTP accounts only: the hosts the credential is for, replacing the ones it "
        "has (same rules as when it was created). The secret is sealed again with them; it "
        "need not be sent to narrow them. Adding a host the credential was not for needs an "
        "admin key, or the credential sent again (`credential`): otherwise a key could send "
        "the secret to a server of its own.",
        examples=[_HOSTS_EXAMPLE],
    )
    credential: HttpCredential | None = Field(
        default=None,
        description="HTTP accounts only: a new credential replacing the one sealed (with "
        "`allowed_hosts`, or the hosts it had).",
    )
    pacing: AccountPacing | None = Field(
        default=None,
        description="Spread the account's actions out: at most `actions_per_window` in any "
        '`window_seconds`, across every worker; `{"actions_per_window": null}` stops pacing.',
        examples=[{"actions_per_window": 2, "window_seconds": 3600}],
    )


def credential_fields(credential: HttpCredential) -> dict[str, Any]:
    """What is sealed of an HTTP credential, besides its hosts (its type is the kind)."""
    return credential.model_dump(exclude={"type"})
