"""What a matching pass decides, as pure functions: news, withdrawals and replacements; one
warning per organization and advisory; levels from KEV and criticality; titles and evidence."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from awareness.scoring.config import VulnerabilityConfig
from awareness.scoring.levels import Level
from awareness.scoring.vulnerabilities import (
    AdvisoryFacts,
    AssetFacts,
    Facts,
    Finding,
    KevFacts,
    Known,
    compare,
    evidence_of,
    group_key,
    groups,
    level_of,
    title_of,
    withdrawal_note,
)

CFG = VulnerabilityConfig()
KEV_ENTRY = KevFacts("ActiveMQ RCE", date(2023, 11, 2), date(2023, 11, 23), True, "Patch.")
FACTS = Facts(
    kev={"CVE-2023-46604": KEV_ENTRY},
    advisories={"ICSA-1": AdvisoryFacts("ICSA-1", "Siemens HiMed Cockpit", "high")},
    assets={
        ("a", "pc-1"): AssetFacts("pc-1", "Siemens", "HiMed Cockpit", "V11.6.1"),
        ("a", "pc-2"): AssetFacts("pc-2", "Siemens", "HiMed Cockpit", "V11.5.1"),
        ("a", "mq-1"): AssetFacts("mq-1", "Apache", "ActiveMQ", "5.15.0"),
    },
)


def finding(
    asset: str, cve: str, advisory: str = "", digest: str = "d1", org: str = "a", topic: str = ""
) -> Finding:
    source = "csaf" if advisory else "kev"
    remedy = "Update." if advisory else None
    return Finding(org, asset, cve, source, advisory, digest, "why", remedy, topic or advisory)


def known(f: Finding, warning_id: int, digest: str | None = None) -> Known:
    return Known(
        f.org_id, f.asset_id, f.cve, f.source, f.advisory_id, digest or f.digest, warning_id
    )


def test_what_is_new_gone_and_replaced() -> None:
    kept = finding("pc-1", "CVE-1", "ICSA-1")
    changed = finding("pc-2", "CVE-1", "ICSA-1", digest="d2")
    fresh = finding("mq-1", "CVE-2023-46604")
    lost = finding("pc-3", "CVE-1", "ICSA-1")

    outcome = compare(
        [kept, changed, fresh], [known(kept, 1), known(changed, 1, "d1"), known(lost, 1)]
    )

    assert outcome.news == [fresh, changed]
    assert outcome.updated == {changed.key}
    assert outcome.gone == [known(lost, 1)]
    assert outcome.replaced == [known(changed, 1, "d1")]


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["CVE-1", "CVE-2"]),
                          st.sampled_from(["", "ICSA-1", "ICSA-2"])), max_size=12))  # fmt: skip
def test_the_same_findings_twice_are_never_news(rows: list[tuple[str, str, str]]) -> None:
    found = [finding(asset, cve, advisory) for asset, cve, advisory in rows]
    outcome = compare(found, [known(f, 7) for f in found])
    assert outcome.news == []
    assert outcome.gone == []


def test_one_warning_per_organization_and_topic_and_kev_joins_its_advisory() -> None:
    a1 = finding("pc-1", "CVE-1", "ICSA-1")
    a2 = finding("pc-2", "CVE-2", "ICSA-1")
    exploited = finding("pc-1", "CVE-1", topic="kev:siemens/himed")  # the same CVE, from KEV
    broker = "kev:apache/activemq"
    alone = finding("mq-1", "CVE-2023-46604", topic=broker)
    # Another exploited CVE of the same product: the same warning, not one per CVE.
    again = finding("mq-1", "CVE-2016-3088", topic=broker)
    elsewhere = finding("pc-1", "CVE-1", "ICSA-1", org="b")

    found = groups([a1, a2, exploited, alone, again, elsewhere])

    assert found == [[a1, a2, exploited], [alone, again], [elsewhere]]
    assert [group_key(g) for g in found] == ["ICSA-1", broker, "ICSA-1"]


def test_levels_come_from_kev_and_criticality() -> None:
    assert level_of([finding("pc-1", "CVE-1", "ICSA-1")], FACTS, cfg=CFG) == Level.YELLOW
    assert level_of([finding("mq-1", "CVE-2023-46604")], FACTS, cfg=CFG) == Level.RED
    quiet = Facts(kev={"CVE-9": KevFacts("x", date(2024, 1, 1), None, False, "")})
    assert level_of([finding("x", "CVE-9")], quiet, cfg=CFG) == Level.ORANGE
    unknown = Facts(advisories={"ICSA-9": AdvisoryFacts("ICSA-9", "t", "none")})
    assert level_of([finding("x", "CVE-3", "ICSA-9")], unknown, cfg=CFG) == Level.BLUE


def test_titles_say_what_where_and_which_advisory() -> None:
    group = [finding("pc-1", "CVE-1", "ICSA-1"), finding("pc-2", "CVE-1", "ICSA-1")]
    assert title_of(group, FACTS, updated=False) == (
        "Vulnerability CVE-1 in Siemens HiMed Cockpit: assets pc-1, pc-2; "
        "ICSA-1 Siemens HiMed Cockpit"
    )
    assert title_of([finding("mq-1", "CVE-2023-46604")], FACTS, updated=True) == (
        "Updated: Known exploited CVE-2023-46604 (used by ransomware) in Apache ActiveMQ: "
        "asset mq-1"
    )
    many = [finding(f"pc-{i}", "CVE-1", "ICSA-1") for i in range(5)]
    assert "assets pc-0, pc-1, pc-2 and more;" in title_of(many, FACTS, updated=False)


def test_evidence_names_the_cves_the_advisory_and_each_asset() -> None:
    group = [finding("mq-1", "CVE-2023-46604", "ICSA-1"), finding("mq-1", "CVE-2023-46604")]
    evidence = evidence_of(group, FACTS, updated=False)
    assert evidence == {
        "org_id": "a",
        "advisory": {"id": "ICSA-1", "title": "Siemens HiMed Cockpit", "criticality": "high",
                     "remediation": ["Update."]},
        "vulnerabilities": [{"cve": "CVE-2023-46604", "kev": KEV_ENTRY.to_json(),
                             "advisories": ["ICSA-1"]}],
        "assets": [{"asset_id": "mq-1", "vendor": "Apache", "product": "ActiveMQ",
                    "version": "5.15.0", "cves": ["CVE-2023-46604"], "reasons": ["why"]}],
        "updated": False,
    }  # fmt: skip


def test_withdrawal_notes_name_the_versions_run_now() -> None:
    gone = [known(finding("pc-1", "CVE-1", "ICSA-1"), 1), known(finding("pc-9", "CVE-1"), 1)]
    assert withdrawal_note(gone, FACTS) == (
        "Withdrawn: no asset is affected any more (pc-1 now runs V11.6.1; pc-9 is no longer in "
        "the inventory)"
    )
    assert withdrawal_note(gone[:1], FACTS, partial=True) == (
        "No longer affected: pc-1 now runs V11.6.1"
    )
