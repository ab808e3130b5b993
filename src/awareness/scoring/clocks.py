"""Reporting clocks (`config/regimes.toml`): which regimes an incident falls under, when each
stage is due, whether it was met, and when reminders fall. Pure: times come in as arguments."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from awareness import vocabulary

AWARENESS = "awareness"
ClockState = Literal["pending", "met", "overdue", "met_late"]
_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
Positive = Annotated[int, Field(gt=0)]


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str
    name: str
    hours: Positive | None = None
    days: Positive | None = None
    months: Positive | None = None
    start: str = Field(AWARENESS, alias="from")
    fields: tuple[str, ...] = ()
    categories: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _one_window(self) -> Self:
        if not _ID.match(self.id):
            raise ValueError(f"stage id {self.id!r}: lower-case letters, digits and '_'")
        if sum(w is not None for w in (self.hours, self.days, self.months)) != 1:
            raise ValueError(f"stage {self.id!r}: give exactly one of hours, days, months")
        unknown = sorted(set(self.categories or ()) - set(vocabulary.CATEGORIES))
        if unknown:
            raise ValueError(f"stage {self.id!r}: unknown categories {unknown}")
        return self

    def due(self, start: datetime) -> datetime:
        if self.months is not None:
            return add_months(start, self.months)
        return start + timedelta(hours=self.hours or 0, days=self.days or 0)

    def applies_to(self, category: str) -> bool:
        return self.categories is None or category in self.categories


class Regime(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    source: str = ""
    min_severity: float | None = Field(None, ge=0, le=100)
    significant: bool = True
    stages: tuple[Stage, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _stages_chain(self) -> Self:
        seen: set[str] = set()
        for stage in self.stages:
            if stage.id in seen:
                raise ValueError(f"stage {stage.id!r} appears twice")
            if stage.start != AWARENESS and stage.start not in seen:
                raise ValueError(
                    f"stage {stage.id!r} counts from {stage.start!r}: use 'awareness' or an "
                    "earlier stage's id"
                )
            seen.add(stage.id)
        return self

    def reportable(self, *, severity: float, significant: bool) -> bool:
        """The rule: the operator's `significant` flag (if the regime honours it), or a
        severity at or above the threshold."""
        if significant and self.significant:
            return True
        return self.min_severity is not None and severity >= self.min_severity

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)


class RegimesConfig(RootModel[dict[str, Regime]]):
    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _ids(self) -> Self:
        bad = [name for name in self.root if not _ID.match(name)]
        if bad:
            raise ValueError(f"regime ids {bad}: lower-case letters, digits and '_'")
        return self

    def get(self, regime_id: str) -> Regime | None:
        return self.root.get(regime_id)

    def names(self) -> list[str]:
        return sorted(self.root)


@dataclass(frozen=True, slots=True)
class Clock:
    """One stage of one regime for one incident."""

    regime: str
    stage: str
    starts_at: datetime
    due_at: datetime
    filed_at: datetime | None
    state: ClockState


def state_of(*, due_at: datetime, filed_at: datetime | None, now: datetime) -> ClockState:
    if filed_at is not None:
        return "met" if filed_at <= due_at else "met_late"
    return "overdue" if now > due_at else "pending"


def clocks_of(
    regime_id: str,
    regime: Regime,
    *,
    aware_at: datetime,
    category: str,
    filed: Mapping[str, datetime],
    now: datetime,
) -> list[Clock]:
    """The clocks of a reportable incident under `regime`; `filed` maps a stage to its first
    filing. A stage counting from another counts from that one's filing, or from its due time
    while it is not filed (the earliest the later stage can be due)."""
    clocks: list[Clock] = []
    ends: dict[str, datetime] = {}
    for stage in regime.stages:
        if stage.start == AWARENESS:
            start = aware_at
        elif stage.start in ends:
            start = ends[stage.start]
        else:
            continue  # counts from a stage that does not apply to this incident
        if not stage.applies_to(category):
            continue
        due = stage.due(start)
        filed_at = filed.get(stage.id)
        ends[stage.id] = filed_at or due
        state = state_of(due_at=due, filed_at=filed_at, now=now)
        clocks.append(Clock(regime_id, stage.id, start, due, filed_at, state))
    return clocks


def reminders_of(clock: Clock, thresholds: tuple[int, ...]) -> list[tuple[int, datetime]]:
    """(percent of the window, when) for each reminder of an unfiled clock: 75 falls at three
    quarters of the way from its start to its deadline, 100 at the deadline."""
    if clock.filed_at is not None:
        return []
    window = clock.due_at - clock.starts_at
    return [(percent, clock.starts_at + window * percent / 100) for percent in thresholds]


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later (the month's last day if it is
    shorter: 31 January + 1 month is 28 or 29 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
