"""CSAF advisories and the KEV catalogue read from real documents (tests/scoring/data), and
assets matched against them: a labelled set from the shipped data, precision and recall."""

import copy
import json
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from awareness.scoring.advisories import (
    Advisory,
    AdvisoryError,
    AffectedProduct,
    Asset,
    Hit,
    KevEntry,
    load_aliases,
    match,
    normalize,
    parse_csaf,
    parse_kev,
    parse_kev_entries,
)

DATA = Path(__file__).parent / "data"
ALIASES = load_aliases(
    tomllib.loads((Path(__file__).parents[2] / "config" / "vendors.toml").read_text())
)


def read(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def advisory(advisory_id: str) -> Advisory:
    return parse_csaf(read(f"{advisory_id.lower()}.json"))


def all_advisories() -> list[Advisory]:
    return [parse_csaf(json.loads(path.read_text())) for path in sorted(DATA.glob("icsa-*.json"))]


def kev_catalogue() -> dict[str, KevEntry]:
    return {entry.cve: entry for entry in parse_kev(read("kev_sample.json"))}


# Reading CSAF


def test_a_siemens_advisory_reads_to_its_products_ranges_and_remediation() -> None:
    himed = advisory("ICSA-24-284-08")

    assert himed.id == "ICSA-24-284-08"
    assert himed.title == "Siemens HiMed Cockpit"
    assert himed.published == datetime(2024, 10, 8, tzinfo=UTC)
    assert himed.cves == ("CVE-2023-52952",)
    assert himed.criticality == "high"
    assert [(p.vendor, p.product, p.versions, p.status) for p in himed.products] == [
        ("Siemens", f"HiMed Cockpit {model}", "vers:all/>=V11.5.1|<V11.6.2", "known_affected")
        for model in (
            "12 pro (J31032-K2017-H259)",
            "14 pro+ (J31032-K2017-H435)",
            "18 pro (J31032-K2017-H260)",
            "18 pro+ (J31032-K2017-H436)",
        )
    ]
    assert all(p.cves == ("CVE-2023-52952",) for p in himed.products)
    assert "Update to V11.6.2 or later version" in (himed.products[0].remediation or "")


def test_fixed_versions_are_products_of_their_own_status() -> None:
    expert = advisory("ICSA-24-289-02")

    assert expert.updated == datetime(2024, 10, 8, tzinfo=UTC)
    assert [(p.product, p.versions, p.status, p.cves) for p in expert.products] == [
        ("Data Center Expert", "vers:all/<=8.1.1.3", "known_affected", expert.cves),
        ("Data Center Expert", "8.2", "fixed", ("CVE-2024-8530", "CVE-2024-8531")),
    ]
    assert expert.products[1].remediation is None


def test_bare_cisa_ranges_become_vers_ranges() -> None:
    unitronics = advisory("ICSA-23-348-15")
    mailab = advisory("ICSA-24-200-01")
    thin = advisory("ICSA-24-242-01")

    assert [(p.product, p.versions) for p in unitronics.products] == [
        ("VisiLogic", "vers:all/<9.9.00"),
        ("OS", "vers:all/<12.38"),
    ]
    assert unitronics.criticality == "critical"
    assert {p.vendor for p in mailab.products} == {"Mitsubishi Electric Corporation"}
    assert {p.versions for p in mailab.products} == {"vers:all/>=1.00A|<1.05F"}
    assert len(thin.products) == 7
    assert thin.products[0].versions == "vers:all/>=11.1.0|<11.1.7"
    assert thin.cves == ("CVE-2024-7986", "CVE-2024-7987", "CVE-2024-7988")


def test_the_digest_follows_the_content_not_the_key_order() -> None:
    document = read("icsa-24-289-02.json")
    reordered = dict(reversed(list(document.items())))
    changed = copy.deepcopy(document)
    changed["document"]["tracking"]["current_release_date"] = "2024-11-01T00:00:00Z"

    assert parse_csaf(reordered).digest == parse_csaf(document).digest
    assert parse_csaf(changed).digest != parse_csaf(document).digest
    assert len(parse_csaf(document).digest) == 64


def tree_document() -> dict[str, Any]:
    """A CSAF document built here: a family, firmware installed on devices, every status."""
    return {
        "document": {
            "title": "Example Cameras",
            "tracking": {
                "id": "ICSA-99-001-01",
                "initial_release_date": "2024-08-22T06:00:00.000000Z",
                "current_release_date": "2024-08-23T06:00:00.000000Z",
            },
        },
        "product_tree": {
            "branches": [
                {
                    "category": "vendor",
                    "name": "Mobotix ",
                    "branches": [
                        {
                            "category": "product_family",
                            "name": "P3",
                            "branches": [
                                {
                                    "category": "product_name",
                                    "name": "D24M",
                                    "product": {"name": "Mobotix P3 D24M", "product_id": "D"},
                                }
                            ],
                        },
                        {
                            "category": "product_name",
                            "name": "P3 Firmware",
                            "branches": [
                                {
                                    "category": "product_version",
                                    "name": "MX-V4.0.1.15",
                                    "product": {"name": "fw 4.0.1.15", "product_id": "F1"},
                                },
                                {
                                    "category": "product_version_range",
                                    "name": "vers:all/>=MX-V4.7.2.34",
                                    "product": {"name": "fw 4.7.2.34+", "product_id": "F2"},
                                },
                            ],
                        },
                    ],
                }
            ],
            "relationships": [
                {
                    "category": "installed_on",
                    "full_product_name": {"name": "F1 on D24M", "product_id": "D-F1"},
                    "product_reference": "F1",
                    "relates_to_product_reference": "D",
                },
                {
                    "category": "default_component_of",
                    "full_product_name": {"name": "F2 in D24M", "product_id": "D-F2"},
                    "product_reference": "F2",
                    "relates_to_product_reference": "D",
                },
            ],
        },
        "vulnerabilities": [
            {
                "cve": "cve-2024-0001",
                "scores": [{"cvss_v3": {"baseScore": 9.8}}],
                "product_status": {
                    "known_affected": ["D-F1"],
                    "fixed": ["D-F2"],
                    "known_not_affected": ["F2"],
                    "recommended": ["F2"],
                },
                "remediations": [
                    {"category": "vendor_fix", "details": "Update.", "product_ids": ["D-F1"]},
                    {"category": "mitigation", "details": "Isolate.", "product_ids": ["D-F1"]},
                ],
            }
        ],
    }


def test_relationships_families_and_statuses_of_a_tree() -> None:
    parsed = parse_csaf(tree_document())

    assert parsed.cves == ("CVE-2024-0001",)
    assert parsed.criticality == "critical"  # from the score when no severity is named
    assert parsed.products == (
        AffectedProduct(
            "Mobotix", "P3 D24M", "MX-V4.0.1.15", "known_affected", ("CVE-2024-0001",),
            "Update.\n\nIsolate.",
        ),
        AffectedProduct(
            "Mobotix", "P3 D24M", "vers:all/>=MX-V4.7.2.34", "fixed", ("CVE-2024-0001",), None
        ),
        AffectedProduct(
            "Mobotix", "P3 Firmware", "vers:all/>=MX-V4.7.2.34", "known_not_affected",
            ("CVE-2024-0001",), None,
        ),
    )  # fmt: skip


def test_an_advisory_without_scores_or_vulnerabilities_is_of_no_criticality() -> None:
    document = tree_document()
    del document["vulnerabilities"]

    parsed = parse_csaf(document)

    assert (parsed.criticality, parsed.cves, parsed.products) == ("none", (), ())


@pytest.mark.parametrize(
    ("damage", "path"),
    [
        (lambda d: d["document"]["tracking"].pop("id"), "document.tracking.id: missing"),
        (lambda d: d.pop("document"), "document: missing"),
        (
            lambda d: d["document"]["tracking"].update(initial_release_date="yesterday"),
            "document.tracking.initial_release_date: not an ISO 8601 time",
        ),
        (
            lambda d: d["document"]["tracking"].update(current_release_date="2024-08-23T06:00"),
            "document.tracking.current_release_date: time without a timezone",
        ),
        (
            lambda d: d["vulnerabilities"][0]["product_status"].update(known_affected=["X"]),
            "vulnerabilities[0].product_status.known_affected: unknown product id 'X'",
        ),
        (
            lambda d: d["vulnerabilities"][0].update(product_status=[]),
            "vulnerabilities[0].product_status: expected an object",
        ),
        (
            lambda d: d["product_tree"]["relationships"][0].update(product_reference="X"),
            "product_tree.relationships[0]: refers to an unknown product id",
        ),
        (
            lambda d: d["product_tree"]["branches"][0].pop("name"),
            "product_tree.branches[0].name: missing",
        ),
    ],
)
def test_a_broken_document_is_refused_naming_where(damage: Any, path: str) -> None:
    document = tree_document()
    damage(document)

    with pytest.raises(AdvisoryError, match=path.replace("[", r"\[").replace("]", r"\]")):
        parse_csaf(document)


def test_a_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(AdvisoryError, match="document"):
        parse_csaf([])


# Reading KEV


def test_the_kev_sample_reads_to_its_five_entries() -> None:
    entries = {entry.cve: entry for entry in parse_kev(read("kev_sample.json"))}

    assert sorted(entries) == [
        "CVE-2016-8562", "CVE-2018-7841", "CVE-2021-38406", "CVE-2023-46604", "CVE-2023-6448",
    ]  # fmt: skip
    unitronics = entries["CVE-2023-6448"]
    assert (unitronics.vendor, unitronics.product) == ("Unitronics", "Vision PLC and HMI")
    assert unitronics.date_added == date(2023, 12, 11)
    assert unitronics.due_date == date(2023, 12, 18)
    assert not unitronics.ransomware
    assert entries["CVE-2023-46604"].ransomware
    assert unitronics.name.startswith("Unitronics Vision PLC and HMI")
    assert unitronics.action
    assert unitronics.description
    assert len({entry.digest for entry in entries.values()}) == 5


def test_unreadable_kev_entries_are_refused_and_the_rest_kept() -> None:
    catalogue = read("kev_sample.json")
    rows = catalogue["vulnerabilities"]
    catalogue["vulnerabilities"] = [
        rows[0],
        {**rows[1], "cveID": "CVE-22-1"},
        {**rows[2], "dateAdded": "25/08/2022"},
        {**rows[3], "dueDate": ""},
        "not an entry",
        rows[0],
    ]

    entries, refused = parse_kev_entries(catalogue)

    assert [entry.cve for entry in entries] == [rows[0]["cveID"], rows[3]["cveID"]]
    assert entries[1].due_date is None
    assert [label for label, _ in refused] == ["CVE-22-1", rows[2]["cveID"], "#4", rows[0]["cveID"]]
    assert "cveID: not a CVE id" in refused[0][1]
    assert "dateAdded" in refused[1][1]
    assert "listed twice" in refused[3][1]


@pytest.mark.parametrize("catalogue", [[], {"title": "no list"}, {"vulnerabilities": {}}])
def test_a_file_that_is_not_a_catalogue_is_refused(catalogue: Any) -> None:
    with pytest.raises(AdvisoryError):
        parse_kev(catalogue)


# Names


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("Siemens AG", "Siemens"),
        ("Schneider Electric SE", "Schneider Electric"),
        ("Schneider Electric ", "Schneider Electric"),
        ("Rockwell", "Rockwell Automation"),
        ("Allen-Bradley", "Rockwell Automation"),
        ("Mitsubishi Electric Corporation", "Mitsubishi Electric"),
        ("Johnson Controls, Inc.", "Johnson Controls"),
        ("Sensormatic Electronics, LLC, a subsidiary of Johnson Controls Inc.", "Sensormatic"),
        ("Becton, Dickinson and Company (BD)", "BD"),
        ("TEL-STER Sp. z o. o.", "TEL-STER"),
        ("Positron S.R.L", "Positron"),
        ("CODESYS, GmbH", "3S-Smart Software Solutions"),
        ("ControlByWeb", "Control By Web"),
        ("Factory Talk Activation Manager", "FactoryTalk Activation Manager"),
    ],
)
def test_vendor_and_product_names_normalize_to_one_key(variant: str, canonical: str) -> None:
    assert normalize(variant, ALIASES) == normalize(canonical, ALIASES)


