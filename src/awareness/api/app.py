"""The app factory: `create_app(settings)` builds every part once, in order (database, signals,
metrics, keys, ingest, the correlator and the feed as consumers of their logs), wires who wakes
whom, then routers, errors, middleware and background tasks. Nothing connects at import; the
database is opened by the factory and closed on exit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

import awareness
from awareness import warninglists
from awareness.api import (
    admin,
    audit,
    board,
    clocks,
    docs,
    errors,
    exports,
    feed,
    feeds,
    health,
    misp,
    reports,
    response,
    subscriptions,
    taxii,
    taxii_inbox,
    vocabulary,
)
from awareness.api.components import Components
from awareness.api.dashboard import Dashboard
from awareness.api.middleware import BodyLimit, RequestContext
from awareness.auth import keys, orgs
from awareness.auth.audit import purge_before as purge_audit
from awareness.auth.keys import KeyStore
from awareness.auth.limits import RateLimiter
from awareness.auth.refusals import RefusalLog
from awareness.clock import Clock, SystemClock
from awareness.consumers.runner import Consumer, Runner
from awareness.correlator.correlator import Correlator
from awareness.correlator.vulnerabilities import Matcher
from awareness.db.engine import Database, open_database
from awareness.delivery.dispatcher import Dispatcher
from awareness.delivery.secrets import Vault
from awareness.delivery.subscriptions import SubscriptionIn, purge_attempts
from awareness.eventlog.reader import purge_before
from awareness.feed.broadcaster import Broadcaster
from awareness.feed.connection import GOING_AWAY, GOODBYE
from awareness.ingest.idempotency import purge_expired
from awareness.ingest.submit import Ingest
from awareness.metrics import Metrics, correlator_lag
from awareness.reporting.reminders import Reminders
from awareness.settings import DeliverySettings, ReportingSettings, Settings, VulnerabilitySettings
from awareness.signals import open_signals
from awareness.views import frames

log = logging.getLogger(__name__)


def build_components(
    settings: Settings, *, clock: Clock | None = None, database: Database | None = None
) -> Components:
    database = database or open_database(settings.effective_database_url, settings.database)
    clock = clock or SystemClock()
    signals = open_signals(database)
    metrics = Metrics()
    correlator = None
    if settings.correlator.enabled:
        options = settings.correlator
        correlator = Runner(
            Correlator(
                options=options, scoring=settings.scoring, sectors=settings.sectors,
                clock=clock, signals=signals, metrics=metrics,
            ),
            database=database, poll_seconds=options.poll_seconds,
            retry_seconds=options.retry_seconds,
        )  # fmt: skip
        signals.on_reports(correlator.wake)
        metrics.correlator_leader.set_function(lambda: float(correlator.leading))
    broadcaster = Broadcaster(database, page=settings.feed.replay_page)
    feed_runner = Runner(
        broadcaster,
        database=database,
        poll_seconds=settings.feed.poll_seconds,
        retry_seconds=settings.feed.poll_seconds,
    )
    signals.on_events(broadcaster.heard)
    signals.on_events(feed_runner.wake)
    metrics.feed_clients.set_function(lambda: broadcaster.connections)
    metrics.consumer_lag_events.labels(broadcaster.name).set_function(lambda: broadcaster.lag)
    vault = Vault(settings.delivery)
    delivery = None
    if settings.delivery.enabled:
        dispatcher = Dispatcher(
            database=database, settings=settings.delivery, clock=clock, vault=vault,
            metrics=metrics,
        )  # fmt: skip
        delivery = _runner(dispatcher, database, settings.delivery)
        dispatcher.on_done = delivery.wake
        dispatcher.on_appended = signals.events_committed
        signals.on_events(delivery.wake)
    reminders = None
    if settings.reporting.enabled:
        reminding = Reminders(settings=settings, clock=clock)
        reminders = _runner(reminding, database, settings.reporting)
        reminding.on_appended = signals.events_committed
    vulnerabilities = None
    if settings.vulnerabilities.enabled:
        matcher = Matcher(settings=settings, clock=clock)
        vulnerabilities = _runner(matcher, database, settings.vulnerabilities)
        matcher.on_appended = signals.events_committed
        # Asset reports and imports (told as reports), and exposure warnings (events).
        signals.on_reports(vulnerabilities.wake)
        signals.on_events(vulnerabilities.wake)
    components = Components(
        settings=settings,
        database=database,
        clock=clock,
        signals=signals,
        metrics=metrics,
        keys=KeyStore(database, cache_seconds=settings.auth.cache_seconds),
        limiter=RateLimiter(
            per_second=settings.limits.requests_per_second, burst=settings.limits.burst
        ),
        failures=RateLimiter(
            per_second=settings.auth.failures_per_second, burst=settings.auth.failures_burst
        ),
        refusals=RefusalLog(window_seconds=settings.audit.refusal_window_seconds),
        ingest=Ingest(
            database=database,
            settings=settings,
            clock=clock,
            signals=signals,
            metrics=metrics,
            benign=warninglists.loaded(settings.ingest.known_benign_lists),
        ),
        broadcaster=broadcaster,
        correlator=correlator,
        feed=feed_runner,
        vault=vault,
        delivery=delivery,
        reminders=reminders,
        vulnerabilities=vulnerabilities,
    )
    for runner in components.consumers:
        if runner.consumer.exclusive:
            leading = metrics.consumer_leader.labels(runner.consumer.name)
            leading.set_function(partial(_leading, runner))
    return components


# The settings of a consumer that polls and retries.
Polling = DeliverySettings | ReportingSettings | VulnerabilitySettings


def _runner(consumer: Consumer, database: Database, options: Polling) -> Runner:
    return Runner(
        consumer, database=database, poll_seconds=options.poll_seconds,
        retry_seconds=options.retry_seconds,
    )  # fmt: skip


async def _check_profile(components: Components) -> None:
    """A profile that lacks the sectors of registered organizations stops the start-up
    (`auth.orgs.ProfileMismatch`); a database unreachable or without its schema yet is left to
    /readyz, which says so (`awareness serve` checks again once it has migrated)."""
    settings = components.settings
    try:
        async with components.database.read() as conn:
            await orgs.check_profile(
                conn, profile=settings.profile, sectors=settings.sectors.sectors
            )
    except orgs.ProfileMismatch:
        raise
    except Exception:  # the database's state is /readyz's to report, not the start-up's
        log.warning("organizations not readable; the sector profile is not checked")


def _leading(runner: Runner) -> float:
    return float(runner.leading)


def _report_benign(settings: Settings) -> None:
    """What never makes a campaign, said once at start-up so an operator can check it."""
    lists, entries = warninglists.loaded(settings.ingest.known_benign_lists).counts
    log.info(
        "known-benign indicators",
        extra={
            "warninglists": lists,
            "warninglist_entries": entries,
            "allow_list_entries": len(settings.scoring.campaign.allow_list),
        },
    )


def create_app(
    settings: Settings, *, clock: Clock | None = None, database: Database | None = None
) -> FastAPI:
    components = build_components(settings, clock=clock, database=database)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await _check_profile(components)
        except orgs.ProfileMismatch:
            await components.database.dispose()
            raise
        _report_benign(settings)
        await components.signals.start()
        for runner in components.consumers:
            runner.start()
        tasks = [
            asyncio.create_task(_every(3600, _purge_idempotency(components)), name="idempotency"),
            asyncio.create_task(_every(3600, _purge_events(components)), name="events"),
            asyncio.create_task(
                _every(_refusal_flush_seconds(settings), _flush_refusals(components)),
                name="refused authentications",
            ),
            asyncio.create_task(
                _every(settings.feed.revocation_check_seconds, _end_revoked_feeds(components)),
                name="revoked feeds",
            ),
            asyncio.create_task(
                _every(settings.feed.keepalive_seconds, _measure_lag(components), at_once=True),
                name="correlation lag",
            ),
        ]
        try:
            yield
        finally:
            components.broadcaster.close_all(GOING_AWAY, GOODBYE)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task
            for runner in components.consumers:
                await runner.stop()
            await _flush_refusals(components, everything=True)()
            if components.dispatcher is not None:
                await components.dispatcher.close()
            await components.signals.stop()
            await components.database.dispose()

    app = FastAPI(
        title="awareness",
        version=awareness.__version__,
        summary="Sector-wide cyber threat levels and early warnings for critical infrastructure.",
        lifespan=lifespan,
        # `docs.router` serves /docs from the installed package instead of a CDN; no ReDoc.
        docs_url=None,
        redoc_url=None,
    )
    app.state.components = components
    errors.install(app)
    routers = (
        health, reports, board, response, exports, feed, subscriptions, admin, vocabulary, misp,
        audit, clocks, feeds,
    )  # fmt: skip
    for module in (*routers, docs):
        app.include_router(module.router)
    app.include_router(taxii.router)
    app.include_router(taxii_inbox.router)
    # Last of the TAXII routes (after any other router under /taxii2/): unknown paths there.
    app.include_router(taxii.fallback)
    app.include_router(taxii.schema)
    app.router.routes.append(feed.feed_route)
    app.router.routes.append(Dashboard(lambda: docs.api_routes(app.routes)))
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.limits.max_body_bytes,
        max_batch_bytes=settings.limits.max_batch_body_bytes,
    )
    app.add_middleware(
        RequestContext,
        access_log=settings.log.access,
        latency=components.metrics.request_seconds,
    )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """Adds the schemas of bodies that dependencies parse, of the feed's frames and of every
    refusal's answer; the bearer key each operation that checks one requires, and each
    operation's refusals."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        documented: list[tuple[type[BaseModel], JsonSchemaMode]] = [
            *(
                (model, "validation")
                for model in (
                    *reports.BODY_MODELS,
                    admin.OrgIn,
                    admin.KeyIn,
                    SubscriptionIn,
                    *response.BODY_MODELS,
                    *clocks.BODY_MODELS,
                )
            ),
            *((frame, "serialization") for frame in (*frames.MODELS, errors.ErrorBody)),
        ]
        for model, mode in documented:
            definition = model.model_json_schema(
                ref_template="#/components/schemas/{model}", mode=mode
            )
            components.update(definition.pop("$defs", {}))
            components[model.__name__] = definition
        accesses = docs.access(app)
        docs.document_security(schema, accesses)
        docs.document_outcomes(schema)
        errors.document_errors(schema, accesses)
        app.openapi_schema = schema
    return app.openapi_schema


