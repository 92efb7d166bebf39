"""Assembles the FastAPI application."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline

from app.api import builder_ui, errors, metrics
from app.api.access_log import AccessLogMiddleware
from app.api.cors import CorsMiddleware
from app.api.hardening import HardeningMiddleware
from app.api.json_bodies import JsonBodyMiddleware
from app.api.routes import (
    accounts,
    api_keys,
    approval_links,
    bulk_operations,
    codec,
    event_subscriptions,
    expressions,
    health,
    language,
    operator,
    organization,
    run_nodes,
    run_stream,
    runs,
    schedules,
    webhook_deliveries,
    webhook_settings,
    workflow_operations,
    workflow_versions,
    workflows,
)
from app.api.throttle import FailureLimiter
from app.api.tracing import TracingMiddleware
from app.catalog import report_plugins
from app.db.engine import Database
from app.services.heavy_work import GRAPH_CHECKS
from app.services.webhook_targets import DeliveryTargets
from app.settings import Settings, get_settings
from temporal.client import LazyClient, TemporalConnection

DESCRIPTION = """
A durable workflow engine: store workflows as graphs, run them on Temporal.

Authenticate with an API key: `Authorization: Bearer fh_...`.
Every error has one shape: `{"error": {"type", "message", "details": [{"path", "message"}]}}`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    GRAPH_CHECKS.resize(settings.graph_checks_at_once)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.database = Database(settings.resolved_database_url, settings.database_pool)
        app.state.temporal = LazyClient(TemporalConnection.from_settings(settings))
        report_plugins()
        # What is loaded by now lives as long as the process (modules, the catalog, models):
        # out of the collector's sight, its full passes walk only what requests make.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await app.state.database.dispose()

    # The docs page's Swagger UI and ReDoc come from the installed package, never a CDN:
    # they work offline, and no third party learns who reads them.
    app = FastAPIOffline(
        title="Flowhold",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url="/docs-assets",
    )
    # Added late, so outside the routes: every answer, refusals included, gets the hardening
    # headers.
    app.add_middleware(JsonBodyMiddleware)
    app.add_middleware(HardeningMiddleware)
    # Outside the hardening, so that its refusals (431) are readable by a listed builder too.
    app.add_middleware(CorsMiddleware, origins=settings.cors_origin_list)
    # Outermost: every answer is counted and logged, refusals of the middlewares inside
    # included, and every line a request writes carries its ids.
    app.add_middleware(metrics.RequestMetricsMiddleware)
    app.add_middleware(AccessLogMiddleware)
    # Outside the access log, so its line carries the trace.
    app.add_middleware(TracingMiddleware)
    app.state.failed_authentication = FailureLimiter(
        limit=settings.failed_authentications_per_minute,
        window=60,
        what="failed authentications",
    )
    app.state.failed_deliveries = FailureLimiter(
        limit=settings.failed_deliveries_per_minute, window=60, what="failed webhook deliveries"
    )
    app.state.webhook_targets = DeliveryTargets(vault_keys=settings.vault_keys)
    errors.install(app)
    router = APIRouter()
    router.include_router(health.router)
    router.include_router(metrics.router)
    router.include_router(language.router)
    router.include_router(expressions.router)
    router.include_router(workflows.router)
    router.include_router(workflow_versions.router)
    router.include_router(bulk_operations.router)
    router.include_router(runs.router)
    router.include_router(approval_links.router)
    router.include_router(accounts.router)
    router.include_router(run_stream.router)
    router.include_router(run_nodes.router)
    router.include_router(workflow_operations.router)
    router.include_router(schedules.router)
    router.include_router(webhook_settings.router)
    router.include_router(webhook_deliveries.router)
    router.include_router(organization.router)
    router.include_router(api_keys.router)
    router.include_router(codec.router)
    router.include_router(operator.router)
    router.include_router(event_subscriptions.router)
    app.include_router(router)
    app.include_router(builder_ui.router)
    return app
