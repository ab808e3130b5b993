"""One generator draws the history and the new reports, so that the reports measured meet the
kind of history they would meet in production."""

from __future__ import annotations

import array
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from world import (
    ASSET_COUNT,
    ASSET_KINDS,
    BENIGN,
    CATEGORY,
    CRITICALITY,
    FUNCTIONAL,
    INDICATOR_COUNT,
    INFORMATION,
    LOCATION,
    LOCATIONS,
    NEW_FRESH_BASE,
    RECOVERABILITY,
    REUSE_RECENT,
    SOURCE,
    TLP,
    Asset,
    World,
    fresh_indicator,
    pool_indicator,
    shared_indicator,
)

from awareness.ingest.schemas import AssetIn, IncidentIn

# ---------------------------------------------------------------------------------------------
# one incident, drawn the same way for the history and for the new reports


@dataclass
class IncidentSpec:
    org: int
    received_at: datetime
    detected_at: datetime
    occurred_at: datetime | None
    category: str
    functional_impact: str
    information_impact: str
    recoverability: str
    location: str
    assets: list[Asset]
    indicators: list[tuple[str, str, str, int]]  # type, value, source, fresh number (or -1)
    tlp: str


class Draw:
    """Indicator draws. `fresh` numbers count up from `fresh_base`; `reuse` picks a value
    another organization reported in the history (numbers below `reuse_limit`, or below the
    fresh numbers drawn so far while generating the history itself)."""

    def __init__(self, world: World, *, fresh_base: int, reuse_limit: int | None) -> None:
        self.world = world
        self.next_fresh = fresh_base
        self.reuse_limit = reuse_limit
        # History only: who reported each fresh value first (an organization repeating its own
        # value goes through its recurring pool, so `reuse` always means another organization).
        self.owner: array.array[int] | None = array.array("H") if reuse_limit is None else None

    def incident(self, rng: random.Random, org: int, received_at: datetime) -> IncidentSpec:
        world = self.world
        detected = received_at - timedelta(seconds=60 + rng.random() * 4 * 3600)
        occurred = detected - timedelta(seconds=rng.random() * 7200) if rng.random() < 0.6 else None
        own_assets = world.org_assets[org]
        assets = rng.sample(own_assets, min(len(own_assets), ASSET_COUNT.pick(rng)))
        seen: set[tuple[str, str]] = set()
        indicators: list[tuple[str, str, str, int]] = []
        for _ in range(INDICATOR_COUNT.pick(rng)):
            source = SOURCE.pick(rng)
            number = -1
            if source == "pool":
                kind, value = pool_indicator(org, rng.randrange(world.pool_size))
            elif source == "shared" and world.org_shared[org]:
                kind, value = shared_indicator(rng.choice(world.org_shared[org]))
            elif source == "cve":
                own = world.org_cves[org]
                cve = rng.choice(own) if own and rng.random() < 0.5 else world.cve_pick.pick(rng)
                kind, value = "cve", cve
            elif source == "benign":
                kind, value = rng.choice(BENIGN)
            else:
                kind, value, source, number = self._fresh_or_reuse(rng, org, source)
            if (kind, value) not in seen:
                seen.add((kind, value))
                indicators.append((kind, value, source, number))
        return IncidentSpec(
            org, received_at, detected, occurred, CATEGORY.pick(rng), FUNCTIONAL.pick(rng),
            INFORMATION.pick(rng), RECOVERABILITY.pick(rng), LOCATION.pick(rng), assets,
            indicators, TLP.pick(rng),
        )  # fmt: skip

    def _fresh_or_reuse(
        self, rng: random.Random, org: int, source: str
    ) -> tuple[str, str, str, int]:
        if source == "reuse":
            # Mostly one of the latest values (what another organization reported in the last
            # days), sometimes any value of the history. Drawn the same way for every size, so
            # a small history does not see more coincidences (and campaigns) than a big one.
            limit = self.reuse_limit if self.reuse_limit is not None else self.next_fresh
            recent, anywhere = rng.random(), rng.random()
            if rng.random() < 0.8:
                number = limit - 1 - int(recent * min(limit, REUSE_RECENT))
            else:
                number = int(anywhere * limit)
            if limit and (self.owner is None or self.owner[number] != org):
                return (*fresh_indicator(number), "reuse", number)
        number = self.next_fresh
        self.next_fresh += 1
        if self.owner is not None:
            self.owner.append(org)
        return (*fresh_indicator(number), "fresh", number)


def summary_of(spec: IncidentSpec) -> str:
    return (
        f"{spec.category.replace('_', ' ').capitalize()} activity seen in the "
        f"{spec.location.replace('_', ' ')}; {len(spec.indicators)} indicators attached, "
        f"{len(spec.assets)} assets affected. Containment under way."
    )


# ---------------------------------------------------------------------------------------------
# new reports: drawn per round, the same for every history size


@dataclass
class NewReport:
    org: int
    received_at: datetime
    incident: IncidentIn | None = None
    asset: AssetIn | None = None


def new_reports(
    world: World,
    *,
    round_no: int,
    count: int,
    start: datetime,
    interval: float,
    history_fresh: int,
    seed: int,
) -> list[NewReport]:
    """The same draws for every size; `reuse` lands on a value of that size's history at the
    same relative position."""
    rng = random.Random(seed * 1_000_003 + round_no)
    draw = Draw(world, fresh_base=NEW_FRESH_BASE + round_no * 1_000_000, reuse_limit=history_fresh)
    out = []
    for i in range(count):
        received = start + timedelta(seconds=(i + rng.random() * 0.5) * interval)
        org = world.org_pick.pick(rng)
        if rng.random() < 0.08:
            out.append(NewReport(org, received, asset=_asset_report(rng, world, org, round_no, i)))
            continue
        spec = draw.incident(rng, org, received)
        body = {
            "detected_at": spec.detected_at,
            "occurred_at": spec.occurred_at,
            "category": spec.category,
            "functional_impact": spec.functional_impact,
            "information_impact": spec.information_impact,
            "recoverability": spec.recoverability,
            "location": spec.location,
            "affected_assets": [a.asset_id for a in spec.assets],
            "indicators": [{"type": k, "value": v} for k, v, _, _ in spec.indicators],
            "summary": summary_of(spec),
            "tlp": spec.tlp,
            "reference": f"NEW-{round_no}-{i}",
        }
        context = {"now": received, "max_future_seconds": 300}
        out.append(
            NewReport(org, received, incident=IncidentIn.model_validate(body, context=context))
        )
    return out


def _asset_report(rng: random.Random, world: World, org: int, round_no: int, i: int) -> AssetIn:
    """Mostly an update of a known asset (a CVE patched or found, a new version), sometimes a
    new one."""
    own = world.org_assets[org]
    if own and rng.random() < 0.75:
        base = rng.choice(own)
        cves = list(base.cves)
        if cves and rng.random() < 0.5:
            cves.remove(rng.choice(cves))
        else:
            cves.append(world.cve_pick.pick(rng))
        asset = Asset(base.pk, org, base.asset_id, base.kind, base.product,
                      f"{rng.randint(1, 9)}.{rng.randint(0, 30)}", base.criticality,
                      base.internet_exposed, sorted(set(cves)), base.location)  # fmt: skip
    else:
        product = world.product_pick.pick(rng)
        cves = sorted(c for c in product.cves if rng.random() < 0.7)
        asset = Asset(0, org, f"new-r{round_no}-{i}", rng.choice(ASSET_KINDS), product, "1.0",
                      CRITICALITY.pick(rng), False, cves, rng.choice(LOCATIONS))  # fmt: skip
    return asset.model()