def test_distinct_vendors_stay_distinct() -> None:
    keys = {normalize(name, ALIASES) for name in ("Siemens", "Schneider Electric", "GE Digital")}
    assert len(keys) == 3


def test_an_alias_claimed_by_two_vendors_is_refused() -> None:
    with pytest.raises(ValueError, match="already an alias"):
        load_aliases({"vendors": {"Siemens": ["SAG"], "Software AG": ["SAG"]}})
    with pytest.raises(ValueError, match=r"vendors\.Siemens"):
        load_aliases({"vendors": {"Siemens": "Siemens AG"}})


# Matching: rules


def test_a_fixed_range_for_the_cve_clears_the_asset() -> None:
    document = tree_document()
    status = document["vulnerabilities"][0]["product_status"]
    status["known_affected"] = ["D-F1", "D-F2"]  # an advisory listing both (contradictory)
    cameras = parse_csaf(document)
    asset = Asset("Mobotix", "P3 D24M", "MX-V4.8", ())

    assert match(asset, [cameras], {}, aliases=ALIASES) == []
    hits = match(Asset("Mobotix", "P3 D24M", "MX-V4.0.1.15", ()), [cameras], {}, aliases=ALIASES)
    assert hits == [
        Hit(
            "CVE-2024-0001", "csaf", "ICSA-99-001-01", "version MX-V4.0.1.15 in MX-V4.0.1.15",
            "Update.\n\nIsolate.",
        )
    ]  # fmt: skip


