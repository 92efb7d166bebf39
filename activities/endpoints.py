"""Where the platforms are, and who we are to them: from settings, so sandbox mode and the
tests can point everything at the emulator by changing base URLs only."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from app.settings import Settings

X_CALLBACK_PATH = "/accounts/x/callback"

REAL_PLATFORM_HOSTS = (
    "x.com", "*.x.com", "twitter.com", "*.twitter.com", "t.co",
    "instagram.com", "*.instagram.com", "facebook.com", "*.facebook.com",
)  # fmt: skip
"""Where the real platforms answer (host patterns, `activities.http.hosts`): in sandbox mode
no request may go there, not even an `http.request` a workflow aims at them."""


Origin = tuple[str, str, int]
"""Scheme, host and port (the scheme's default when the URL names none), lower case."""
TOKEN_PLATFORMS = ("x", "instagram")
"""Platforms whose connected accounts' tokens an `http.request` may carry to their own API."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> Origin | None:
    """`url`'s origin, or None when it has no host or an unknown scheme or port."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname or scheme not in _DEFAULT_PORTS:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[scheme]


def show_origin(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}" + ("" if _DEFAULT_PORTS[scheme] == port else f":{port}")


@dataclass(frozen=True)
class PlatformEndpoints:
    """Base URLs and OAuth client of every platform we call."""

    x_api_base_url: str = "https://api.x.com"
    """X API v2 and its OAuth 2.0 token endpoint."""
    x_authorize_url: str = "https://x.com/i/oauth2/authorize"
    x_client_id: str = ""
    x_client_secret: str = field(default="", repr=False)
    """Empty for a public client."""
    instagram_api_base_url: str = "https://graph.instagram.com"
    instagram_api_version: str = "v21.0"
    redirect_base_url: str = "http://127.0.0.1:8000"
    """Public base URL of our API, where OAuth callbacks come back."""
    request_timeout: float = 30.0
    """Seconds any one platform call may take."""
    sandbox: bool = False
    """Sandbox mode: the URLs above are the emulator's, and `REAL_PLATFORM_HOSTS` are refused."""

    @classmethod
    def from_settings(cls, settings: Settings) -> PlatformEndpoints:
        return cls(
            x_api_base_url=settings.x_api_base_url.rstrip("/"),
            x_authorize_url=settings.x_authorize_url,
            x_client_id=settings.x_client_id,
            x_client_secret=settings.x_client_secret,
            instagram_api_base_url=settings.instagram_api_base_url.rstrip("/"),
            instagram_api_version=settings.instagram_api_version,
            redirect_base_url=settings.oauth_redirect_base,
            sandbox=settings.sandbox,
        )

    def api_origins(self, platform: str) -> tuple[Origin, ...]:
        """Where `platform`'s API answers (the emulator's base URL in sandbox mode): the only
        origins its accounts' tokens are ever sent to."""
        base = {"x": self.x_api_base_url, "instagram": self.instagram_api_base_url}.get(platform)
        found = origin_of(base) if base else None
        return (found,) if found else ()

    @property
    def x_redirect_uri(self) -> str:
        return self.redirect_base_url + X_CALLBACK_PATH

    @property
    def instagram_graph_url(self) -> str:
        """Versioned Graph API root, e.g. `https://graph.instagram.com/v21.0`."""
        return f"{self.instagram_api_base_url}/{self.instagram_api_version}"
