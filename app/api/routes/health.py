from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.api.deps import DatabaseDep, LazyTemporalDep
from app.api.errors import error_body
from app.api.responses import errors
from app.api.schemas import Health
from app.errors import ErrorDetail

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    operation_id="health",
    response_model=Health,
    responses=errors(503),
)
async def health(database: DatabaseDep, temporal: LazyTemporalDep) -> JSONResponse:
    """200 when the database and Temporal both answer; otherwise 503 naming which failed."""
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(5), database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unreachable"
    try:
        await asyncio.wait_for(temporal.check(), timeout=5)
        checks["temporal"] = "ok"
    except Exception:
        checks["temporal"] = f"unreachable at {temporal.target}"
    failed = [name for name, outcome in checks.items() if outcome != "ok"]
    if failed:
        body = error_body(
            "service_unavailable",
            f"not healthy: {', '.join(failed)}",
            [ErrorDetail(path=(name,), message=checks[name]) for name in failed],
        )
        return JSONResponse({**body, "status": "unhealthy", "checks": checks}, status_code=503)
    return JSONResponse({"status": "ok", "checks": checks})
