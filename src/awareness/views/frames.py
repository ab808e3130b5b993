"""The feed's frames. Every frame is a JSON text with `type` and `seq`; an event's frame carries
its read model as stored with it (`WarningView`, `LevelChange`, `AckView`), the others are
built here. Documented in the OpenAPI schema's components, since WebSockets have no path there."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from awareness.views.clocks import ReminderView
from awareness.views.sectors import LevelChange
from awareness.views.warnings import AckView, ActionView, WarningView


class ConnectedFrame(BaseModel):
    """The first frame: how far the log goes, so a client knows how far behind it starts."""

    type: Literal["connected"] = "connected"
    seq: int = Field(description="the newest seq in the log (0: empty)")
    oldest: int | None = Field(description="the oldest seq still kept")
    keepalive_seconds: float = Field(description="a heartbeat comes at least this often")


class HeartbeatFrame(BaseModel):
    type: Literal["heartbeat"] = "heartbeat"
    seq: int = Field(description="the newest seq this server has broadcast")
    lag_reports: int | None = Field(
        None, description="reports acknowledged but not yet correlated, as last measured"
    )
    lag_seconds: float | None = Field(
        None, description="how long the oldest of those has waited, in seconds"
    )


class GapFrame(BaseModel):
    """Events the client asked for are no longer kept: reload, then follow from here."""

    type: Literal["gap"] = "gap"
    seq: int = Field(description="the `after` the client asked for")
    oldest: int | None
    detail: str


class WarningFrame(BaseModel):
    type: Literal["warning"] = "warning"
    seq: int
    data: WarningView


class SectorLevelFrame(BaseModel):
    type: Literal["sector_level"] = "sector_level"
    seq: int
    data: LevelChange


class AckFrame(BaseModel):
    type: Literal["ack"] = "ack"
    seq: int
    data: AckView


class ResponseFrame(BaseModel):
    """A warning was assigned, resolved, annotated or escalated."""

    type: Literal["response"] = "response"
    seq: int
    data: ActionView


class ReminderFrame(BaseModel):
    """A reporting stage of an incident is not filed at 75 % of its window, or at its deadline
    (`data.percent`): to the incident's organization and its sector's supervisors."""

    type: Literal["reminder"] = "reminder"
    seq: int
    data: ReminderView


MODELS = (
    ConnectedFrame, HeartbeatFrame, GapFrame, WarningFrame, SectorLevelFrame, AckFrame,
    ResponseFrame, ReminderFrame,
)  # fmt: skip


def connected(newest: int, first: int | None, keepalive: float) -> str:
    return ConnectedFrame(seq=newest, oldest=first, keepalive_seconds=keepalive).model_dump_json()


def heartbeat(seq: int, lag: tuple[int, float] | None = None) -> str:
    reports, seconds = lag if lag is not None else (None, None)
    frame = HeartbeatFrame(seq=seq, lag_reports=reports, lag_seconds=seconds)
    return frame.model_dump_json(exclude_none=True)


def gap(after: int, first: int | None, newest: int) -> str:
    detail = (
        f"events after {after} up to {(first or newest + 1) - 1} are no longer kept; "
        "reload warnings with GET /v1/warnings, then follow from here"
    )
    return GapFrame(seq=after, oldest=first, detail=detail).model_dump_json()
