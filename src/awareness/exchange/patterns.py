"""What STIX 2.1 says an indicator looks like, as the contract's indicators: the simple equality
comparisons of a STIX pattern (OR'ed, in one observation or several) and the cyber observables
this service knows. Anything a `type, value` pair cannot say (AND, FOLLOWEDBY, qualifiers,
other operators) is refused with the reason, never half read."""

# ruff: noqa: N802 (a listener's methods are named by the ANTLR grammar of STIX patterns)

from __future__ import annotations

from typing import Any

from stix2patterns.exceptions import ParseException  # type: ignore[import-untyped]
from stix2patterns.v21.grammars.STIXPatternListener import (  # type: ignore[import-untyped]
    STIXPatternListener,
)
from stix2patterns.v21.pattern import Pattern  # type: ignore[import-untyped]

# Object paths of a pattern, and the indicator type each one is.
_PATHS = {
    "ipv4-addr:value": "ipv4",
    "ipv6-addr:value": "ipv6",
    "domain-name:value": "domain",
    "url:value": "url",
    "email-addr:value": "email",
}
# `file:hashes.X` and an observable's `hashes`, by the hash algorithm's name without quotes,
# dashes and case (STIX's vocabulary writes SHA-256; producers also send SHA256 and sha256).
_HASHES = {"SHA256": "sha256", "SHA1": "sha1", "MD5": "md5"}
# Cyber observables (SCOs) and the property that carries their value.
OBSERVABLE_TYPES = {
    "ipv4-addr": "ipv4",
    "ipv6-addr": "ipv6",
    "domain-name": "domain",
    "url": "url",
    "email-addr": "email",
    "file": None,  # its `hashes`
}

Found = list[tuple[str, str]]


class Unsupported(ValueError):
    """A pattern or observable that says something other than `type = value`: the reason."""


def _hash_type(name: str) -> str | None:
    return _HASHES.get(name.strip("'\"").replace("-", "").replace("_", "").upper())


def _unquote(literal: str) -> str:
    """A STIX string literal's text: single-quoted, with \\' and \\\\ escaped."""
    if len(literal) < 2 or literal[0] != "'" or literal[-1] != "'":
        raise Unsupported(f"only quoted strings are read, not {literal}")
    return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")


class _Equalities(STIXPatternListener):  # type: ignore[misc]
    """Collects `path = 'value'` comparisons, and the first construct that is not one."""

    def __init__(self) -> None:
        self.found: Found = []
        self.refused: str | None = None

    def _refuse(self, reason: str) -> None:
        if self.refused is None:
            self.refused = reason

    def enterObservationExpressions(self, ctx: Any) -> None:
        if ctx.FOLLOWEDBY() is not None:
            self._refuse("FOLLOWEDBY says an order of observations, not indicators")

    def enterObservationExpressionAnd(self, ctx: Any) -> None:
        if ctx.AND() is not None:
            self._refuse("AND between observations needs all of them, not any one")

    def enterComparisonExpressionAnd(self, ctx: Any) -> None:
        if ctx.AND() is not None:
            self._refuse("AND between comparisons needs all of them, not any one")

    def enterObservationExpressionRepeated(self, _ctx: Any) -> None:
        self._refuse("qualifiers (REPEATS) are not read")

    def enterObservationExpressionWithin(self, _ctx: Any) -> None:
        self._refuse("qualifiers (WITHIN) are not read")

    def enterObservationExpressionStartStop(self, _ctx: Any) -> None:
        self._refuse("qualifiers (START ... STOP) are not read")

    def enterPropTestEqual(self, ctx: Any) -> None:
        if ctx.NOT() is not None or ctx.NEQ() is not None:
            self._refuse("only = comparisons are read, not != or NOT")
            return
        path = ctx.objectPath().getText()
        kind = _PATHS.get(path)
        prefix, _, algorithm = path.partition(":hashes.")
        if kind is None and prefix == "file":
            kind = _hash_type(algorithm)
        if kind is None:
            self._refuse(f"{path} is not an indicator type this service reads")
            return
        try:
            self.found.append((kind, _unquote(ctx.primitiveLiteral().getText())))
        except Unsupported as exc:
            self._refuse(str(exc))

    def _operator(self, name: str) -> None:
        self._refuse(f"only = comparisons are read, not {name}")

    def enterPropTestOrder(self, _ctx: Any) -> None:
        self._operator("<, >, <= or >=")

    def enterPropTestSet(self, _ctx: Any) -> None:
        self._operator("IN")

    def enterPropTestLike(self, _ctx: Any) -> None:
        self._operator("LIKE")

    def enterPropTestRegex(self, _ctx: Any) -> None:
        self._operator("MATCHES")

    def enterPropTestIsSubset(self, _ctx: Any) -> None:
        self._operator("ISSUBSET")

    def enterPropTestIsSuperset(self, _ctx: Any) -> None:
        self._operator("ISSUPERSET")

    def enterPropTestExists(self, _ctx: Any) -> None:
        self._operator("EXISTS")


def pattern_indicators(pattern: str) -> Found:
    """The indicators a STIX 2.1 pattern names, each of them enough to match; else
    `Unsupported` with the reason."""
    try:
        parsed = Pattern(pattern)
    except ParseException as exc:
        raise Unsupported(f"not a valid STIX 2.1 pattern: {exc}") from None
    listener = _Equalities()
    parsed.walk(listener)
    if listener.refused is not None:
        raise Unsupported(listener.refused)
    if not listener.found:
        raise Unsupported("the pattern names no indicator")
    return list(dict.fromkeys(listener.found))


def observable_indicators(sco: dict[str, Any]) -> Found:
    """The indicators of one cyber observable (an SCO, or one of observed-data's `objects`);
    `Unsupported` when it is of another type or carries no value."""
    kind = sco.get("type")
    if kind not in OBSERVABLE_TYPES:
        known = ", ".join(OBSERVABLE_TYPES)
        raise Unsupported(f"observable type {kind!r} is not read (read: {known})")
    if kind == "file":
        hashes = sco.get("hashes")
        found = [
            (indicator, value)
            for name, value in (hashes.items() if isinstance(hashes, dict) else ())
            if (indicator := _hash_type(str(name))) is not None and isinstance(value, str)
        ]
        if not found:
            raise Unsupported("a file is read by its SHA-256, SHA-1 or MD5 hash: it has none")
        return found
    value = sco.get("value")
    if not isinstance(value, str) or not value:
        raise Unsupported(f"{kind} has no value")
    return [(OBSERVABLE_TYPES[kind] or "", value)]
