"""Versions and `vers:` ranges as the ICS advisories write them, compared as versions."""

import pytest

from awareness.scoring.versions import VersionError, parse_range, parse_version, version_in


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("2.9.3", "2.10"),  # numbers, not text: "2.10" > "2.9.3"
        ("12.0.6", "12.0.10"),
        ("V2.9", "V2.9 SP1"),  # a service pack comes after its release...
        ("V2.9 SP1", "V2.9.1"),  # ...and before the next number
        ("V2.9 SP1", "V2.9 SP2"),
        ("V19 Update 1", "V19_Update_2"),
        ("1.0beta", "1.0"),  # a pre-release before its release
        ("1.0rc1", "1.0"),
        ("1.05", "1.05F"),  # Mitsubishi's revision letter after the number
        ("1.04E", "1.05F"),
        ("R15A", "R16A"),  # Yokogawa's R prefix
        ("MX-V4.7.2.34", "MX-V5.0.0.127"),  # Mobotix
        ("V11.5.1", "11.6.2"),  # with or without the V
    ],
)
def test_versions_order_as_vendors_number_them(lower: str, higher: str) -> None:
    assert parse_version(lower) < parse_version(higher)
    assert parse_version(higher) > parse_version(lower)
    assert parse_version(lower) != parse_version(higher)


@pytest.mark.parametrize(
    ("a", "b"), [("1.0", "1.0.0"), ("V3.1.2", "3.1.2"), ("v2.9 sp1", "V2.9 SP1"), ("2", "2.0")]
)
def test_equal_versions_are_equal(a: str, b: str) -> None:
    assert parse_version(a) == parse_version(b)
    assert hash(parse_version(a)) == hash(parse_version(b))


@pytest.mark.parametrize(
    ("versions", "inside", "outside"),
    [
        ("vers:generic/>=1.0|<2.0", ["1.0", "1.5", "1.99.9"], ["0.9", "2.0", "10.0"]),
        ("vers:generic/<2.9.3", ["2.9.2", "V2.9.2", "2.9"], ["2.9.3", "2.10", "3"]),
        ("vers:all/<V3.1.4", ["V3.1.2", "V3.1.3 SP1", "V2.9"], ["V3.1.4", "V3.2"]),
        ("vers:all/>=V11.5.1|<V11.6.2", ["V11.5.1", "V11.6.1 SP2"], ["V11.5.0", "V11.6.2 SP1"]),
        ("vers:all/>=V5.4<V5.5 SP1", ["V5.4", "V5.5"], ["V5.5 SP1", "V5.3"]),  # pipe missing
        ("vers:all/>=1.00A|<1.05F", ["1.00A", "1.04E", "1.05"], ["1.05F", "1.06A"]),
        ("vers:intdot/>=10.2|<10.10", ["10.2", "10.9.9"], ["10.10", "10.1"]),
        ("vers:all/*", ["1", "V99 SP9"], []),
        ("vers:all/<=8.1.1.3", ["8.1.1.3", "7.9"], ["8.1.1.4", "8.2"]),
        ("vers:all/>= 3.2 | < 6.1", ["3.2", "6.0.9"], ["3.1", "6.1"]),  # spaces, CISA style
        ("<V4.5", ["V4.4"], ["V4.5"]),  # bare, without `vers:all/`
        ("vers:all/>=8.0|=<8.5", ["8.5"], ["8.6"]),  # "=<" written backwards
        ('vers:all/>="05"|<="07"', ["06"], ["08"]),  # quoted
        ("vers:all/2.00|2.03", ["2.0", "2.03"], ["2.01"]),  # a list of exact versions
        ("vers:all/>=R1.01.00|<R2.03.00", ["R2.02.10"], ["R2.03.00"]),
        ("vers:all/>=11.1.0|<11.1.7|>=13.0.0|<13.0.4", ["11.1.6", "13.0.3"], ["12.0", "13.0.4"]),
        ("vers:generic/!=1.5|>=1.0|<2.0", ["1.4"], ["1.5"]),
        ("All versions < CPCI85 V05.20", ["CPCI85 V05.10"], ["V05.20"]),
        ("vers:all/All BIOS versions < V1.0.212N", ["V1.0.212"], ["V1.0.212N"]),
        ("vers:all/>= 6.1.0.0 | <= 6.4.0.0 (CVE-2022-37434 only)", ["6.4"], ["6.4.1"]),  # note
        ("vers:all/1.03.07 (build 317)", ["1.03.07"], ["1.03.08"]),
        ("vers:all/>=R100-V0|<R301-V6", ["R301-V5", "R100-V0"], ["R301-V6", "R302-V2"]),  # SEL
        ("vers:all/<V4.00_Utilizes_Wibu-Systems_CodeMeter_7.60c", ["V3.9"], ["V4.00"]),
    ],
)
def test_ranges_hold_the_versions_they_say(
    versions: str, inside: list[str], outside: list[str]
) -> None:
    for version in inside:
        assert version_in(version, versions), f"{version} in {versions}"
    for version in outside:
        assert not version_in(version, versions), f"{version} not in {versions}"


def test_an_exact_version_matches_itself_only() -> None:
    assert version_in("V2.9.2", "V2.9.2")
    assert version_in("2.9.2", "V2.9.2")
    assert not version_in("2.9.3", "V2.9.2")
    assert version_in("MX-V5.2.5.15", "MX-V5.2.5.15")


@pytest.mark.parametrize(
    "text",
    [
        '<=The_first_5_digits_of_serial_No._"26061"',
        "<=A12__without_Special_Modification_Patch_BRD-C62W003-A0_installed",
        "<=RTS/RTD_3.6.6",
        "vers:<2.0",
        "vers:all/",
        "vers:all/<April/20/2023",
        "vers:all/All versions with maxView Storage Manager < 4.09.00.25611 on Windows",
    ],
)
def test_unreadable_ranges_are_refused_not_guessed(text: str) -> None:
    with pytest.raises(VersionError):
        parse_range(text)


@pytest.mark.parametrize("text", ["", "   ", "DataHub_RaspberryPi", "latest"])
def test_a_version_needs_a_number(text: str) -> None:
    with pytest.raises(VersionError):
        parse_version(text)
