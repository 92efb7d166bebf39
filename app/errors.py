"""The errors of the engine's own floors: settings, vault, store, services, API and launcher.

* FlowholdError                     message: one line for a person, never a secret
  x AppError                        details; status_code, type: the API answers with them
    + InvalidInputError             422 invalid_input
    + AuthenticationError           401 unauthenticated
    + PermissionDeniedError         403 forbidden
    + NotFoundError                 404 not_found
    + MethodNotAllowedError         405 method_not_allowed
    + ConflictError                 409 conflict
    + PayloadTooLargeError          413 too_large
    + TooManyRequestsError          429 too_many_requests (retry_after)
    + HeadersTooLargeError          431 headers_too_large
    + ServiceUnavailableError       503 service_unavailable (retry_after, when retrying helps)
  x VaultError                      a secret does not seal or open (`app.vault` exports these)
    + VaultKeyError                 VAULT_KEYS is malformed (a ValueError too, for settings)
    + UnknownKeyError               key_id: sealed with a key VAULT_KEYS no longer lists
    + TamperedError                 key_id: altered, or copied from another record
  x SetupRefusedError              Temporal does not let this connection make the namespace or
                                    add search attributes (`temporal.setup`): what to run instead
  x LaunchError                     `make run` cannot start: a port taken, no Temporal binary,
                                    the sandbox not ready, a process that exited
    + ChildKeepsCrashingError       name: a child crashed too often to start it again
                                    (`app.supervision`)

One handler in `app.api.errors` turns an `AppError` into its answer; any other error that
reaches the API is logged and answered as a bare 500, its message kept out of the answer.
Messages name ids, fields, key ids and ports: never a key, a token or a secret's value.
The other layers have trees of their own: `app.language.errors`, `activities.errors`,
`workflows.errors`; the failure types a run shows are listed in `app.contract.failures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


class FlowholdError(Exception):
    """Base of the errors of the engine's own floors."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ErrorDetail:
    """One precise problem: where (`path`, `node_id`) and what."""

    message: str
    path: tuple[str | int, ...] = ()
    node_id: str | None = None
    code: str | None = None
    edge_id: str | int | None = None
    """The edge of a graph the problem is about: its `id`, or its index when it has none."""

    def as_json(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"path": list(self.path), "message": self.message}
        if self.node_id is not None:
            detail["node_id"] = self.node_id
        if self.edge_id is not None:
            detail["edge_id"] = self.edge_id
        if self.code is not None:
            detail["code"] = self.code
        return detail


@dataclass
class AppError(FlowholdError):
    """Base of every error the API reports on purpose. Messages never contain secrets."""

    message: str
    details: list[ErrorDetail] = field(default_factory=list)
    status_code: ClassVar[int] = 500
    type: ClassVar[str] = "internal_error"

    def __str__(self) -> str:
        return self.message


class InvalidInputError(AppError):
    status_code = 422
    type = "invalid_input"


class AuthenticationError(AppError):
    status_code = 401
    type = "unauthenticated"


class PermissionDeniedError(AppError):
    status_code = 403
    type = "forbidden"


class NotFoundError(AppError):
    status_code = 404
    type = "not_found"


class MethodNotAllowedError(AppError):
    status_code = 405
    type = "method_not_allowed"


class ConflictError(AppError):
    status_code = 409
    type = "conflict"


class PayloadTooLargeError(AppError):
    status_code = 413
    type = "too_large"


@dataclass
class ServiceUnavailableError(AppError):
    """Something the engine needs does not answer, or is too busy to answer now."""

    retry_after: int | None = None
    """Seconds, for the `Retry-After` header: set when the same request may succeed soon (a
    busy database or Temporal), None when it needs a person (a platform not configured)."""
    status_code: ClassVar[int] = 503
    type: ClassVar[str] = "service_unavailable"


@dataclass
class TooManyRequestsError(AppError):
    """Too many attempts from one source; `retry_after` says when it may try again."""

    retry_after: int = 1
    """Seconds, for the `Retry-After` header."""
    status_code: ClassVar[int] = 429
    type: ClassVar[str] = "too_many_requests"


class HeadersTooLargeError(AppError):
    status_code = 431
    type = "headers_too_large"


class VaultError(FlowholdError):
    """Base of the vault's errors. Messages name key ids, never key material or plaintext."""


class VaultKeyError(VaultError, ValueError):
    """VAULT_KEYS is malformed; a ValueError too, so settings validation reports it."""


class UnknownKeyError(VaultError):
    """A secret was sealed with the key `key_id`, which is no longer configured."""

    def __init__(self, *, key_id: str) -> None:
        super().__init__(
            f"key {key_id!r} is not in VAULT_KEYS: keep retired keys listed until "
            "'python -m app.cli reencrypt' has moved every secret to the current key"
        )
        self.key_id = key_id


class TamperedError(VaultError):
    """A sealed secret does not open: altered, or copied from another record (its binding
    differs). `key_id`: the key it names, None when it is too malformed to name one."""

    def __init__(self, *, key_id: str | None) -> None:
        super().__init__(
            f"a secret sealed with key {key_id!r} does not open here: it was altered, or "
            "copied from another record"
            if key_id is not None
            else "a sealed secret is malformed: it was altered"
        )
        self.key_id = key_id


class SetupRefusedError(FlowholdError):
    """Temporal refuses this connection what `temporal-setup` does (Temporal Cloud, a
    locked-down cluster); the message says what to run instead."""


class LaunchError(FlowholdError):
    """Something stops `make run` from starting the engine."""
