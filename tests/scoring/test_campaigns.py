"""Section 4: eligible indicators, the campaign threshold in the fast and the slow window,
milestones, floor and evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from awareness.scoring.campaigns import (
    FAST,
    SLOW,
    Announced,
    CampaignFacts,
    Sighting,
    campaign_evidence,
    campaign_facts,
    campaign_floor,
    campaign_level,
    campaign_title,
    check_milestones,
    facts_until,
    window_facts,
)
from awareness.scoring.config import ScoringConfig
from awareness.scoring.indicators import exclusion_reason, may_form_campaign
from awareness.scoring.levels import Level

CFG = ScoringConfig()
FAST_ONLY = ScoringConfig.model_validate({"campaign": {"slow_window_days": 0}})
T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
C2 = [("domain", "evil-c2.ru")]


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("ipv4", "185.220.101.5", None),
        ("ipv4", "10.1.2.3", "non-global address"),
        ("ipv4", "172.16.0.9", "non-global address"),
        ("ipv4", "192.168.1.1", "non-global address"),
        ("ipv4", "127.0.0.1", "non-global address"),
        ("ipv4", "169.254.1.1", "non-global address"),
        ("ipv4", "224.0.0.251", "non-global address"),
        ("ipv4", "240.0.0.1", "non-global address"),
        ("ipv4", "0.0.0.0", "non-global address"),
        ("ipv4", "255.255.255.255", "non-global address"),
        ("ipv4", "100.64.12.1", "non-global address"),  # shared address space (CGNAT)
        ("ipv4", "192.0.2.10", "non-global address"),  # documentation
        ("ipv4", "198.51.100.7", "non-global address"),
        ("ipv4", "203.0.113.99", "non-global address"),
        ("ipv4", "198.18.0.1", "non-global address"),  # benchmarking
        ("ipv4", "8.8.8.8", "allow-listed"),
        ("ipv4", "1.1.1.1", "allow-listed"),
        ("ipv4", "9.9.9.9", "allow-listed"),
        ("ipv6", "2a00:1450:4001:82b::200e", None),
        ("ipv6", "::1", "non-global address"),
        ("ipv6", "::", "non-global address"),
        ("ipv6", "fe80::1", "non-global address"),
        ("ipv6", "fd12:3456::1", "non-global address"),
        ("ipv6", "ff02::1", "non-global address"),
        ("ipv6", "2001:db8::1", "non-global address"),
        ("ipv6", "3fff::1", "non-global address"),
        ("ipv6", "::ffff:10.0.0.1", "non-global address"),  # IPv4-mapped private
        ("ipv6", "2002:c0a8:101::1", "non-global address"),  # 6to4 of 192.168.1.1
        ("ipv6", "2606:4700:4700::1111", "allow-listed"),
        ("ipv4", "not-an-ip", "not an IP address"),
        ("domain", "evil-c2.ru", None),
        ("domain", "update.microsoft.com", "allow-listed"),
        ("domain", "download.windowsupdate.com", "allow-listed"),  # subdomain
        ("domain", "notwindowsupdate.com", None),  # a suffix is not a subdomain
        ("domain", "printer.local", "special-use name"),
        ("domain", "www.example.com", "special-use name"),
        ("domain", "foo.test", "special-use name"),
        ("domain", "fileserver", "single-label name"),
        ("url", "https://bad.ru/payload.exe", None),
        ("url", "http://10.0.0.1/x", "non-global address"),
        ("url", "http://[::1]:8080/", "non-global address"),
        ("url", "https://ctldl.windowsupdate.com/msdownload/x.cab", "allow-listed"),
        ("url", "http://8.8.8.8/", "allow-listed"),
        ("url", "file:///etc/passwd", "no host"),
        ("url", "bad.ru/no-scheme", None),
        ("email", "phish@bad.ru", None),
        ("email", "root@localhost", "single-label name"),
        ("email", "x@[192.168.0.1]", "non-global address"),
        ("email", "alerts@mesu.apple.com", "allow-listed"),
        ("sha256", "a" * 64, None),
        (
            "sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "allow-listed",
        ),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e", "allow-listed"),
        ("cve", "CVE-2024-3400", None),
    ],
)
def test_which_indicators_may_form_a_campaign(kind: str, value: str, reason: str | None) -> None:
    assert exclusion_reason(kind, value, cfg=CFG) == reason
    assert may_form_campaign(kind, value, cfg=CFG) is (reason is None)


def test_allow_list_takes_networks_and_is_configurable() -> None:
    cfg = ScoringConfig.model_validate(
        {"campaign": {"allow_list": ["203.0.114.0/24", "Corp.NET."]}}
    )
    assert exclusion_reason("ipv4", "203.0.114.77", cfg=cfg) == "allow-listed"
    assert exclusion_reason("domain", "vpn.corp.net", cfg=cfg) == "allow-listed"
    assert exclusion_reason("ipv4", "8.8.8.8", cfg=cfg) is None  # replaced, not merged
    with pytest.raises(ValueError, match="unknown indicator type"):
        exclusion_reason("asn", "64500", cfg=cfg)


def sighting(i: int, org: str, sector: str, severity: float, hours: float) -> Sighting:
    return Sighting(i, org, sector, severity, T0 + timedelta(hours=hours))


def test_three_organizations_within_72_hours_make_a_campaign() -> None:
    seen = [
        sighting(1, "a", "energy", 30, 0),
        sighting(2, "b", "energy", 40, 10),
        sighting(3, "a", "energy", 50, 20),
    ]
    assert campaign_facts(C2, seen, T0 + 20 * HOUR, cfg=CFG) is None
    two = window_facts(C2, seen, T0 + 20 * HOUR, hours=72, pace=FAST)
    assert two is not None
    assert two.org_count == 2
    seen.append(sighting(4, "c", "water", 20, 71))
    facts = campaign_facts(C2, seen, T0 + 71 * HOUR, cfg=CFG)
    assert facts is not None
    assert (facts.org_count, facts.sectors, facts.max_severity) == (3, ("energy", "water"), 50)
    assert facts.pace == FAST
    # at 72 h the first sighting of "a" leaves, its 20 h one stays: still 3
    assert campaign_facts(C2, seen, T0 + 72 * HOUR, cfg=CFG) is not None
    # at 82 h only "a" (20 h) and "c" (71 h) remain inside the fast window (10 h of "b" is
    # 72 h old); the slow window still sees all three, but they were seen together: no slow
    # campaign for what was a fast one
    assert campaign_facts(C2, seen, T0 + 82 * HOUR, cfg=FAST_ONLY) is None
    assert campaign_facts(C2, seen, T0 + 82 * HOUR, cfg=CFG, last_fast_at=T0 + 72 * HOUR) is None


def test_three_organizations_weeks_apart_make_a_slow_campaign() -> None:
    """The 2015 Ukraine grid attack's shape: one phishing domain at three distribution
    companies, weeks apart; only the 90-day window sees them together."""
    seen = [
        sighting(1, "oblenergo-1", "energy", 25, 0),
        sighting(2, "oblenergo-2", "energy", 25, 24 * 20),
    ]
    assert campaign_facts(C2, seen, T0 + 20 * DAY, cfg=CFG) is None
    seen.append(sighting(3, "oblenergo-3", "energy", 25, 24 * 41))
    facts = campaign_facts(C2, seen, T0 + 41 * DAY, cfg=CFG)
    assert facts is not None
    assert (facts.pace, facts.org_count, facts.window_hours) == (SLOW, 3, 90 * 24)
    assert campaign_level(facts, cfg=CFG) == Level.YELLOW
    assert "over 90 days" in campaign_title(facts)
    # never higher than yellow on its own, however severe and wide
    severe = [sighting(i, f"o{i}", "energy", 95, 24 * 10 * i) for i in range(8)]
    slow = campaign_facts(C2, severe, T0 + 71 * DAY, cfg=CFG)
    assert slow is not None
    assert (slow.pace, campaign_level(slow, cfg=CFG)) == (SLOW, Level.YELLOW)
    # the first report leaves the 90-day window: two remain, no campaign
    assert campaign_facts(C2, seen, T0 + 90 * DAY + HOUR, cfg=CFG) is None
    # off: no slow campaigns at all
    assert campaign_facts(C2, seen, T0 + 41 * DAY, cfg=FAST_ONLY) is None
    # the burst: all three again within hours, and it is fast
    burst = [
        *seen,
        *(sighting(10 + i, f"oblenergo-{i}", "energy", 90, 24 * 60 + i) for i in (1, 2, 3)),
    ]
    fast = campaign_facts(C2, burst, T0 + 60 * DAY + 3 * HOUR, cfg=CFG)
    assert fast is not None
    assert (fast.pace, campaign_level(fast, cfg=CFG)) == (FAST, Level.ORANGE)


def test_facts_hold_until_a_sighting_leaves_a_window() -> None:
    seen = [sighting(1, "a", "energy", 30, 0), sighting(2, "b", "energy", 30, 10)]
    assert facts_until(seen, T0 + 20 * HOUR, cfg=CFG) == T0 + 72 * HOUR
    assert facts_until(seen, T0 + 80 * HOUR, cfg=CFG) == T0 + 82 * HOUR
    assert facts_until(seen, T0 + 83 * HOUR, cfg=CFG) == T0 + 90 * DAY
    assert facts_until(seen, T0 + 83 * HOUR, cfg=FAST_ONLY) == T0 + 83 * HOUR


def test_an_allow_listed_indicator_is_never_a_campaign() -> None:
    seen = [sighting(i, f"org{i}", "energy", 90, 0) for i in range(12)]
    assert campaign_facts([("ipv4", "8.8.8.8")], seen, T0, cfg=CFG) is None
    # nor does it carry a campaign it would join
    assert campaign_facts([*C2, ("ipv4", "8.8.8.8")], seen, T0, cfg=CFG) is None


def test_a_campaign_counts_organizations_across_its_indicators() -> None:
    cve, shell = ("cve", "CVE-2023-34362"), ("sha256", "b" * 64)
    seen = [
        sighting(1, "a", "energy", 40, 0),
        sighting(2, "b", "water", 40, 1),
        sighting(3, "c", "communications", 40, 2),
        sighting(4, "d", "energy", 40, 3),
    ]
    facts = campaign_facts([cve, shell], seen, T0 + 4 * HOUR, cfg=CFG)
    assert facts is not None
    assert facts.indicators == (cve, shell)
    assert facts.org_count == 4
    assert campaign_title(facts).startswith("cve CVE-2023-34362 and 1 more indicator reported")
    evidence = campaign_evidence(facts, cfg=CFG)
    assert evidence["indicators"] == [
        {"type": "cve", "value": "CVE-2023-34362"},
        {"type": "sha256", "value": "b" * 64},
    ]
    assert evidence["indicator"] == {"type": "cve", "value": "CVE-2023-34362"}


def facts(
    orgs: int, sectors: tuple[str, ...], max_severity: float = 30, pace: str = FAST
) -> CampaignFacts:
    return CampaignFacts(
        indicators=(("domain", "evil-c2.ru"),),
        pace=pace,
        window_hours=72 if pace == FAST else 90 * 24,
        org_count=orgs,
        sectors=sectors,
        max_severity=max_severity,
        first_seen=T0,
        last_seen=T0 + HOUR,
    )


def test_milestones() -> None:
    below = check_milestones(None, None, cfg=CFG)
    assert (below.reasons, below.announced) == ((), None)

    first = check_milestones(None, facts(3, ("energy",)), cfg=CFG)
    assert first.reasons == ("detected",)
    assert first.announced == Announced(3, ("energy",))

    same = check_milestones(first.announced, facts(4, ("energy",)), cfg=CFG)
    assert same.reasons == ()

    spread = check_milestones(same.announced, facts(4, ("energy", "water")), cfg=CFG)
    assert (spread.reasons, spread.new_sectors) == (("new_sector",), ("water",))

    five = check_milestones(spread.announced, facts(5, ("energy", "water")), cfg=CFG)
    assert five.reasons == ("reached_5_orgs",)

    # dipping to 4 and coming back to 5 is not announced twice; jumping to 11 is "10"
    dip = check_milestones(five.announced, facts(4, ("energy",)), cfg=CFG)
    assert dip.reasons == ()
    back = check_milestones(dip.announced, facts(5, ("energy", "water")), cfg=CFG)
    assert back.reasons == ()
    both = check_milestones(back.announced, facts(11, ("energy", "water", "dams")), cfg=CFG)
    assert both.reasons == ("new_sector", "reached_10_orgs")
    assert both.announced == Announced(11, ("dams", "energy", "water"))

    # first seen at once with 6 organizations: detected and past the 5 milestone
    burst = check_milestones(None, facts(6, ("energy", "water")), cfg=CFG)
    assert burst.reasons == ("detected", "reached_5_orgs")


def test_a_slow_campaign_that_turns_fast_is_announced_again() -> None:
    slow = check_milestones(None, facts(4, ("energy",), pace=SLOW), cfg=CFG)
    assert slow.reasons == ("detected",)
    assert slow.announced == Announced(4, ("energy",), SLOW)
    still = check_milestones(slow.announced, facts(4, ("energy",), pace=SLOW), cfg=CFG)
    assert still.reasons == ()
    burst = check_milestones(still.announced, facts(3, ("energy",), 90), cfg=CFG)
    assert burst.reasons == ("accelerated",)
    assert burst.announced == Announced(4, ("energy",), FAST)
    again = check_milestones(burst.announced, facts(3, ("energy",), 90), cfg=CFG)
    assert again.reasons == ()


def test_announced_json_round_trip() -> None:
    state = Announced(7, ("energy", "water"), SLOW)
    assert Announced.from_json(json.loads(json.dumps(state.to_json()))) == state
    # stored before campaigns had a pace: they were all fast
    assert Announced.from_json({"org_count": 3, "sectors": ["energy"]}).pace == FAST


@pytest.mark.parametrize(
    ("orgs", "max_severity", "level"),
    [
        (3, 59.9, Level.YELLOW),
        (3, 60, Level.ORANGE),
        (4, 95, Level.ORANGE),
        (5, 60, Level.RED),
        (12, 59, Level.YELLOW),  # wide but not severe: still yellow
    ],
)
def test_campaign_floor(orgs: int, max_severity: float, level: Level) -> None:
    floor = campaign_floor(facts(orgs, ("energy", "water"), max_severity), "water", cfg=CFG)
    assert floor is not None
    assert (floor.rule, floor.level) == ("campaign", level)
    assert floor.evidence["organizations"] == orgs
    assert campaign_floor(facts(orgs, ("energy",), max_severity), "water", cfg=CFG) is None


def test_evidence_names_indicator_count_and_sectors() -> None:
    evidence = campaign_evidence(
        facts(3, ("energy",), 70), cfg=CFG, reasons=["detected"], campaign_id=4
    )
    assert evidence["indicator"] == {"type": "domain", "value": "evil-c2.ru"}
    assert (evidence["organizations"], evidence["sectors"], evidence["level"]) == (
        3,
        ["energy"],
        "orange",
    )
    assert evidence["reasons"] == ["detected"]
    assert json.loads(json.dumps(evidence)) == evidence
    assert "org0" not in json.dumps(evidence)


org_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=8, max_size=16)


@settings(deadline=None)
@given(
    org=org_names,
    count=st.integers(min_value=1, max_value=200),
    hours=st.lists(st.floats(min_value=0, max_value=71), min_size=1, max_size=200),
)
def test_one_organization_repeating_never_makes_a_campaign(
    org: str, count: int, hours: list[float]
) -> None:
    seen = [
        sighting(i, org, ["energy", "water"][i % 2], 100, hours[i % len(hours)])
        for i in range(count)
    ]
    assert campaign_facts(C2, seen, T0 + 71 * HOUR, cfg=CFG) is None


@settings(deadline=None)
@given(orgs=st.sets(org_names.map(lambda s: "org-" + s), min_size=3, max_size=12))
def test_no_organization_leaks_into_evidence(orgs: set[str]) -> None:
    seen = [sighting(i, org, "energy", 70, 1) for i, org in enumerate(sorted(orgs))]
    facts = campaign_facts(C2, seen, T0 + 2 * HOUR, cfg=CFG)
    assert facts is not None
    floor = campaign_floor(facts, "energy", cfg=CFG)
    assert floor is not None
    text = json.dumps([campaign_evidence(facts, cfg=CFG), floor.to_json()]) + floor.detail
    assert not any(org in text for org in orgs)
    assert not any(org in repr(facts) for org in orgs)
