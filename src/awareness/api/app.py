"""The app factory: `create_app(settings)` wires routers, errors, middleware and background
tasks. Nothing connects at import; the database is opened by the factory and closed on exit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

import awareness
from awareness.api import admin, board, errors, feed, health, reports
from awareness.api.middleware import BodyLimit, RequestContext
from awareness.clock import Clock
from awareness.correlator.loop import Correlator
from awareness.db.engine import Database
from awareness.eventlog import purge_before
from awareness.feed.broadcaster import Broadcaster
from awareness.feed.socket import GOING_AWAY
from awareness.ingest.idempotency import purge_expired
from awareness.notify import EVENTS, REPORTS
from awareness.paths import resource_dir
from awareness.services import Services, build_services
from awareness.settings import Settings

log = logging.getLogger(__name__)


def create_app(
    settings: Settings, *, clock: Clock | None = None, database: Database | None = None
) -> FastAPI:
    services = build_services(settings, clock=clock, database=database)

    notifier = services.notifier
    services.report_listeners.append(lambda: notifier.notify(REPORTS, 0))
    if settings.correlator.enabled:
        correlator = Correlator(
            settings=settings,
            database=services.database,
            clock=services.clock,
            on_events=lambda seq: notifier.notify(EVENTS, seq),
            counts=services.metrics.counts,
        )
        notifier.listen(REPORTS, correlator.wake)
        services.correlator = correlator
    broadcaster = Broadcaster(
        services.database,
        poll_seconds=settings.feed.poll_seconds,
        page=settings.feed.replay_page,
    )
    notifier.listen(EVENTS, broadcaster.wake)
    services.broadcaster = broadcaster

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await notifier.start()
        await broadcaster.start()
        if services.correlator is not None:
            services.correlator.start()
        tasks = [
            asyncio.create_task(_every(3600, _purge_idempotency(services)), name="idempotency"),
            asyncio.create_task(_every(3600, _purge_events(services)), name="events"),
        ]
        try:
            yield
        finally:
            broadcaster.close_all(GOING_AWAY, "server going away: reconnect with after=<last seq>")
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task
            if services.correlator is not None:
                await services.correlator.stop()
            await broadcaster.stop()
            await notifier.stop()
            await services.database.dispose()

    app = FastAPI(
        title="awareness",
        version=awareness.__version__,
        summary="Sector-wide cyber threat levels and early warnings for critical infrastructure.",
        lifespan=lifespan,
    )
    app.state.services = services
    errors.install(app)
    app.include_router(health.router)
    app.include_router(reports.router)
    app.include_router(board.router)
    app.include_router(feed.router)
    app.router.routes.append(feed.feed_route)
    app.include_router(admin.router)
    app.mount("/", StaticFiles(directory=resource_dir("dashboard"), html=True), name="dashboard")
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.limits.max_body_bytes,
        max_batch_bytes=settings.limits.max_batch_body_bytes,
    )
    app.add_middleware(
        RequestContext,
        access_log=settings.log.access,
        latency=services.metrics.request_seconds,
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """Adds the schemas of bodies that routes parse themselves after authentication."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (*reports.BODY_MODELS, admin.OrgIn, admin.KeyIn):
            definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(definition.pop("$defs", {}))
            components[model.__name__] = definition
        app.openapi_schema = schema
    return app.openapi_schema


def _purge_events(services: Services) -> Callable[[], Awaitable[None]]:
    async def purge() -> None:
        retention = timedelta(days=services.settings.feed.retention_days)
        async with services.database.write() as conn:
            removed = await purge_before(conn, before=services.clock.now() - retention)
        if removed:
            log.info("old events removed from the log", extra={"count": removed})

    return purge


def _purge_idempotency(services: Services) -> Callable[[], Awaitable[None]]:
    async def purge() -> None:
        retention = timedelta(hours=services.settings.ingest.idempotency_retention_hours)
        removed = await purge_expired(services.database, before=services.clock.now() - retention)
        if removed:
            log.info("expired idempotency records removed", extra={"count": removed})

    return purge


async def _every(seconds: float, job: Callable[[], Awaitable[None]]) -> None:
    """Runs a periodic job forever, first after one period so start-up stays quick; a failure
    is logged and retried at the next period."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except Exception:
            log.exception("periodic job failed", extra={"job": getattr(job, "__name__", "job")})
