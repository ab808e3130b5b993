"""Who sees which event: the WHERE clause that lists and replays use (`visible_to`) and the
in-memory test the broadcaster uses (`may_see`) must state one rule, or a board would show a
warning on reload that it never received live (or the other way round). On both databases, for
every kind of event and every kind of caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from awareness.auth.principal import Principal, Role
from awareness.clock import ManualClock
from awareness.eventlog.reader import read_after
from awareness.eventlog.visibility import may_see
from awareness.eventlog.writer import EventWriter
from awareness.views.sectors import level_change
from awareness.views.warnings import AckView, warning_view


@dataclass
class Spec:
    """One event to append, as the correlator and acknowledgements append them."""

    type: str
    kind: str
    sector: str
    sectors: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    level: str = "orange"
    acknowledges: str | None = None  # acks: the warning acknowledged


# Every type and kind of event a role could see differently. The exposure is about an incident
# in transportation and addressed to one energy and one water operator.
EXPOSED_SECTORS = ["energy", "transportation", "water"]
EXPOSED_ORGS = ["aqua", "grid-north"]
EVENTS: dict[str, Spec] = {
    "energy_level": Spec("sector_level", "sector_level", "energy"),
    "water_level": Spec("sector_level", "sector_level", "water", level="yellow"),
    "energy_level_warning": Spec("warning", "sector_level", "energy", ["energy"]),
    "water_level_warning": Spec("warning", "sector_level", "water", ["water"], level="yellow"),
    "campaign_both": Spec("warning", "campaign", "energy", ["energy", "water"]),
    "campaign_energy": Spec("warning", "campaign", "energy", ["energy"], level="yellow"),
    "exposure": Spec("warning", "exposure", "transportation", EXPOSED_SECTORS, EXPOSED_ORGS),
    "ack_exposure": Spec(
        "ack", "exposure", "transportation", EXPOSED_SECTORS, EXPOSED_ORGS, acknowledges="exposure"
    ),
    "ack_campaign_energy": Spec(
        "ack", "campaign", "energy", ["energy"], acknowledges="campaign_energy"
    ),
    "ack_water_level": Spec(
        "ack", "sector_level", "water", ["water"], acknowledges="water_level_warning"
    ),
}

ALL = set(EVENTS)
# Everything that concerns energy, and everything that concerns water.
ENERGY = {
    "energy_level", "energy_level_warning", "campaign_both", "campaign_energy", "exposure",
    "ack_exposure", "ack_campaign_energy",
}  # fmt: skip
WATER = {
    "water_level", "water_level_warning", "campaign_both", "exposure", "ack_exposure",
    "ack_water_level",
}  # fmt: skip


def operator(key_id: int, org: str, sector: str) -> Principal:
    return Principal(key_id=key_id, role=Role.operator, org_id=org, org_sector=sector)


def scoped(key_id: int, role: Role, sectors: list[str] | None) -> Principal:
    return Principal(
        key_id=key_id, role=role, sectors=frozenset(sectors) if sectors is not None else None
    )


PRINCIPALS: dict[str, Principal] = {
    "operator grid-north (energy, addressed)": operator(1, "grid-north", "energy"),
    "operator aqua (water, addressed)": operator(2, "aqua", "water"),
    "operator solar-co (energy, not addressed)": operator(3, "solar-co", "energy"),
    "operator clinic (healthcare, nothing)": operator(4, "clinic", "healthcare"),
    "supervisor energy": scoped(5, Role.supervisor, ["energy"]),
    "responder energy": scoped(6, Role.responder, ["energy"]),
    "supervisor water": scoped(7, Role.supervisor, ["water"]),
    "responder water": scoped(8, Role.responder, ["water"]),
    "supervisor energy+water": scoped(9, Role.supervisor, ["energy", "water"]),
    "responder energy+water": scoped(10, Role.responder, ["energy", "water"]),
    "supervisor transportation": scoped(11, Role.supervisor, ["transportation"]),
    "supervisor financial_services (quiet)": scoped(12, Role.supervisor, ["financial_services"]),
    "responder financial_services (quiet)": scoped(13, Role.responder, ["financial_services"]),
    "supervisor unscoped": scoped(14, Role.supervisor, None),
    "responder unscoped": scoped(15, Role.responder, None),
    "admin": scoped(16, Role.admin, None),
}

# What each caller must see, stated by hand from the contract: operators what is addressed to
# their organization and their own sector's level changes (level warnings and their acks are
# level changes too), scoped roles every event concerning one of their sectors.
EXPECTED: dict[str, set[str]] = {
    "operator grid-north (energy, addressed)": {
        "energy_level", "energy_level_warning", "exposure", "ack_exposure",
    },
    "operator aqua (water, addressed)": {
        "water_level", "water_level_warning", "exposure", "ack_exposure", "ack_water_level",
    },
    "operator solar-co (energy, not addressed)": {"energy_level", "energy_level_warning"},
    "operator clinic (healthcare, nothing)": set(),
    "supervisor energy": ENERGY,
    "responder energy": ENERGY,
    "supervisor water": WATER,
    "responder water": WATER,
    "supervisor energy+water": ENERGY | WATER,
    "responder energy+water": ENERGY | WATER,
    "supervisor transportation": {"exposure", "ack_exposure"},
    "supervisor financial_services (quiet)": set(),
    "responder financial_services (quiet)": set(),
    "supervisor unscoped": ALL,
    "responder unscoped": ALL,
    "admin": ALL,
}  # fmt: skip


def warning_row(warning_id: int, spec: Spec, clock: ManualClock) -> dict[str, Any]:
    return {
        "id": warning_id,
        "kind": spec.kind,
        "sector": spec.sector,
        "sectors": sorted({spec.sector, *spec.sectors}),
        "level": spec.level,
        "title": f"{spec.kind} in {spec.sector}",
        "evidence": {"matches": {org: ["plc-1"] for org in spec.targets}} if spec.targets else {},
        "target_orgs": sorted(spec.targets) or None,
        "campaign_id": None,
        "created_at": clock.now(),
        "acknowledged_at": None,
        "acknowledged_by": None,
    }


async def test_list_and_live_feed_apply_the_same_rule(app: FastAPI, clock: ManualClock) -> None:
    database = app.state.components.database
    seqs: dict[str, int] = {}
    warning_ids = {name: number for number, name in enumerate(EVENTS, start=1)}
    async with database.write() as conn:
        writer = EventWriter(conn)
        for name, spec in EVENTS.items():
            data: Any
            if spec.type == "sector_level":
                data = level_change(
                    sector=spec.sector, level=spec.level, previous_level="none", score=61.5,
                    at=clock.now(), evidence={"floors": []},
                )  # fmt: skip
            elif spec.type == "warning":
                row = warning_row(warning_ids[name], spec, clock)
                data = lambda seq, row=row: warning_view(row | {"seq": seq})  # noqa: E731
            else:
                assert spec.acknowledges is not None
                data = AckView(
                    warning_id=warning_ids[spec.acknowledges],
                    acknowledged_at=clock.now(),
                    acknowledged_by="desk (responder, key 6)",
                )
            seqs[name] = await writer.append(
                type=spec.type, kind=spec.kind, sector=spec.sector, sectors=spec.sectors,
                targets=spec.targets, data=data, at=clock.now(),
            )  # fmt: skip
    names = {seq: name for name, seq in seqs.items()}

    seen: dict[str, set[str]] = {}
    async with database.read() as conn:
        log = await read_after(conn, after=0, limit=1000)
        assert [event.seq for event in log] == sorted(seqs.values()), "the log is ours alone"
        exposure = next(event for event in log if event.seq == seqs["exposure"])
        assert exposure.sectors == {"energy", "transportation", "water"}
        assert exposure.targets == {"aqua", "grid-north"}
        assert exposure.data["seq"] == seqs["exposure"], "a warning names its own seq"

        for who, principal in PRINCIPALS.items():
            listed = [
                e.seq for e in await read_after(conn, after=0, limit=1000, principal=principal)
            ]
            live = [
                e.seq
                for e in log
                if may_see(principal, kind=e.kind, sectors=e.sectors, targets=e.targets)
            ]
            assert listed == live, f"{who}: list/replay and live feed disagree"
            seen[who] = {names[seq] for seq in listed}

    # A few facts in words, so the rule cannot hold by both sides being wrong the same way ...
    grid_north = seen["operator grid-north (energy, addressed)"]
    assert {"exposure", "ack_exposure", "energy_level", "energy_level_warning"} <= grid_north
    assert not {"water_level", "campaign_both", "campaign_energy"} & grid_north
    assert "exposure" not in seen["operator solar-co (energy, not addressed)"]
    assert "campaign_energy" not in seen["responder water"]
    assert "campaign_both" in seen["responder water"]
    assert seen["supervisor financial_services (quiet)"] == set()
    assert seen["admin"] == set(EVENTS)
    # ... and the whole table, stated by hand.
    for who, expected in EXPECTED.items():
        assert seen[who] == expected, who
