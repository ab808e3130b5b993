"""Vendor and product names to comparable keys: case, accents, punctuation, legal suffixes
("AG", "Inc.", "GmbH"), and the alias and family table of `config/vendors.toml`. Pure: the
caller reads the file and passes its parsed content to `load_aliases`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Self

from pydantic import ConfigDict, RootModel, model_validator

# Trailing words that name a company's legal form, not the company.
_LEGAL = frozenset(
    {
        "ag", "inc", "incorporated", "gmbh", "co", "ltd", "ltda", "limited", "llc", "corp",
        "corporation", "se", "sa", "srl", "spa", "kg", "bv", "nv", "plc", "ab", "aktiebolag",
        "oy", "as", "asa", "kk", "pty", "sro", "me",
    }
)  # fmt: skip
# Multi-word legal forms, as tokens: "S.R.L.", "Sp. z o. o.", "S.p.A.".
_LEGAL_PHRASES = (("s", "r", "l"), ("sp", "z", "o", "o"), ("s", "p", "a"), ("s", "a"))
_SUBSIDIARY = re.compile(r",?\s+an?\s+(?:subsidiary|affiliate)\s+of\b.*$", re.IGNORECASE)
_PARENTHESES = re.compile(r"\([^)]*\)")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
# An order number in parentheses: one word of letters and digits with a hyphen
# ("6ES7510-1SK03-0AB0", "J31032-K2017-H259", "BND-2036W000-**").
_ORDER_NUMBER = re.compile(r"\(\s*([0-9A-Za-z*]+(?:-[0-9A-Za-z*]+)+)\s*\)")


@dataclass(frozen=True, slots=True)
class Aliases:
    """`names`: a name's compact key (no spaces) to its canonical key; `families`: a family
    key (as KEV and some advisories name a product line) to the product-name prefixes, as
    token tuples, of its members."""

    names: Mapping[str, str] = field(default_factory=dict)
    families: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)


# Matching compares every asset against thousands of product names: each is read once.
@lru_cache(maxsize=65536)
def plain_key(name: str) -> str:
    """The name without case, accents, parentheses, punctuation or legal form; words joined
    by one space. No alias applied."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _SUBSIDIARY.sub("", text)
    text = _PARENTHESES.sub(" ", text).casefold().replace("&", " and ")
    tokens = _NOT_WORD.sub(" ", text).split()
    return " ".join(_strip_legal(tokens))


def _strip_legal(tokens: list[str]) -> list[str]:
    stripped = True
    while stripped and len(tokens) > 1:
        stripped = False
        for phrase in _LEGAL_PHRASES:
            if len(tokens) > len(phrase) and tuple(tokens[-len(phrase) :]) == phrase:
                tokens = tokens[: -len(phrase)]
                stripped = True
        if len(tokens) > 1 and tokens[-1] in _LEGAL:
            tokens = tokens[:-1]
            stripped = True
    return tokens


@lru_cache(maxsize=65536)
def order_numbers(name: str) -> frozenset[str]:
    """The order numbers written in parentheses in a product name, upper case."""
    return frozenset(
        code.upper()
        for code in _ORDER_NUMBER.findall(name)
        if any(char.isdigit() for char in code) and any(char.isalpha() for char in code)
    )


def compact(key: str) -> str:
    """ "control by web" and "controlbyweb" are the same name."""
    return key.replace(" ", "")


def normalize(name: str, aliases: Aliases) -> str:
    """A vendor or product name to its canonical key (equal keys name the same thing)."""
    key = plain_key(name)
    return aliases.names.get(compact(key), key)


def load_aliases(data: Mapping[str, Any]) -> Aliases:
    """From the parsed `config/vendors.toml`: `[vendors]` and `[products]` map a canonical
    name to its variants, `[families]` a family name to the name prefixes of its members.
    `ValueError` naming the entry on a malformed table or a variant claimed twice."""
    names: dict[str, str] = {}
    for section in ("vendors", "products"):
        for canonical, variants in _table(data, section).items():
            target = plain_key(canonical)
            for variant in (canonical, *_strings(variants, f"{section}.{canonical}")):
                variant_key = compact(plain_key(variant))
                if names.get(variant_key, target) != target:
                    raise ValueError(f"{section}.{canonical}: {variant!r} is already an alias")
                names[variant_key] = target
    families: dict[str, tuple[tuple[str, ...], ...]] = {}
    for family, members in _table(data, "families").items():
        prefixes = _strings(members, f"families.{family}")
        key = compact(normalize(family, Aliases(names)))
        families[key] = tuple(tuple(plain_key(prefix).split()) for prefix in prefixes)
    return Aliases(names=names, families=families)


def _table(data: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    table = data.get(section, {})
    if not isinstance(table, Mapping):
        raise ValueError(f"{section}: expected a table")
    return table


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: expected a list of names")
    return value


def same_vendor(a: str, b: str) -> bool:
    """Two canonical vendor keys (from `normalize`) name the same vendor."""
    return bool(a) and compact(a) == compact(b)


def covers(listed: str, asset: str, aliases: Aliases) -> bool:
    """Does the product an advisory lists (canonical key) cover the asset's product? The same
    name; one name of two words or more that the other starts with ("SIMATIC CP" covers
    "SIMATIC CP 1543-1", and an inventory saying only "MELSOFT MaiLab" is not cleared by the
    edition named after it); or a family of the alias table."""
    if not listed or not asset:
        return False
    a, b = compact(listed), compact(asset)
    if a == b:
        return True
    # Most pairs share no prefix: one comparison rules them out before any word is split.
    if a.startswith(b) or b.startswith(a):
        shorter, longer = sorted((listed, asset), key=len)
        if len(shorter.split()) >= 2 and _starts_with(longer.split(), compact(shorter)):
            return True
    return any(
        _starts_with(asset.split(), "".join(prefix)) for prefix in aliases.families.get(a, ())
    )


def _starts_with(tokens: list[str], prefix: str) -> bool:
    """The words, run together, begin with `prefix` and it ends between two words."""
    joined = ""
    for token in tokens:
        joined += token
        if joined == prefix:
            return True
        if len(joined) >= len(prefix):
            return False
    return False


class VendorsConfig(RootModel[dict[str, Any]]):
    """`config/vendors.toml` in the settings: checked when the settings load, so a malformed
    table stops the service at start-up, not at the first import."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _readable(self) -> Self:
        load_aliases(self.root)
        return self

    @cached_property
    def aliases(self) -> Aliases:
        return load_aliases(self.root)
