"""Report schemas: the contract's fields and rules. Time rules read `now` and limits from the
validation context, so one parse checks everything and errors carry the field's path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from awareness.ingest.indicators import INDICATOR_TYPES, normalize_cve, normalize_indicator

Category = Literal[
    "malware",
    "ransomware",
    "intrusion",
    "ddos",
    "phishing",
    "data_breach",
    "insider",
    "supply_chain",
    "equipment_failure",
    "other",
]
FunctionalImpact = Literal[
    "none",
    "no_impact_to_services",
    "minimal_non_critical",
    "minimal_critical",
    "significant_non_critical",
    "denial_non_critical",
    "significant_critical",
    "denial_critical",
]
InformationImpact = Literal[
    "none",
    "suspected",
    "privacy_breach",
    "proprietary_breach",
    "destruction_non_critical",
    "critical_data_breach",
    "credential_compromise",
    "destruction_critical",
]
Recoverability = Literal["regular", "supplemented", "extended", "not_recoverable"]
Location = Literal[
    "business_dmz",
    "business_network",
    "business_network_management",
    "critical_system_dmz",
    "critical_system_management",
    "critical_systems",
    "safety_systems",
    "unknown",
]
Tlp = Literal["clear", "green", "amber", "amber+strict", "red"]
IndicatorType = Literal["ipv4", "ipv6", "domain", "url", "sha256", "sha1", "md5", "email", "cve"]
AssetKind = Literal[
    "plc",
    "rtu",
    "hmi",
    "scada_server",
    "historian",
    "engineering_workstation",
    "safety_controller",
    "network_device",
    "server",
    "workstation",
    "iot",
    "other",
]
Criticality = Literal["low", "medium", "high", "critical"]
CRITICALITY_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}

Time = Annotated[AwareDatetime, Field(strict=True, examples=["2026-11-27T08:30:00Z"])]
AssetId = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$", examples=["plc-07"])
]
ShortText = Annotated[str, Field(max_length=200)]

assert set(IndicatorType.__args__) == set(INDICATOR_TYPES)  # type: ignore[attr-defined]


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

    @field_validator("detected_at", "occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    @field_validator("detected_at")
    @classmethod
    def _not_in_future(cls, value: datetime, info: ValidationInfo) -> datetime:
        context = _context(info)
        now: datetime | None = context.get("now")
        if now is not None:
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


class IndicatorOut(BaseModel):
    type: IndicatorType
    value: str


class IncidentOut(BaseModel):
    id: int
    org_id: str
    sector: str
    received_at: datetime
    detected_at: datetime
    occurred_at: datetime | None
    category: Category
    functional_impact: FunctionalImpact
    information_impact: InformationImpact
    recoverability: Recoverability
    location: Location
    affected_assets: list[str]
    indicators: list[IndicatorOut]
    summary: str | None
    tlp: Tlp
    reference: str | None


class AssetOut(BaseModel):
    asset_id: str
    org_id: str
    sector: str
    name: str | None
    kind: AssetKind
    vendor: str | None
    product: str | None
    version: str | None
    criticality: Criticality
    internet_exposed: bool
    cves: list[str]
    location: Location
    created_at: datetime
    updated_at: datetime


class AssetWriteResult(AssetOut):
    created: bool


Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next: str | None = Field(description="cursor of the next page; null on the last page")


class IncidentCreated(BaseModel):
    id: int
    received_at: datetime


class IncidentBatchCreated(BaseModel):
    ids: list[int]
    received_at: datetime


class AssetWritten(BaseModel):
    asset_id: str
    created: bool


class AssetBatchWritten(BaseModel):
    items: list[AssetWritten]
    created: int
    updated: int
