"""What goes wrong in the activities before it becomes a failure type (`app.contract.failures`):
`activities.accounts.failures` and each platform's `errors` module map these onto it, and the
accounts API onto its answers.

* PlatformError                     message: a platform package could not do what it was asked
  x AccountError                    status: about an account, its token or its grant
    + AccountUnusableError          unknown, of another platform, disconnected, no credential
      - AccountNotFoundError        not one of the organization's accounts
      - WrongAccountError           platform: of another platform than the node's
    + GrantRevokedError             the platform no longer honours the grant: connect again
    + PlatformRefusedError          the platform refused the request itself (a bad code, token)
      - ClientRejectedError         ...refused our own OAuth client: the configuration is wrong
    + PlatformUnavailableError      retry_after: the platform could not answer now
  x GraphError                      status, code, transient, headers: Meta's Graph API said no
                                    (`activities.instagram.errors`)
  x AiError                         provider, status, kind, headers: an AI provider said no
                                    (`activities.ai.errors`)
  x AiAnswerError                   failure: an AI provider answered, not with what was asked
                                    (`activities.ai.errors`)
  x HostNotAllowedError             host, allowed_hosts: the account's credential is not for
                                    the host (`activities.http.credentials`)
  x AddressNotAllowedError          host, address: the host is on a private network the
                                    organization may not reach (`activities.network`)
  x SandboxRefusedError             sandbox mode: the host is a real platform's
                                    (`activities.http.sandbox`)

Every field is given by keyword, and a message never holds a secret: it names accounts, hosts
and what the platform said, never a token or a credential's value.
"""

from __future__ import annotations


class PlatformError(Exception):
    """A platform package (X, Instagram, HTTP, AI) could not do what it was asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AccountError(PlatformError):
    """Asked about an account (its token, its grant, who it is), a platform said no or
    nothing; `status` is its HTTP status, when it answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AccountUnusableError(AccountError):
    """The account cannot be used: unknown, of another platform, or no longer connected."""


class AccountNotFoundError(AccountUnusableError):
    """The account is not one of the organization's (none has its id)."""


class WrongAccountError(AccountUnusableError):
    """The account is of another `platform` than the one asked for."""

    def __init__(self, message: str, *, platform: str) -> None:
        super().__init__(message)
        self.platform = platform


class GrantRevokedError(AccountError):
    """The platform no longer honours the account's grant: it must be connected again."""


class PlatformRefusedError(AccountError):
    """The platform refused the request itself (a bad code, bad client credentials...)."""


class ClientRejectedError(PlatformRefusedError):
    """The platform refused our own OAuth client: this installation's configuration is wrong."""


class PlatformUnavailableError(AccountError):
    """The platform could not answer now (network, 5xx, rate limit): try again later."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
