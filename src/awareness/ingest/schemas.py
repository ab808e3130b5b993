"""Report schemas: the contract's fields and rules, and what a write answers. Time rules read
`now` and limits from the validation context, so one parse checks everything and errors carry
the field's path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from awareness.ingest.indicators import normalize_cve, normalize_indicator
from awareness.timestamps import UtcTime
from awareness.vocabulary import (
    AssetKind,
    Category,
    Criticality,
    FunctionalImpact,
    IndicatorType,
    InformationImpact,
    Location,
    Recoverability,
    Tlp,
)

Time = Annotated[AwareDatetime, Field(strict=True, examples=["2026-11-27T08:30:00Z"])]
AssetId = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$", examples=["plc-07"])
]
ShortText = Annotated[str, Field(max_length=200)]


class _Strict(BaseModel):
    # Unknown fields are refused: a misspelt field would otherwise be dropped in silence.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context or {}


class Indicator(_Strict):
    type: IndicatorType
    value: Annotated[str, Field(min_length=1, max_length=2048)]

    @field_validator("value")
    @classmethod
    def _normalize(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("type")
        return normalize_indicator(kind, value) if kind else value


class IncidentIn(_Strict):
    detected_at: Time
    occurred_at: Time | None = None
    category: Category
    functional_impact: FunctionalImpact
    information_impact: InformationImpact = "none"
    recoverability: Recoverability = "regular"
    location: Location = "unknown"
    affected_assets: list[AssetId] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    summary: Annotated[str, Field(max_length=10_000)] | None = None
    tlp: Tlp = "amber"
    reference: ShortText | None = None
    aware_at: Time | None = Field(
        None,
        description="when you became aware of it: reporting clocks start here "
        "(default: detected_at)",
    )
    significant: bool = Field(
        False,
        description="you judge it significant: reportable under your regimes whatever its severity",
    )

    @field_validator("detected_at", "occurred_at", "aware_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        try:
            return value.astimezone(UTC) if value is not None else None
        except OverflowError:  # 0001-01-01T00:00+00:01 has no UTC time
            raise ValueError("is outside the range of times that can be written in UTC") from None

    @field_validator("detected_at", "aware_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        context = _context(info)
        now: datetime | None = context.get("now")
        if now is not None and value is not None:
            allowed = timedelta(seconds=context.get("max_future_seconds", 300))
            if value > now + allowed:
                minutes = allowed.total_seconds() / 60
                raise ValueError(
                    f"is more than {minutes:g} minutes in the future "
                    f"(server time {now:%Y-%m-%dT%H:%M:%SZ})"
                )
        return value

    @field_validator("affected_assets")
    @classmethod
    def _assets_bounded(cls, value: list[str], info: ValidationInfo) -> list[str]:
        limit = _context(info).get("max_affected_assets", 1000)
        if len(value) > limit:
            raise ValueError(f"at most {limit} affected assets per incident")
        return list(dict.fromkeys(value))

    @field_validator("indicators")
    @classmethod
    def _indicators_bounded(cls, value: list[Indicator], info: ValidationInfo) -> list[Indicator]:
        limit = _context(info).get("max_indicators", 1000)
        if len(value) > limit:
            raise ValueError(f"at most {limit} indicators per incident")
        unique = {(item.type, item.value): item for item in value}
        return list(unique.values())

    @field_validator("occurred_at")
    @classmethod
    def _not_after_detected(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        detected = info.data.get("detected_at")
        if value is not None and detected is not None and value > detected:
            raise ValueError("must not be after detected_at")
        return value


def _batch_bounded(items: list[Any], info: ValidationInfo) -> list[Any]:
    """The configured batch limit, which may be lower than the contract's 1,000."""
    limit = _context(info).get("max_batch_items", 1000)
    if len(items) > limit:
        raise ValueError(f"at most {limit} items per batch")
    return items


class IncidentBatchIn(_Strict):
    incidents: Annotated[list[IncidentIn], Field(min_length=1, max_length=1000)]

    _bounded = field_validator("incidents")(_batch_bounded)

    @field_validator("incidents")
    @classmethod
    def _indicators_bounded(cls, items: list[IncidentIn], info: ValidationInfo) -> list[IncidentIn]:
        """Reports are correlated in order, so one batch's indicators hold back everyone's."""
        limit = _context(info).get("max_batch_indicators", 2000)
        total = sum(len(item.indicators) for item in items)
        if total > limit:
            raise ValueError(
                f"at most {limit} indicators per batch (this one has {total}): "
                "send the rest in further batches"
            )
        return items


class AssetIn(_Strict):
    asset_id: AssetId
    name: ShortText | None = None
    kind: AssetKind = "other"
    vendor: ShortText | None = None
    product: ShortText | None = None
    version: Annotated[str, Field(max_length=100)] | None = None
    criticality: Criticality = "medium"
    internet_exposed: bool = False
    cves: list[str] = Field(default_factory=list, max_length=1000)
    location: Location = "unknown"

    @field_validator("cves")
    @classmethod
    def _normalize_cves(cls, value: list[str]) -> list[str]:
        normalized: list[str] = []
        for index, cve in enumerate(value):
            try:
                normalized.append(normalize_cve(cve))
            except ValueError as exc:
                raise ValueError(f"[{index}] {exc}") from None
        return sorted(set(normalized))


class AssetBatchIn(_Strict):
    assets: Annotated[list[AssetIn], Field(min_length=1, max_length=1000)]

    _bounded = field_validator("assets")(_batch_bounded)


class IncidentCreated(BaseModel):
    id: int
    received_at: UtcTime


class IncidentBatchCreated(BaseModel):
    ids: list[int]
    received_at: UtcTime


class AssetWritten(BaseModel):
    asset_id: str
    created: bool


class AssetBatchWritten(BaseModel):
    items: list[AssetWritten]
    created: int
    updated: int
