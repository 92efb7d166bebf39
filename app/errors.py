"""The application's error tree; one handler in `app.api.errors` turns it into HTTP answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class ErrorDetail:
    """One precise problem: where (`path`, `node_id`) and what."""

    message: str
    path: tuple[str | int, ...] = ()
    node_id: str | None = None
    code: str | None = None

    def as_json(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"path": list(self.path), "message": self.message}
        if self.node_id is not None:
            detail["node_id"] = self.node_id
        if self.code is not None:
            detail["code"] = self.code
        return detail


@dataclass
class AppError(Exception):
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


class ConflictError(AppError):
    status_code = 409
    type = "conflict"


class ServiceUnavailableError(AppError):
    status_code = 503
    type = "service_unavailable"


class PayloadTooLargeError(AppError):
    status_code = 413
    type = "too_large"


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
