"""Prometheus metrics of one process: what it ingested, correlated, appended and pushed, how
far behind the correlator is, and how long requests take. Each app has its own registry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from awareness.db.engine import Database
from awareness.db.tables import correlator_state, reports

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Counts:
    """Plain counters the stages bump; read at scrape time."""

    reports: Counter[str] = field(default_factory=Counter)  # by kind
    correlated: int = 0
    events: int = 0
    lag_reports: int = 0
    lag_seconds: float = 0.0
    leader: bool = False
    feed_clients: int = 0
    feed_sent: int = 0
    feed_dropped_clients: int = 0


class _Collector(Collector):
    def __init__(self, counts: Counts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        c = self._counts
        ingested = CounterMetricFamily(
            "awareness_reports_ingested", "Reports acknowledged by this process", labels=["kind"]
        )
        for kind in ("incident", "asset"):
            ingested.add_metric([kind], c.reports[kind])
        yield ingested
        for family, name, doc, attribute in _SCALARS:
            yield family(name, doc, value=float(getattr(c, attribute)))


# Every scalar of `Counts`: (family, metric name, help, attribute).
_SCALARS: tuple[tuple[type[CounterMetricFamily | GaugeMetricFamily], str, str, str], ...] = (
    (CounterMetricFamily, "awareness_reports_correlated", "Reports correlated by this process",
     "correlated"),
    (CounterMetricFamily, "awareness_events_appended", "Events this process appended to the log",
     "events"),
    (GaugeMetricFamily, "awareness_correlator_lag_reports", "Committed reports not yet correlated",
     "lag_reports"),
    (GaugeMetricFamily, "awareness_correlator_lag_seconds",
     "Age of the oldest report not yet correlated", "lag_seconds"),
    (GaugeMetricFamily, "awareness_correlator_leader", "1 if this process correlates", "leader"),
    (GaugeMetricFamily, "awareness_feed_clients", "Feed clients connected to this process",
     "feed_clients"),
    (CounterMetricFamily, "awareness_feed_messages_sent", "Feed frames sent by this process",
     "feed_sent"),
    (CounterMetricFamily, "awareness_feed_clients_dropped",
     "Feed clients disconnected for falling behind", "feed_dropped_clients"),
)  # fmt: skip


class Metrics:
    def __init__(self) -> None:
        self.counts = Counts()
        self.registry = CollectorRegistry()
        self.registry.register(_Collector(self.counts))
        self.request_seconds = Histogram(
            "awareness_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def measure_lag(
    database: Database, *, now: datetime, limit: int = 100_000
) -> tuple[int, float]:
    """Reports past the correlator's cursor (counted up to `limit`) and the age of the oldest."""
    async with database.read() as conn:
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