def test_an_asset_without_a_version_matches_every_version_products_only() -> None:
    document = tree_document()
    document["product_tree"]["branches"][0]["branches"][1]["branches"].append(
        {
            "category": "product_version_range",
            "name": "vers:all/*",
            "product": {"name": "every firmware", "product_id": "F3"},
        }
    )
    document["vulnerabilities"][0]["product_status"]["known_affected"].append("F3")
    cameras = parse_csaf(document)

    assert match(Asset("Mobotix", "P3 D24M", None, ()), [cameras], {}, aliases=ALIASES) == []
    assert match(Asset("Mobotix", "P3 Firmware", None, ()), [cameras], {}, aliases=ALIASES) == [
        Hit(
            "CVE-2024-0001",
            "csaf",
            "ICSA-99-001-01",
            "every version of Mobotix P3 Firmware affected",
        )
    ]


def kev_entry(cve: str, vendor: str, product: str) -> KevEntry:
    return KevEntry(
        cve, vendor, product, "name", date(2024, 1, 1), None, False, "desc", "act", "digest"
    )


def test_kev_by_name_unless_an_advisory_clears_the_asset_version() -> None:
    expert = advisory("ICSA-24-289-02")
    kev = {"CVE-2024-8530": kev_entry("CVE-2024-8530", "Schneider Electric", "Data Center Expert")}

    old = Asset("Schneider Electric", "Data Center Expert", "8.0", ())
    fixed = Asset("Schneider Electric", "Data Center Expert", "8.2", ())
    unknown = Asset("Schneider Electric", "Data Center Expert", None, ())

    assert ("CVE-2024-8530", "kev") in {
        (h.cve, h.source) for h in match(old, [expert], kev, aliases=ALIASES)
    }
    assert match(fixed, [expert], kev, aliases=ALIASES) == []
    assert [
        (h.cve, h.source, h.reason) for h in match(unknown, [expert], kev, aliases=ALIASES)
    ] == [("CVE-2024-8530", "kev", "product Schneider Electric Data Center Expert in KEV")]


