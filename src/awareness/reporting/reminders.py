"""Reminders: when an unfiled reporting stage reaches 75 % of its window, and its deadline
(`reporting.reminders`), a `reminder` event goes to the incident's organization and its sector's
supervisors. One process per database sends them (leader-elected like the correlator), and each
is recorded with its event in one transaction under a key of (incident, regime, stage, percent):
sent exactly once, across restarts and replicas. Time is the injected clock's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.clock import Clock
from awareness.consumers.leader import Leadership
from awareness.consumers.runner import Progress
from awareness.db.tables import clock_reminders, incidents
from awareness.eventlog.writer import EventWriter
from awareness.scoring.clocks import reminders_of
from awareness.settings import Settings
from awareness.views.clocks import ClockRules, ReminderView, clock_view, horizon_query, open_clocks

KIND = "reminder"


class Reminders:
    """A consumer of time, run by `consumers.runner.Runner`: every step sends what fell due."""

    name = "reminders"
    exclusive = True

    def __init__(self, *, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        # Told the newest seq after a step appended reminders (wakes the feeds).
        self.on_appended: Callable[[int], None] | None = None

    def rules(self) -> ClockRules:
        s = self._settings
        return ClockRules(s.regimes, s.scoring, s.sectors, self._clock.now())

    async def step(self, leadership: Leadership) -> Progress:
        rules = self.rules()
        async with leadership.transaction() as conn:
            appended = await send_due(
                conn, rules=rules, horizon=timedelta(days=self._settings.reporting.horizon_days),
                thresholds=self._settings.reporting.reminders,
            )  # fmt: skip
        if appended and self.on_appended is not None:
            self.on_appended(max(appended))
        return Progress(len(appended), more=False)


async def send_due(
    conn: AsyncConnection, *, rules: ClockRules, horizon: timedelta, thresholds: tuple[int, ...]
) -> list[int]:
    """Append a reminder event for every threshold passed and not yet sent; their seqs."""
    found = await open_clocks(conn, rules=rules, horizon=horizon, scope=sa.true())
    if not found:
        return []
    in_horizon = horizon_query(since=rules.now - horizon).with_only_columns(incidents.c.id)
    sent_query = sa.select(
        clock_reminders.c.incident_id, clock_reminders.c.regime, clock_reminders.c.stage,
        clock_reminders.c.percent,
    ).where(clock_reminders.c.incident_id.in_(in_horizon.order_by(None)))  # fmt: skip
    sent = {tuple(row) for row in await conn.execute(sent_query)}
    writer = EventWriter(conn)
    for row, clock in found:
        for percent, at in reminders_of(clock, thresholds):
            key = (row["id"], clock.regime, clock.stage, percent)
            if at > rules.now or key in sent:
                continue
            view = ReminderView(
                **clock_view(clock, rules).model_dump(), incident_id=row["id"],
                org_id=row["org_id"], sector=row["sector"], percent=percent, at=at,
            )  # fmt: skip
            seq = await writer.append(
                type="reminder", kind=KIND, sector=row["sector"], sectors=[row["sector"]],
                targets=[row["org_id"]], data=view, at=rules.now,
            )  # fmt: skip
            await conn.execute(
                clock_reminders.insert().values(
                    incident_id=row["id"], regime=clock.regime, stage=clock.stage,
                    percent=percent, seq=seq, sent_at=rules.now,
                )
            )  # fmt: skip
            sent.add(key)
    return writer.appended
