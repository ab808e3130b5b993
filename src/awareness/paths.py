"""Where the project's own files live: the source tree when run from a checkout, else the wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parents[1]


def resource_dir(name: str) -> Path:
    """`config`, `migrations` or `dashboard`: the checkout's copy wins so edits apply at once."""
    # A checkout is recognised by its pyproject.toml, so an installed package never picks up
    # an unrelated folder that happens to sit two levels above site-packages.
    in_checkout = (_CHECKOUT / "pyproject.toml").is_file()
    for candidate in (_CHECKOUT / name if in_checkout else None, _PACKAGE / "_bundled" / name):
        if candidate is not None and candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name!r} directory is missing from this installation")
