"""What can go wrong when a platform is asked about an account. Messages never carry tokens."""

from __future__ import annotations


class PlatformError(Exception):
    """A platform call about an account failed."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class GrantRevokedError(PlatformError):
    """The platform no longer honours the account's grant: it must be connected again."""


class PlatformRefusedError(PlatformError):
    """The platform refused the request itself (a bad code, bad client credentials...)."""


class ClientRejectedError(PlatformRefusedError):
    """The platform refused our own OAuth client: this installation's configuration is wrong."""


class PlatformUnavailableError(PlatformError):
    """The platform could not answer now (network, 5xx, rate limit): try again later."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
