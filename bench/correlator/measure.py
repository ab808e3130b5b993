"""One round: new reports ingested through the real code, then `run_batch` timed batch by batch
in wall clock and CPU, because the per-report cost is the figure the target is about."""

from __future__ import annotations

import asyncio
import math
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from draws import NewReport
from plans import StatementLog
from seed import Seeded
from world import HISTORY_END, World

from awareness import warninglists
from awareness.auth.principal import Principal, Role
from awareness.correlator.batch import run_batch
from awareness.correlator.correlator import FIRST_BATCH, next_limit
from awareness.db.engine import Database
from awareness.ingest.store import append_incidents, upsert_assets
from awareness.settings import Settings
from harness import BenchError

# `now` passed to run_batch (it only dates the cursor row's updated_at).
FIXED_NOW = HISTORY_END + timedelta(days=30)


@dataclass
class RoundResult:
    round_no: int
    reports: int
    ingest_seconds: float
    batches: list[dict[str, float]]
    events: int
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def per_report_ms(self) -> list[float]:
        return [b["seconds"] * 1000 / b["processed"] for b in self.batches]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.per_report_ms)

    @property
    def p90_ms(self) -> float:
        return percentile(self.per_report_ms, 0.9)

    @property
    def total_ms_per_report(self) -> float:
        return sum(b["seconds"] for b in self.batches) * 1000 / self.reports

    @property
    def cpu_ms_per_report(self) -> float:
        """CPU of this process and of the correlator's PostgreSQL backend, per report: what
        the work costs, whoever else wants the two cores meanwhile."""
        cpu = sum(b["python_cpu"] + b["server_cpu"] for b in self.batches)
        return cpu * 1000 / self.reports

    @property
    def server_cpu_ms_per_report(self) -> float:
        return sum(b["server_cpu"] for b in self.batches) * 1000 / self.reports


_TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """User + system CPU seconds of a local PostgreSQL backend (0 when not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = q * (len(ordered) - 1)
    low, high = math.floor(index), math.ceil(index)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


@dataclass
class Target:
    size: int
    db: str
    url: str
    settings: Settings
    seeded: Seeded | None = None
    rounds: list[RoundResult] = field(default_factory=list)
    statements: StatementLog = field(default_factory=StatementLog)


async def ingest(
    database: Database, world: World, items: list[NewReport], tag: str, settings: Settings
) -> list[int]:
    # The lists the service reads by default, so known-benign values are marked as in production.
    benign = warninglists.loaded(settings.ingest.known_benign_lists)
    incident_ids = []
    for i, item in enumerate(items):
        org = world.orgs[item.org]
        principal = Principal(
            key_id=org.key_id, role=Role.operator, org_id=org.id, org_sector=org.sector
        )
        async with database.write() as conn:
            if item.incident is not None:
                incident_ids += await append_incidents(
                    conn, principal=principal, items=[item.incident], now=item.received_at,
                    request_id=f"{tag}-{i}", benign=benign,
                )  # fmt: skip
            else:
                assert item.asset is not None
                await upsert_assets(
                    conn, principal=principal, items=[item.asset], now=item.received_at,
                    request_id=f"{tag}-{i}",
                )  # fmt: skip
    return incident_ids


async def measure_round(
    target: Target,
    world: World,
    items: list[NewReport],
    *,
    round_no: int,
    limit: int,
    explain: bool,
) -> RoundResult:
    ingest_db = Database(target.url, options=target.settings.database)
    correlator_db = Database(target.url, options=target.settings.database)
    target.statements.attach(correlator_db, explain=explain)
    try:
        started = time.perf_counter()
        incident_ids = await ingest(ingest_db, world, items, f"bench-r{round_no}", target.settings)
        ingest_seconds = time.perf_counter() - started
        batches: list[dict[str, float]] = []
        events = 0
        # As the correlator does (consumers/leader.py, correlator/correlator.py): one
        # connection, one transaction per batch, each batch sized to the time budget from the
        # last one's pace and taking up the state the last one left.
        options = target.settings.correlator
        size = limit or min(options.batch_size, FIRST_BATCH)
        carried = None
        async with correlator_db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            backend = raw.driver_connection.get_server_pid()  # no statement of our own
            while True:
                server0, python0 = backend_cpu(backend), time.process_time()
                t0 = time.perf_counter()
                async with conn.begin():
                    outcome = await run_batch(
                        conn,
                        scoring=target.settings.scoring,
                        sectors=target.settings.sectors,
                        limit=size,
                        now=FIXED_NOW,
                        carried=carried,
                        ledger_rows=options.ledger_rows,
                    )
                seconds = time.perf_counter() - t0
                carried = outcome.state or carried
                if not limit and outcome.processed:
                    size = next_limit(
                        size, processed=outcome.processed, seconds=seconds,
                        target=options.batch_seconds, most=options.batch_size,
                    )  # fmt: skip
                python, server = time.process_time() - python0, backend_cpu(backend) - server0
                if outcome.processed == 0:
                    break
                events += len(outcome.appended)
                batches.append({
                    "processed": outcome.processed, "seconds": seconds,
                    "events": len(outcome.appended), "python_cpu": python, "server_cpu": server,
                })  # fmt: skip
            await asyncio.sleep(0.2)  # let the last auto_explain notices arrive
        processed = sum(b["processed"] for b in batches)
        async with ingest_db.read() as conn:
            scored = (
                await conn.execute(
                    sa.text("SELECT count(*) FROM incident_scores WHERE incident_id = ANY(:ids)"),
                    {"ids": incident_ids},
                )
            ).scalar_one()
        if processed != len(items) or scored != len(incident_ids):
            raise BenchError(
                f"size {target.size:,} round {round_no}: {len(items)} reports ingested, "
                f"{processed} processed, {scored}/{len(incident_ids)} incidents scored"
            )
        return RoundResult(round_no, len(items), ingest_seconds, batches, events, os.getloadavg())
    finally:
        await ingest_db.dispose()
        await correlator_db.dispose()
