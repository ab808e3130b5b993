"""Product versions as ICS advisories write them ("V3.1.2", "V2.9 SP1", "1.05F", "R16A") and
`vers:` ranges over them. Pure: strings in, answers out; a string it cannot read is refused
with `VersionError`, never compared as text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cmp_to_key
from itertools import zip_longest

# Component ranks, after repology's libversion: a pre-release ("beta", "rc") sorts below the
# release, padding ("1.0" = "1.0.0") is zero, a post-release ("SP1", "Update 2", the letter
# of "1.05F") sorts above the release but below the next number ("V2.9 SP1" < "V2.9.1").
PRE, ZERO, POST, NONZERO = 0, 1, 2, 3
_PRE_WORDS = frozenset({"alpha", "beta", "rc", "pre", "preview", "dev", "snapshot"})
_POST_WORDS = frozenset(
    {"sp", "update", "upd", "u", "patch", "p", "pl", "post", "hf", "hotfix", "fix", "r", "rev"}
)
_PAD = (ZERO, 0, "")
_TOKEN = re.compile(r"\d+|[a-z]+")
# Labels before the first digit ("V", "v.", "MX-V", "FW_", "Firmware ") name the version,
# they are not part of it.
_PREFIX = re.compile(r"^[^\d]*")
# A "V" before digits starts the version even after a model name ("CPCI85 V05.20").
_V_MARK = re.compile(r"(?:^|[\s_])v(?=\d)")
_READABLE = re.compile(r"^[\w .+\-]+$")
_MAX_WORDS = 3
# A version followed by prose ("V4.00_Utilizes_Wibu-Systems_CodeMeter_7.60c"): the version.
_LEADING = re.compile(r"^v?\d+(?:\.\d+)*[a-z]?(?=[\s_]|$)")
_CONSTRAINT = re.compile(r"(<=|>=|!=|<|>|=)?\s*([^<>=!|]+)")
_RANGE_MARK = re.compile(r"[<>=|*]")
_ALL_VERSIONS = re.compile(r"^\s*all\s+(?:\w+\s+)?versions?\b", re.IGNORECASE)
# A note in parentheses after a version ("1.03.07 (build 317)", "(CVE-2022-37434 only)").
_NOTE = re.compile(r"\s*\([^()]*\)")

Component = tuple[int, int, str]


class VersionError(ValueError):
    """A version or range the comparator cannot read (the caller decides what that means)."""


@dataclass(frozen=True, slots=True, eq=False)
class Version:
    text: str
    key: tuple[Component, ...]

    def compare(self, other: Version) -> int:
        for mine, theirs in zip_longest(self.key, other.key, fillvalue=_PAD):
            if mine != theirs:
                return -1 if mine < theirs else 1
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.compare(other) == 0

    def __hash__(self) -> int:
        key = list(self.key)
        while key and key[-1] == _PAD:
            key.pop()
        return hash(tuple(key))

    def __lt__(self, other: Version) -> bool:
        return self.compare(other) < 0

    def __le__(self, other: Version) -> bool:
        return self.compare(other) <= 0

    def __gt__(self, other: Version) -> bool:
        return self.compare(other) > 0

    def __ge__(self, other: Version) -> bool:
        return self.compare(other) >= 0

    def __str__(self) -> str:
        return self.text


def parse_version(text: str) -> Version:
    """Read one version; `VersionError` when it has no digit or reads like a sentence."""
    cleaned = _NOTE.sub("", text).strip()
    folded = cleaned.casefold()
    if not _READABLE.match(folded) or not any(char.isdigit() for char in folded):
        raise VersionError(f"not a version: {text!r}")
    mark = _V_MARK.search(folded)
    body = folded[mark.end() :] if mark else _PREFIX.sub("", folded)
    key: list[Component] = []
    words = 0
    for match in _TOKEN.finditer(body):
        token = match.group()
        if token.isdigit():
            number = int(token)
            key.append((NONZERO if number else ZERO, number, ""))
            continue
        words += 1
        key.append((_word_rank(token, body, match.start(), match.end()), 0, token))
    if words > _MAX_WORDS:
        leading = _LEADING.match(folded)
        if leading is None or leading.group() == folded:
            raise VersionError(f"not a version: {text!r}")
        return parse_version(leading.group())
    return Version(cleaned, tuple(key))


def _word_rank(word: str, body: str, start: int, end: int) -> int:
    if word in _PRE_WORDS:
        return PRE
    if word in _POST_WORDS:
        return POST
    # A letter glued to a number and ending the component is a revision: "1.05F" > "1.05".
    after_digit = start > 0 and body[start - 1].isdigit()
    before_digit = end < len(body) and body[end].isdigit()
    return POST if after_digit and not before_digit else PRE


@dataclass(frozen=True, slots=True)
class Constraint:
    comparator: str  # "<", "<=", ">", ">=", "=", "!=" or "*" (every version)
    version: Version | None


@dataclass(frozen=True, slots=True)
class VersionRange:
    """A `vers:` range (any scheme: CISA writes `vers:all/...`) or one of the bare forms the
    advisories also use (`<V4.5`, `>= 3.2 | < 6.1`, `>=V7.80<V9.40`)."""

    text: str
    constraints: tuple[Constraint, ...]

    def __contains__(self, version: Version) -> bool:
        return range_contains(self, version)


def parse_range(text: str) -> VersionRange:
    body = text.strip()
    if body.casefold().startswith("vers:"):
        _, slash, body = body[5:].partition("/")
        if not slash:
            raise VersionError(f"vers range without a scheme: {text!r}")
    # Written backwards in some advisories ("=<8.5"); quotes around a version ('<="07"').
    body = body.replace("=<", "<=").replace("=>", ">=").replace('"', "")
    body = _ALL_VERSIONS.sub("", body).strip()
    if body in {"*", ""}:
        if body == "*":
            return VersionRange(text, (Constraint("*", None),))
        raise VersionError(f"empty version range: {text!r}")
    constraints: list[Constraint] = []
    for piece in body.split("|"):
        found = [(op, value.strip()) for op, value in _CONSTRAINT.findall(piece) if value.strip()]
        if not found:
            raise VersionError(f"empty constraint in {text!r}")
        for op, value in found:
            if value == "*":
                constraints.append(Constraint("*", None))
            else:
                constraints.append(Constraint(op or "=", parse_version(value)))
    return VersionRange(text, tuple(constraints))


def range_contains(versions: VersionRange, version: Version) -> bool:
    """The vers containment rule: `*` holds every version, `=` and `!=` decide alone, and the
    ordered bounds pair into intervals (a lower bound opens one, the next upper closes it)."""
    bounds: list[Constraint] = []
    for constraint in versions.constraints:
        if constraint.comparator == "*":
            return True
        assert constraint.version is not None
        if constraint.comparator == "=" and constraint.version == version:
            return True
        if constraint.comparator == "!=" and constraint.version == version:
            return False
        if constraint.comparator in {"<", "<=", ">", ">="}:
            bounds.append(constraint)
    bounds.sort(key=cmp_to_key(_by_version))
    lower: Constraint | None = None
    for bound in bounds:
        if bound.comparator in {">", ">="}:
            lower = lower or bound
            continue
        if _above(version, lower) and _below(version, bound):
            return True
        lower = None
    return lower is not None and _above(version, lower)


def _by_version(a: Constraint, b: Constraint) -> int:
    assert a.version is not None
    assert b.version is not None
    return a.version.compare(b.version)


def _above(version: Version, lower: Constraint | None) -> bool:
    if lower is None:
        return True
    assert lower.version is not None
    order = version.compare(lower.version)
    return order > 0 or (order == 0 and lower.comparator == ">=")


def _below(version: Version, upper: Constraint) -> bool:
    assert upper.version is not None
    order = version.compare(upper.version)
    return order < 0 or (order == 0 and upper.comparator == "<=")


def version_in(version: str, versions: str) -> bool:
    """Is `version` in `versions` (a `vers:` range or an exact version)? `VersionError` when
    either cannot be read."""
    wanted = parse_version(version)
    text = versions.strip()
    if text.casefold().startswith("vers:") or _ALL_VERSIONS.match(text) or _RANGE_MARK.search(text):
        return wanted in parse_range(versions)
    return wanted == parse_version(versions)