def test_one_range_not_holding_the_version_does_not_clear_it_when_another_does() -> None:
    thin = advisory("ICSA-24-242-01")  # seven ranges of one product, the same three CVEs
    kev = {"CVE-2024-7986": kev_entry("CVE-2024-7986", "Rockwell", "ThinManager ThinServer")}

    current = match(
        Asset("Rockwell", "ThinManager ThinServer", "13.0.2"), [thin], kev, aliases=ALIASES
    )
    old = match(Asset("Rockwell", "ThinManager ThinServer", "11.0.5"), [thin], kev, aliases=ALIASES)

    assert ("CVE-2024-7986", "kev") in {(hit.cve, hit.source) for hit in current}
    assert len([hit for hit in current if hit.source == "csaf"]) == 3
    assert old == []


def test_a_cve_matched_through_an_advisory_that_kev_lists_is_a_kev_hit() -> None:
    expert = advisory("ICSA-24-289-02")
    kev = {"CVE-2024-8531": kev_entry("CVE-2024-8531", "Apache", "Something Embedded")}

    hits = match(
        Asset("Schneider Electric", "Data Center Expert", "8.1", ()), [expert], kev, aliases=ALIASES
    )

    assert Hit("CVE-2024-8531", "kev", None, "known exploited; affected per ICSA-24-289-02") in hits
    assert {h.cve for h in hits if h.source == "csaf"} == {"CVE-2024-8530", "CVE-2024-8531"}


