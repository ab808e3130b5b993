"""One event, the same campaign warning, handed to each server its own way, with `t0` taken at
the same point for both, so that their latencies compare like with like."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from harness import BenchError

EVENTS_CHANNEL = "awareness_events"  # awareness.signals.local.EVENTS; checked at start-up


def warning_data(number: int, now: datetime) -> dict[str, Any]:
    """The `data` of a campaign warning as the feed sends it (awareness.views.warnings'
    WarningView); `seq` is filled in with the event's."""
    at = now.isoformat().replace("+00:00", "Z")
    value = f"185.220.{100 + number // 250 % 100}.{1 + number % 250}"
    return {
        "id": 100_000 + number,
        "seq": None,
        "kind": "campaign",
        "sector": "energy",
        "sectors": ["energy", "water"],
        "level": "orange",
        "title": f"ipv4 {value} reported by 3 organizations in energy, water",
        "created_at": at,
        "evidence": {
            "campaign_id": 10_000 + number,
            "indicator": {"type": "ipv4", "value": value},
            "organizations": 3,
            "sectors": ["energy", "water"],
            "max_severity": 62.5,
            "level": "orange",
            "first_seen": at,
            "last_seen": at,
            "window_hours": 72,
            "reasons": ["detected"],
        },
        "target_orgs": None,
        "campaign_id": 10_000 + number,
        "acknowledged_at": None,
        "acknowledged_by": None,
    }


def frame_text(seq: int, data: dict[str, Any]) -> str:
    """Byte for byte what awareness sends for the event (Event.message + Audience.encode)."""
    return json.dumps(
        {"type": "warning", "seq": seq, "data": data | {"seq": seq}}, separators=(",", ":")
    )


class AwarenessEmitter:
    """Appends events to awareness's log through its own EventWriter, as the correlator does,
    then notifies over PostgreSQL: the path every replica's broadcaster listens on."""

    def __init__(self, sqlalchemy_url: str, dsn: str) -> None:
        self.sqlalchemy_url, self.dsn = sqlalchemy_url, dsn
        self.engine: Any = None
        self.notify_conn: Any = None

    async def open(self) -> None:
        import asyncpg
        from sqlalchemy.ext.asyncio import create_async_engine

        from awareness.signals.local import EVENTS

        if EVENTS != EVENTS_CHANNEL:
            raise BenchError(f"awareness now notifies events on {EVENTS!r}")
        self.engine = create_async_engine(self.sqlalchemy_url, pool_size=2, max_overflow=0)
        self.notify_conn = await asyncpg.connect(self.dsn)

    async def emit(self, number: int) -> tuple[int, float]:
        from awareness.eventlog.writer import EventWriter
        from awareness.views.warnings import WarningView

        now = datetime.now(UTC)
        data = warning_data(number, now)
        async with self.engine.begin() as conn:
            seq = await EventWriter(conn).append(
                type="warning",
                kind="campaign",
                sector="energy",
                sectors=["energy", "water"],
                data=lambda seq: WarningView.model_validate(data | {"seq": seq}),
                at=now,
            )
        t0 = time.monotonic()  # committed; the broadcaster has not been told yet
        await self.notify_conn.execute("SELECT pg_notify($1, $2)", EVENTS_CHANNEL, str(seq))
        return seq, t0

    async def fill(self, total_bytes: int, sector: str) -> int:
        """Padded level changes of a sector the measured clients do not follow, as fast as
        they commit: only the stalled client (all sectors) is sent them, and they fill the
        kernel's buffers on its path, so the server itself feels the stall. Returns the count."""
        from awareness.eventlog.writer import EventWriter
        from awareness.views.sectors import level_change

        chunk = 256 * 1024
        count = max(1, -(-total_bytes // chunk))
        seq = 0
        for i in range(count):
            now = datetime.now(UTC)
            data = level_change(
                sector=sector,
                level="blue",
                previous_level="none",
                score=float(i),
                at=now,
                evidence={"note": "x" * chunk},
            )
            async with self.engine.begin() as conn:
                seq = await EventWriter(conn).append(
                    type="sector_level",
                    kind="sector_level",
                    sector=sector,
                    sectors=(),
                    data=data,
                    at=now,
                )
        await self.notify_conn.execute("SELECT pg_notify($1, $2)", EVENTS_CHANNEL, str(seq))
        return count

    async def close(self) -> None:
        if self.notify_conn is not None:
            await self.notify_conn.close()
        if self.engine is not None:
            await self.engine.dispose()


class BareEmitter:
    """Sends the same frame text to the bare server's control socket, which broadcasts it."""

    def __init__(self, control_url: str) -> None:
        self.control_url = control_url
        self.ws: Any = None
        self.seq = 0

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.control_url, compression=None, proxy=None)

    async def emit(self, number: int) -> tuple[int, float]:
        self.seq += 1
        text = frame_text(self.seq, warning_data(number, datetime.now(UTC)))
        t0 = time.monotonic()
        await self.ws.send(text)
        return self.seq, t0

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
