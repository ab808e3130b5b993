"""TLP 2.0 as the service honours it, rule by rule: who each TLP reaches, the TLP a reader holds
an item under when several reports shared it, and a warning's text with withheld items taken out
wherever they appear."""

from __future__ import annotations

import pytest

from awareness.auth.principal import Principal, Role
from awareness.eventlog.tlp import Marking, may_read_report, reaches, withhold
from awareness.eventlog.visibility import redaction

OPERATOR = Principal(1, Role.operator, org_id="grid-north", org_sector="energy")
OTHER_OPERATOR = Principal(2, Role.operator, org_id="aqua", org_sector="water")
ENERGY_SUPERVISOR = Principal(3, Role.supervisor, sectors=frozenset({"energy"}))
WATER_SUPERVISOR = Principal(4, Role.supervisor, sectors=frozenset({"water"}))
ALL_SUPERVISOR = Principal(5, Role.supervisor)
ENERGY_RESPONDER = Principal(6, Role.responder, sectors=frozenset({"energy"}))
WATER_RESPONDER = Principal(7, Role.responder, sectors=frozenset({"water"}))
ADMIN = Principal(8, Role.admin)

# (reader, addressed) -> the TLPs of an energy operator's report that reach it.
REACH = {
    (ENERGY_SUPERVISOR, False): {"clear", "green", "amber", "amber+strict", "red"},
    (ALL_SUPERVISOR, False): {"clear", "green", "amber", "amber+strict", "red"},
    (WATER_SUPERVISOR, False): {"clear", "green"},
    (ENERGY_RESPONDER, False): {"clear", "green", "amber", "amber+strict"},
    (WATER_RESPONDER, False): {"clear", "green"},
    (ADMIN, False): {"clear", "green", "amber", "amber+strict"},
    (OTHER_OPERATOR, False): {"clear", "green"},
    (OTHER_OPERATOR, True): {"clear", "green", "amber"},
}


@pytest.mark.parametrize(("reader", "addressed"), sorted(REACH, key=lambda r: (r[0].key_id, r[1])))
def test_who_each_tlp_reaches(reader: Principal, addressed: bool) -> None:
    tlps = ("clear", "green", "amber", "amber+strict", "red")
    got = {tlp for tlp in tlps if reaches(reader, tlp, "energy", addressed=addressed)}
    assert got == REACH[(reader, addressed)]


def test_a_report_reaches_its_own_organization_whatever_its_tlp() -> None:
    assert may_read_report(OPERATOR, tlp="red", org_id="grid-north", sector="energy")
    assert not may_read_report(ADMIN, tlp="red", org_id="grid-north", sector="energy")
    assert may_read_report(ADMIN, tlp="amber+strict", org_id="grid-north", sector="energy")


def test_the_least_restrictive_report_that_reaches_a_reader_marks_it() -> None:
    shared = Marking("ipv4", "198.51.100.7", {"red": ["energy"], "amber": ["water"]}, 2)
    assert shared.marking_for(ENERGY_SUPERVISOR, addressed=False) == "red"
    assert shared.marking_for(ALL_SUPERVISOR, addressed=False) == "amber"
    assert shared.marking_for(WATER_RESPONDER, addressed=False) == "amber"
    assert shared.marking_for(ENERGY_RESPONDER, addressed=False) is None
    assert shared.clearest == "amber"
    green = Marking("ipv4", "198.51.100.7", {"red": ["energy"], "green": ["water"]}, 2)
    assert green.marking_for(OTHER_OPERATOR, addressed=False) == "green"


def test_withholding_takes_an_item_out_of_every_text_and_object() -> None:
    red = Marking("domain", "c2.evil.net", {"red": ["energy"]}, 3)
    warning = {
        "title": "Campaign detected: domain c2.evil.net and 1 more indicator",
        "evidence": {
            "indicator": {"type": "domain", "value": "C2.Evil.net"},
            "indicators": [
                {"type": "domain", "value": "c2.evil.net"},
                {"type": "md5", "value": "a"},
            ],
            "floors": [{"detail": "seen c2.evil.net at 3 organizations"}],
        },
    }
    shown = withhold(warning, [red])
    reason = "an indicator withheld under TLP:RED, reported by 3 organizations"
    named = "an indicator withheld under TLP:RED"
    assert shown["title"] == f"Campaign detected: {named} and 1 more indicator"
    assert shown["evidence"]["indicator"] == {"type": "domain", "withheld": reason}
    assert shown["evidence"]["indicators"][1] == {"type": "md5", "value": "a"}
    assert "c2.evil.net" not in str(shown).lower()


def test_a_warning_lists_what_it_withholds_and_marks_what_it_shows() -> None:
    markings = [
        Marking("domain", "c2.evil.net", {"red": ["energy"]}, 3).to_json(),
        Marking("md5", "a" * 32, {"amber+strict": ["energy"]}, 3).to_json(),
    ]
    warning = {
        "kind": "campaign",
        "title": f"Campaign detected: domain c2.evil.net and md5 {'a' * 32}",
        "target_orgs": None,
        "evidence": {},
        "indicators": [
            {"type": "domain", "value": "c2.evil.net"},
            {"type": "md5", "value": "a" * 32},
        ],
    }
    for_responder = redaction(ENERGY_RESPONDER, warning, markings)
    assert for_responder is not None
    assert for_responder["indicators"] == [
        {"type": "md5", "value": "a" * 32, "tlp": "amber+strict"}
    ]
    assert [w["tlp"] for w in for_responder["withheld"]] == ["red"]
    assert for_responder["tlp"] == "amber+strict"
    for_supervisor = redaction(ENERGY_SUPERVISOR, warning, markings)
    assert for_supervisor is not None
    assert for_supervisor["withheld"] == []
    assert for_supervisor["tlp"] == "red"
    for_water = redaction(WATER_RESPONDER, warning, markings)
    assert for_water is not None
    assert for_water["indicators"] == []
    assert "c2.evil.net" not in str(for_water)
    assert "a" * 32 not in str(for_water)


def test_an_exposure_is_amber_for_those_it_is_addressed_to() -> None:
    source = Marking("product", "siemens|s7", {"amber": ["energy"]}, 1, ("Siemens S7",))
    warning = {
        "kind": "exposure",
        "title": "Exposure: Siemens S7 was involved in an orange incident in energy",
        "target_orgs": ["aqua"],
        "evidence": {"key": "siemens|s7"},
    }
    addressed = redaction(OTHER_OPERATOR, warning, [source.to_json()])
    assert addressed is not None
    assert addressed["tlp"] == "amber"
    assert addressed["withheld"] == []
    strict = Marking("product", "siemens|s7", {"amber+strict": ["energy"]}, 1, ("Siemens S7",))
    hidden = redaction(OTHER_OPERATOR, warning, [strict.to_json()])
    assert hidden is not None
    assert "Siemens S7" not in hidden["title"]
    assert "siemens|s7" not in str(hidden["evidence"])
    assert hidden["withheld"][0]["reason"].startswith("a product withheld under TLP:AMBER+STRICT")