# Matching: the labelled set, from the shipped data. Each case: the asset (vendor, product,
# version, CVEs), the advisory id (or "KEV:<cve>"), and whether the asset is affected.
Case = tuple[str | None, str | None, str | None, tuple[str, ...], str, bool]
LABELLED: list[Case] = [
    # Schneider Electric Data Center Expert: <=8.1.1.3 affected, 8.2 fixed.
    ("Schneider Electric", "Data Center Expert", "8.1.1.3", (), "ICSA-24-289-02", True),
    ("Schneider Electric SE", "Data Center Expert", "7.9.0", (), "ICSA-24-289-02", True),
    ("schneider-electric", "DATA CENTER EXPERT", "v8.0.0", (), "ICSA-24-289-02", True),
    ("Schneider Electric", "Data Center Expert", "8.2", (), "ICSA-24-289-02", False),
    ("Schneider Electric", "Data Center Expert", "8.2.1", (), "ICSA-24-289-02", False),
    ("Schneider Electric", "Data Center Expert", "8.1.1.3.1", (), "ICSA-24-289-02", False),
    ("Schneider Electric", "Data Center Expert", None, (), "ICSA-24-289-02", False),
    ("Siemens", "Data Center Expert", "8.1", (), "ICSA-24-289-02", False),
    (None, None, None, ("CVE-2024-8531",), "ICSA-24-289-02", True),
    ("Schneider Electric", "EcoStruxure Control Expert", "8.1", (), "ICSA-24-289-02", False),
    # Unitronics: VisiLogic <9.9.00, OS <12.38; KEV CVE-2023-6448 "Vision PLC and HMI".
    ("Unitronics", "VisiLogic", "9.8.65", (), "ICSA-23-348-15", True),
    ("Unitronics", "VisiLogic", "9.9.00", (), "ICSA-23-348-15", False),
    ("Unitronics", "VisiLogic", "9.10.1", (), "ICSA-23-348-15", False),
    ("Unitronics Ltd.", "OS", "12.30", (), "ICSA-23-348-15", True),
    ("Unitronics", "OS", "12.38", (), "ICSA-23-348-15", False),
    ("Unitronics", "Vision 570", "12.20", (), "ICSA-23-348-15", False),
    ("Unitronics", "Vision 570", "12.20", (), "KEV:CVE-2023-6448", True),
    ("Unitronics", "Vision V130", None, (), "KEV:CVE-2023-6448", True),
    ("Unitronics", "Samba 43", "3.1", (), "KEV:CVE-2023-6448", True),
    ("Unitronics", "UniLogic", "1.30", (), "KEV:CVE-2023-6448", False),
    (None, None, None, ("cve-2023-6448",), "KEV:CVE-2023-6448", True),
    (None, None, None, ("CVE-2023-6448",), "ICSA-23-348-15", True),
    # Siemens HiMed Cockpit: vers:all/>=V11.5.1|<V11.6.2.
    ("Siemens", "HiMed Cockpit 12 pro", "V11.5.1", (), "ICSA-24-284-08", True),
    ("Siemens AG", "HiMed Cockpit 14 pro+", "V11.6.1", (), "ICSA-24-284-08", True),
    ("Siemens", "HiMed Cockpit 18 pro", "V11.6.2", (), "ICSA-24-284-08", False),
    ("Siemens", "HiMed Cockpit 18 pro+", "V11.5.0", (), "ICSA-24-284-08", False),
    ("Siemens", "HiMed Cockpit 12 pro", "11.5.3", (), "ICSA-24-284-08", True),
    ("Siemens", "HiMed Cockpit 12 pro", None, (), "ICSA-24-284-08", False),
    ("Siemens Healthineers", "HiMed Cockpit 18 pro", "V11.6", (), "ICSA-24-284-08", True),
    ("Siemens", "HiMed Cockpit 12 pro (J31032-K2017-H259)", "V11.5.2", (), "ICSA-24-284-08", True),
    ("Siemens", "SIMATIC S7-1500 CPU 1511-1 PN", "V2.9.2", (), "ICSA-24-284-08", False),
    ("Siemens", "HiMed Cockpit 12 pro (J31032-K2017-H999)", "V11.5.2", (), "ICSA-24-284-08", False),
    ("Siemens", "HiMed Cockpit 12 pro", "V11.6.2 SP1", (), "ICSA-24-284-08", False),
    ("Siemens", "HiMed Cockpit 12 pro", "V11.6.1 SP2", (), "ICSA-24-284-08", True),
    # Mitsubishi Electric MELSOFT MaiLab: vers:all/>=1.00A|<1.05F, vendor "... Corporation".
    ("Mitsubishi Electric", "MELSOFT MaiLab SW1DND-MAILAB-M", "1.04E", (), "ICSA-24-200-01", True),
    (
        "Mitsubishi Electric Corporation",
        "MELSOFT MaiLab SW1DND-MAILABPR-M",
        "1.05F",
        (),
        "ICSA-24-200-01",
        False,
    ),
    ("Mitsubishi", "MELSOFT MaiLab SW1DND-MAILAB-M", "1.00A", (), "ICSA-24-200-01", True),
    ("Mitsubishi Electric", "MELSOFT MaiLab SW1DND-MAILAB-M", "1.05G", (), "ICSA-24-200-01", False),
    ("Mitsubishi Electric", "MELSOFT MaiLab", "1.02C", (), "ICSA-24-200-01", True),
    ("Mitsubishi Electric", "MELSOFT GX Works3", "1.02C", (), "ICSA-24-200-01", False),
    ("Mitsubishi Electric", "MELSOFT MaiLab SW1DND-MAILAB-M", "1.05", (), "ICSA-24-200-01", True),
    # Rockwell Automation ThinManager ThinServer: seven ranges, vendor aliases.
    ("Rockwell Automation", "ThinManager ThinServer", "13.0.2", (), "ICSA-24-242-01", True),
    ("Rockwell", "ThinManager ThinServer", "11.2.7", (), "ICSA-24-242-01", True),
    ("Rockwell Automation", "ThinManager ThinServer", "13.1.2", (), "ICSA-24-242-01", False),
    ("Rockwell Automation", "ThinManager ThinServer", "11.0.5", (), "ICSA-24-242-01", False),
    ("Rockwell Automation", "ThinManager ThinServer", "12.0.10", (), "ICSA-24-242-01", False),
    ("Allen-Bradley", "ThinManager ThinServer", "12.1.0", (), "ICSA-24-242-01", True),
    ("Rockwell Automation, Inc.", "ThinManager ThinServer", "v13.2.0", (), "ICSA-24-242-01", True),
    ("Rockwell Automation", "FactoryTalk View SE", "13.0", (), "ICSA-24-242-01", False),
    ("Rockwell Automation", "ThinManager ThinServer", None, (), "ICSA-24-242-01", False),
    (None, None, None, ("CVE-2024-7988",), "ICSA-24-242-01", True),
    (None, None, None, ("CVE-2024-7988",), "ICSA-24-289-02", False),
    # KEV by name: vendor and product, families, aliases.
    ("Siemens", "SIMATIC CP 1543-1", "V2.0", (), "KEV:CVE-2016-8562", True),
    ("Siemens AG", "SIMATIC CP 1543-1", None, (), "KEV:CVE-2016-8562", True),
    ("Siemens", "SIMATIC S7-1200", "V4.5", (), "KEV:CVE-2016-8562", False),
    ("Delta Electronics", "DOPSoft", "2.00.07", (), "KEV:CVE-2021-38406", True),
    ("Delta Electronics, Inc.", "DOPSoft 2", None, (), "KEV:CVE-2021-38406", True),
    ("Delta Electronics", "DIAEnergie", "1.9", (), "KEV:CVE-2021-38406", False),
    ("Schneider Electric", "U.motion Builder", "1.3.4", (), "KEV:CVE-2018-7841", True),
    ("Schneider Electric", "Umotion Builder", "1.3.4", (), "KEV:CVE-2018-7841", True),
    ("Schneider Electric", "Data Center Expert", "8.1", (), "KEV:CVE-2018-7841", False),
    ("Apache", "ActiveMQ", "5.15.15", (), "KEV:CVE-2023-46604", True),
    ("The Apache Software Foundation", "ActiveMQ", "5.18.2", (), "KEV:CVE-2023-46604", True),
    ("Apache", "Tomcat", "9.0", (), "KEV:CVE-2023-46604", False),
    (None, None, None, ("CVE-2023-46604",), "KEV:CVE-2023-46604", True),
    ("Microsoft", "Windows", "10", (), "KEV:CVE-2023-46604", False),
]


