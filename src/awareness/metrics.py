"""Prometheus metrics of one process: what it ingested, correlated, appended and pushed, how far
behind the consumers of the logs are, and how long requests take. Each app has its own
registry; stages count as things happen, gauges of live objects read them when scraped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.consumers.events import lags
from awareness.db.engine import Database
from awareness.db.tables import correlator_state, reports

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Tally(Collector):
    """A counter for the feed's hottest loop, bumped once per frame per client: a plain integer
    read when scraped. A `Counter` takes a lock per increment, about 3% of the server's samples
    at 1,000 feed clients. Only the event loop's thread increments it."""

    def __init__(self, name: str, documentation: str, registry: CollectorRegistry) -> None:
        self._name, self._documentation = name, documentation
        self._created = time.time()
        self.value = 0
        registry.register(self)

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(self._name, self._documentation)
        family.add_metric([], self.value, created=self._created)
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.reports_ingested = Counter(
            "awareness_reports_ingested", "Reports acknowledged by this process", ["kind"],
            registry=registry,
        )  # fmt: skip
        for kind in ("incident", "asset"):
            self.reports_ingested.labels(kind)
        self.reports_correlated = Counter(
            "awareness_reports_correlated", "Reports correlated by this process", registry=registry
        )
        self.events_appended = Counter(
            "awareness_events_appended", "Events this process appended to the log",
            registry=registry,
        )  # fmt: skip
        self.correlator_lag_reports = Gauge(
            "awareness_correlator_lag_reports", "Committed reports not yet correlated",
            registry=registry,
        )  # fmt: skip
        self.correlator_lag_seconds = Gauge(
            "awareness_correlator_lag_seconds", "Age of the oldest report not yet correlated",
            registry=registry,
        )  # fmt: skip
        self.correlator_batch_seconds = Histogram(
            "awareness_correlator_batch_seconds",
            "Time of one correlator batch, commit included",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        )
        self.correlator_batch_limit = Gauge(
            "awareness_correlator_batch_limit",
            "Reports the next correlator batch may take, sized to the time budget",
            registry=registry,
        )
        self.correlator_leader = Gauge(
            "awareness_correlator_leader", "1 if this process correlates", registry=registry
        )
        self.consumer_leader = Gauge(
            "awareness_consumer_leader", "1 if this process runs the consumer", ["consumer"],
            registry=registry,
        )  # fmt: skip
        self.consumer_lag_events = Gauge(
            "awareness_consumer_lag_events", "Events in the log the consumer has yet to handle",
            ["consumer"], registry=registry,
        )  # fmt: skip
        self.feed_clients = Gauge(
            "awareness_feed_clients", "Feed clients connected to this process", registry=registry
        )
        self.feed_messages_sent = Tally(
            "awareness_feed_messages_sent", "Feed frames sent by this process", registry
        )
        self.feed_clients_dropped = Counter(
            "awareness_feed_clients_dropped", "Feed clients disconnected for falling behind",
            registry=registry,
        )  # fmt: skip
        self.deliveries = Counter(
            "awareness_deliveries", "Delivery attempts by channel and outcome (delivered, "
            "failed, disabled)", ["channel", "outcome"], registry=registry,
        )  # fmt: skip
        self.delivery_seconds = Histogram(
            "awareness_delivery_seconds",
            "From an event's commit to its delivery to a subscription, by channel",
            ["channel"],
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600, 86400),
        )
        self.delivery_backlog = Gauge(
            "awareness_delivery_backlog_events",
            "Events after the positions of active subscriptions, by channel",
            ["channel"], registry=registry,
        )  # fmt: skip
        self.request_seconds = Histogram(
            "awareness_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )

    async def measure(self, database: Database, *, now: datetime) -> None:
        """What only the database knows, the same from every replica: the correlator's lag and
        each durable consumer's."""
        async with database.read() as conn:
            count, age = await correlator_lag(conn, now=now)
            for name, lag in (await lags(conn)).items():
                self.consumer_lag_events.labels(name).set(lag)
        self.correlator_lag_reports.set(count)
        self.correlator_lag_seconds.set(age)

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def correlator_lag(
    conn: AsyncConnection, *, now: datetime, limit: int = 100_000
) -> tuple[int, float]:
    """Reports past the correlator's cursor (counted up to `limit`) and the age of the oldest."""
    cursor = (
        await conn.execute(sa.select(correlator_state.c.xact, correlator_state.c.report_id))
    ).first()
    position = (cursor.xact, cursor.report_id) if cursor is not None else (-1, 0)
    pending = (
        sa.select(reports.c.received_at)
        .where(sa.tuple_(reports.c.xact, reports.c.id) > sa.tuple_(*position))
        .order_by(reports.c.xact, reports.c.id)
        .limit(limit)
        .subquery()
    )
    count, oldest = (
        await conn.execute(sa.select(sa.func.count(), sa.func.min(pending.c.received_at)))
    ).one()
    return count, max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
