"""Filing a reporting stage of an incident: the stage must belong to a regime the incident falls
under and carry every field that stage requires; stored with who and when. Runs in the caller's
transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal
from awareness.db.tables import incident_filings, incidents
from awareness.errors import FieldError, NotFound, ValidationFailed
from awareness.scoring.clocks import Regime, Stage
from awareness.views.clocks import (
    ClockRules,
    FilingView,
    assigned_regimes,
    clock_view,
    first_filings,
    incident_clocks,
    regimes_under,
)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, message)], "cannot file that stage")


def choose_stage(
    under: list[str], *, stage: str, regime: str | None, rules: ClockRules, category: str
) -> tuple[str, Regime, Stage]:
    """The (regime, stage) a filing names, or 422 saying why none fits."""
    if regime is not None and rules.regimes.get(regime) is None:
        raise _refuse("regime", f"unknown regime {regime!r}; one of {rules.regimes.names()}")
    if not under:
        raise _refuse(
            "stage", "this incident falls under none of your organization's reporting regimes"
        )
    if regime is not None and regime not in under:
        raise _refuse("regime", f"this incident does not fall under {regime!r} (it does: {under})")
    candidates = [(r, rules.regimes.root[r]) for r in ([regime] if regime is not None else under)]
    matched = [(r, reg, s) for r, reg in candidates if (s := reg.stage(stage)) is not None]
    if not matched:
        known = sorted({s.id for _, reg in candidates for s in reg.stages})
        raise _refuse("stage", f"unknown stage {stage!r}; one of {', '.join(known)}")
    if len(matched) > 1:
        names = ", ".join(r for r, _, _ in matched)
        raise _refuse("regime", f"stage {stage!r} is in several regimes ({names}): name one")
    chosen = matched[0]
    if not chosen[2].applies_to(category):
        raise _refuse("stage", f"stage {stage!r} does not apply to {category} incidents")
    return chosen


async def file_stage(
    conn: AsyncConnection,
    *,
    principal: Principal,
    incident_id: int,
    stage: str,
    regime: str | None,
    fields: Mapping[str, Any],
    rules: ClockRules,
) -> FilingView:
    """File `stage` of an incident of the caller's organization (404 for anyone else's)."""
    query = sa.select(incidents).where(
        incidents.c.id == incident_id, principal.report_scope(incidents)
    )
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound(f"no incident {incident_id} in your scope")
    assigned = (await assigned_regimes(conn, [row["org_id"]])).get(row["org_id"], set())
    under = regimes_under(row, assigned, rules)
    regime_id, chosen, step = choose_stage(
        under, stage=stage, regime=regime, rules=rules, category=row["category"]
    )
    errors = [
        FieldError(name, f"required by the {chosen.name} {step.name}")
        for name in step.fields
        if _missing(fields.get(name))
    ]
    if errors:
        raise ValidationFailed(errors, f"the {chosen.name} {step.name} needs every field it lists")
    result = await conn.execute(
        incident_filings.insert()
        .values(
            incident_id=incident_id, regime=regime_id, stage=step.id, fields=dict(fields),
            filed_at=rules.now, filed_by=principal.display,
        )
        .returning(incident_filings.c.id)
    )  # fmt: skip
    filed = (await first_filings(conn, [incident_id])).get(incident_id, {})
    clocks = incident_clocks(row, [regime_id], filed, rules)
    clock = next((c for c in clocks if c.stage == step.id), None)
    return FilingView(
        id=result.scalar_one(), incident_id=incident_id, regime=regime_id, stage=step.id,
        fields=dict(fields), filed_at=rules.now, filed_by=principal.display,
        clock=clock_view(clock, rules) if clock is not None else None,
    )  # fmt: skip