def _purge_events(components: Components) -> Callable[[], Awaitable[None]]:
    async def purge() -> None:
        retention = timedelta(days=components.settings.feed.retention_days)
        history = timedelta(days=components.settings.delivery.history_days)
        now = components.clock.now()
        async with components.database.write() as conn:
            removed = await purge_before(conn, before=now - retention)
            attempts = await purge_attempts(conn, before=now - history)
        if removed:
            log.info("old events removed from the log", extra={"count": removed})
        if attempts:
            log.info("old delivery attempts removed", extra={"count": attempts})
        if components.settings.audit.retention_days:
            keep = timedelta(days=components.settings.audit.retention_days)
            async with components.database.write() as conn:
                audited = await purge_audit(conn, before=now - keep, now=now)
            if audited:
                log.info("old audit records removed, the anchor moved", extra={"count": audited})

    return purge


def _refusal_flush_seconds(settings: Settings) -> float:
    """A closed window is written within 10 s (sooner for shorter windows)."""
    return min(10.0, settings.audit.refusal_window_seconds)


def _flush_refusals(
    components: Components, *, everything: bool = False
) -> Callable[[], Awaitable[None]]:
    """Refused authentications whose window closed (all of them at shut-down) into the audit
    trail; at shut-down a failure is logged, not raised, so the rest still stops."""

    async def flush() -> None:
        try:
            await components.refusals.flush(
                components.database, now=components.clock.now(), everything=everything
            )
        except Exception:
            if not everything:
                raise
            log.exception("refused authentications not written to the audit trail")

    return flush