def predicted(hits: list[Hit], target: str) -> bool:
    if target.startswith("KEV:"):
        return any(hit.source == "kev" and hit.cve == target[4:] for hit in hits)
    return any(hit.advisory_id == target for hit in hits)


def test_the_labelled_set_matches_with_full_precision_and_high_recall() -> None:
    advisories = all_advisories()
    kev = kev_catalogue()
    tp = fp = fn = 0
    wrong = []
    for vendor, product, version, cves, target, affected in LABELLED:
        hits = match(Asset(vendor, product, version, cves), advisories, kev, aliases=ALIASES)
        found = predicted(hits, target)
        tp += found and affected
        fp += found and not affected
        fn += affected and not found
        if found != affected:
            wrong.append((vendor, product, version, cves, target, affected, hits))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"labelled pairs: {len(LABELLED)}, precision {precision:.3f}, recall {recall:.3f}")

    assert len(LABELLED) >= 50
    assert sum(case[-1] for case in LABELLED) >= 20
    assert sum(not c[-1] for c in LABELLED) >= 20
    assert precision == 1.0, wrong
    assert recall >= 0.95, wrong


def test_hits_say_why() -> None:
    hits = match(
        Asset("Siemens AG", "HiMed Cockpit 12 pro", "V11.6.1", ("CVE-2023-6448",)),
        all_advisories(),
        kev_catalogue(),
        aliases=ALIASES,
    )

    assert hits == [
        Hit(
            "CVE-2023-52952",
            "csaf",
            "ICSA-24-284-08",
            "version V11.6.1 in vers:all/>=V11.5.1|<V11.6.2",
            # The advisory's remediation for the product that matched.
            "Update to V11.6.2 or later version\n"
            "Contact customer support to receive patch and update information.",
        ),
        # Listed on the asset: known exploited. The Unitronics advisory naming it is about
        # another vendor's products, not news about this one.
        Hit("CVE-2023-6448", "kev", None, "CVE listed on the asset"),
    ]
    unnamed = match(
        Asset(None, None, None, ("CVE-2023-6448",)), all_advisories(), {}, aliases=ALIASES
    )
    assert unnamed == [Hit("CVE-2023-6448", "csaf", "ICSA-23-348-15", "CVE listed on the asset")]
