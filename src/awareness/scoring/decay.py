"""Decay of severities with age and the incremental sector score (docs/scoring.md section 2).
State is bounded by configuration, never by history, and round-trips through plain JSON."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from awareness.scoring.config import ScoringConfig
from awareness.timestamps import require_aware, time_from_json, time_to_json

STATE_VERSION = 1


def decayed(severity: float, detected_at: datetime, at: datetime, *, cfg: ScoringConfig) -> float:
    """`s * 2^(-(at - detected_at) / half_life)`.

    A report detected slightly after `at` (ingest allows 5 minutes of clock skew) gets a
    negative age and a value a hair above its severity; the formula is kept as is so the
    order of terms stays time-invariant, and the score's cap at 100 absorbs the excess.
    """
    age = (require_aware(at, "at") - require_aware(detected_at, "detected_at")).total_seconds()
    return severity * float(2.0 ** (-age / cfg.half_life_seconds))


@lru_cache(maxsize=256)
def _rank_powers(exponent: float, count: int) -> tuple[float, ...]:
    """`k^exponent` for ranks 1..count, computed once per configuration and size."""
    return tuple(rank**exponent for rank in range(1, count + 1))


@dataclass(frozen=True, slots=True)
class Contribution:
    """One incident's part in a sector score at some instant (section 9 evidence)."""

    incident_id: int
    org_id: str
    severity: float
    decayed: float
    term: float  # what it adds to the score: decayed / k^exponent / normalizer, k its rank


@dataclass(frozen=True, slots=True)
class _Term:
    incident_id: int
    org_id: str
    severity: float
    detected_at: datetime
    rank: tuple[float, int]  # ascending = strongest first: (-time-invariant key, incident id)
    stamp: float  # detected_at in epoch seconds: decay is computed for every term, often


class SectorScore:
    """The strongest decayed severities of one sector, ordered once, scored at any instant.

    Every term decays at the same rate, so `log2(s) + detected_at / half_life` orders them
    forever and a term is only ever placed, never re-sorted. Kept: at most `max_per_org` per
    organization (its strongest) and the strongest `max_terms` overall. Dropping is exact,
    not an approximation: an evicted term is weaker than every kept term, kept terms only
    get replaced by stronger ones, so it is outranked forever and a from-scratch computation
    over all history would leave it out too; the same holds for an organization's term
    displaced by its own stronger one. Severity 0 contributes nothing and is not kept
    (it has no logarithm, and at the bottom of the order its term would be 0 anyway).
    `add` ignores an incident id it already keeps, so replaying a batch is harmless.
    """

    def __init__(self, *, cfg: ScoringConfig) -> None:
        self._cfg = cfg
        self._terms: list[_Term] = []
        self._ranks: list[tuple[float, int]] = []
        self._by_org: dict[str, list[_Term]] = {}

    def __len__(self) -> int:
        return len(self._terms)

    def add(self, incident_id: int, org_id: str, severity: float, detected_at: datetime) -> None:
        if isinstance(incident_id, bool) or not isinstance(incident_id, int):
            raise TypeError("incident_id must be an int")
        if not isinstance(org_id, str) or not org_id:
            raise ValueError("org_id must be a non-empty string")
        if isinstance(severity, bool) or not (
            isinstance(severity, int | float) and 0 <= severity <= 100
        ):
            raise ValueError(f"severity must be a number from 0 to 100, got {severity!r}")
        detected_at = require_aware(detected_at, "detected_at")
        if severity == 0 or any(t.incident_id == incident_id for t in self._terms):
            return
        key = math.log2(severity) + detected_at.timestamp() / self._cfg.half_life_seconds
        term = _Term(
            incident_id, org_id, float(severity), detected_at, (-key, incident_id),
            detected_at.timestamp(),
        )  # fmt: skip
        limits = self._cfg.sector_score
        own = self._by_org.get(org_id, [])
        if len(own) >= limits.max_per_org:
            weakest = max(own, key=lambda t: t.rank)
            if term.rank >= weakest.rank:
                return
            self._remove(weakest)
        if len(self._terms) >= limits.max_terms and term.rank >= self._ranks[-1]:
            return
        index = bisect.bisect_left(self._ranks, term.rank)
        self._terms.insert(index, term)
        self._ranks.insert(index, term.rank)
        self._by_org.setdefault(org_id, []).append(term)
        if len(self._terms) > limits.max_terms:
            self._remove(self._terms[-1])

    def _remove(self, term: _Term) -> None:
        index = bisect.bisect_left(self._ranks, term.rank)
        del self._terms[index]
        del self._ranks[index]
        own = self._by_org[term.org_id]
        own.remove(term)
        if not own:
            del self._by_org[term.org_id]

    def contributions(self, at: datetime) -> list[Contribution]:
        """Every kept term at `at`, strongest first."""
        return self.top(at, len(self._terms))

    def top(self, at: datetime, n: int) -> list[Contribution]:
        """The `n` strongest terms at `at`: evidence needs a few, never all of them."""
        now = require_aware(at, "at").timestamp()
        kept = self._terms[: max(0, n)]
        values = self._decayed(now, kept)
        shares = self._shares(values)
        return [
            Contribution(t.incident_id, t.org_id, t.severity, value, share)
            for t, value, share in zip(kept, values, shares, strict=True)
        ]

    def score(self, at: datetime) -> float:
        """`min(100, sum_k d_(k) / k^1.5 / zeta(1.5))` at `at`. Every sector is scored at
        every tick, so this builds no objects; it adds the same terms, in the same order, as
        `contributions` does."""
        now = require_aware(at, "at").timestamp()
        return min(100.0, sum(self._shares(self._decayed(now, self._terms))))

    def _decayed(self, now: float, terms: list[_Term]) -> list[float]:
        half_life = self._cfg.half_life_seconds
        return [t.severity * 2.0 ** (-(now - t.stamp) / half_life) for t in terms]

    def _shares(self, values: list[float]) -> list[float]:
        limits = self._cfg.sector_score
        normalizer = limits.normalizer
        return [
            value / power / normalizer
            for value, power in zip(values, _rank_powers(limits.exponent, len(values)), strict=True)
        ]

    def score_as_of(self, at: datetime) -> float:
        """The score at a past instant from the kept terms detected by then: a trend line of
        the recent past, exact while nothing kept then has since been displaced."""
        at = require_aware(at, "at")
        limits = self._cfg.sector_score
        total, rank = 0.0, 0
        for term in self._terms:
            if term.detected_at > at:
                continue
            rank += 1
            value = decayed(term.severity, term.detected_at, at, cfg=self._cfg)
            total += value / rank**limits.exponent / limits.normalizer
        return min(100.0, total)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "terms": [
                {
                    "incident_id": t.incident_id,
                    "org_id": t.org_id,
                    "severity": t.severity,
                    "detected_at": time_to_json(t.detected_at),
                }
                for t in self._terms
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, cfg: ScoringConfig) -> SectorScore:
        """Rebuild by re-adding: a changed half-life or limit re-orders and re-trims the terms
        (terms dropped under the old limits cannot come back; run a rescore for that)."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported sector score state version {data.get('version')!r}")
        score = cls(cfg=cfg)
        for item in data["terms"]:
            score.add(
                int(item["incident_id"]),
                str(item["org_id"]),
                float(item["severity"]),
                time_from_json(item["detected_at"], "detected_at"),
            )
        return score