def _measure_lag(components: Components) -> Callable[[], Awaitable[None]]:
    """How far behind the correlator is, for the heartbeats every board reads."""

    async def measure() -> None:
        async with components.database.read() as conn:
            lag = await correlator_lag(conn, now=components.clock.now())
        components.broadcaster.correlation_lag = lag

    return measure


def _end_revoked_feeds(components: Components) -> Callable[[], Awaitable[None]]:
    """A key revoked through another replica (or the command line) ends this one's feeds."""

    async def end() -> None:
        connected = components.broadcaster.key_ids()
        if not connected:
            return
        async with components.database.read() as conn:
            revoked = await keys.revoked_among(conn, connected)
        if revoked and components.end_sessions(revoked):
            log.info("feeds of revoked keys closed", extra={"key_ids": sorted(revoked)})

    return end


def _purge_idempotency(components: Components) -> Callable[[], Awaitable[None]]:
    async def purge() -> None:
        retention = timedelta(hours=components.settings.ingest.idempotency_retention_hours)
        removed = await purge_expired(
            components.database, before=components.clock.now() - retention
        )
        if removed:
            log.info("expired idempotency records removed", extra={"count": removed})

    return purge


async def _every(
    seconds: float, job: Callable[[], Awaitable[None]], *, at_once: bool = False
) -> None:
    """Runs a periodic job forever, first after one period so start-up stays quick (unless
    `at_once`); a failure is logged and retried at the next period."""
    while True:
        if not at_once:
            await asyncio.sleep(seconds)
        at_once = False
        try:
            await job()
        except Exception:
            log.exception("periodic job failed", extra={"job": getattr(job, "__name__", "job")})
