"""One JSON error format for every error: `{"error": {"type", "message", "details"}}`."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException
from temporalio.service import RPCError, RPCStatusCode

from app.api.detail_codes import request_detail
from app.errors import AppError, ErrorDetail, ServiceUnavailableError, TooManyRequestsError

log = logging.getLogger(__name__)

BUSY_RETRY_AFTER = 2
"""Seconds a client is asked to wait when the database or Temporal is too busy to answer."""

_UNAVAILABLE = (
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
)


def error_body(
    type_: str, message: str, details: list[ErrorDetail] | None = None
) -> dict[str, Any]:
    """The answer of an error; a detail raised without a code carries the error's type
    (`app.api.detail_codes`)."""
    return {
        "error": {
            "type": type_,
            "message": message,
            "details": [
                (detail if detail.code else replace(detail, code=type_)).as_json()
                for detail in details or []
            ],
        }
    }


async def _app_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AppError)
    headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
    if isinstance(error, TooManyRequestsError):
        headers = {"Retry-After": str(error.retry_after)}
    if isinstance(error, ServiceUnavailableError) and error.retry_after is not None:
        headers = {"Retry-After": str(error.retry_after)}
    return JSONResponse(
        error_body(error.type, error.message, error.details),
        status_code=error.status_code,
        headers=headers,
    )


async def _request_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    sent_json = media == "application/json" or media.endswith("+json")
    details = [
        request_detail(problem, body=error.body, sent_json=sent_json) for problem in error.errors()
    ]
    return JSONResponse(
        error_body("invalid_input", "the request is not valid", details), status_code=422
    )


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    type_ = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    return JSONResponse(
        error_body(type_, str(error.detail)), status_code=error.status_code, headers=error.headers
    )


def _busy(message: str) -> JSONResponse:
    return JSONResponse(
        error_body("service_unavailable", message),
        status_code=503,
        headers={"Retry-After": str(BUSY_RETRY_AFTER)},
    )


async def _temporal_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RPCError)
    if error.status in _UNAVAILABLE:
        return _busy("Temporal does not answer; retry later")
    return await _unexpected(request, error)


async def _database_busy(_request: Request, error: Exception) -> JSONResponse:
    # Every pooled connection stayed in use past DATABASE_POOL_TIMEOUT_SECONDS (a burst of
    # requests), or the database refused or locked us out: the same request may pass soon.
    log.warning("database busy or unreachable: %s", type(error).__name__)
    return _busy("the database is busy or does not answer; retry later")


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    # The message of an unexpected error may carry anything: log it, answer without it.
    log.exception("unhandled error", exc_info=error)
    return JSONResponse(
        error_body("internal_error", "an unexpected error occurred"), status_code=500
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RPCError, _temporal_error)
    app.add_exception_handler(PoolTimeoutError, _database_busy)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(Exception, _unexpected)
