"""The configuration reference, generated from the settings model and the comments of
`config/defaults.toml`, so the README's table cannot drift from what the service reads."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from awareness.paths import resource_dir
from awareness.settings import ENV_PREFIX, Settings

_KEY = re.compile(r"^([a-z_]+)\s*=")
_SECTION = re.compile(r"^\[([a-z_]+)\]")


def _comments(path: Path) -> dict[tuple[str, str], str]:
    """(section, key) -> the comment lines just above the key; keys written right under
    another without a comment of their own share its comment."""
    found: dict[tuple[str, str], str] = {}
    section, pending, shared = "", list[str](), ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if match := _SECTION.match(stripped):
            section, pending, shared = match.group(1), [], ""
        elif stripped.startswith("#"):
            pending.append(stripped.lstrip("# "))
        elif match := _KEY.match(stripped):
            shared = " ".join(pending) if pending else shared
            found[(section, match.group(1))] = shared
            pending = []
        else:
            pending, shared = [], ""
    return found


def markdown() -> str:
    defaults = Settings()
    comments = _comments(resource_dir("config") / "defaults.toml")
    rows = [
        "| environment variable | default | meaning |",
        "| --- | --- | --- |",
        f"| `{ENV_PREFIX}DATABASE_URL` | `awareness.db` in the working directory | "
        "`sqlite+aiosqlite:///PATH` or `postgresql+asyncpg://USER:PASSWORD@HOST/DB` |",
        f"| `{ENV_PREFIX}CONFIG_DIR` | the `config/` folder shipped with the package | "
        "a folder with `defaults.toml`, `scoring.toml`, `regimes.toml` (the reporting regimes: "
        "[Reporting clocks](#reporting-clocks)), `vendors.toml` and `profiles/` |",
        f"| `{ENV_PREFIX}PROFILE` | `us-ppd21` | the sector profile, `profiles/NAME.toml`: "
        "`us-ppd21` or `cn-cii` ([Sector profiles](#sector-profiles)); also `--profile` |",
    ]
    for section, field in Settings.model_fields.items():
        value = getattr(defaults, section)
        skipped = ("database_url", "scoring", "sectors", "regimes", "vendors")
        if section in skipped or not isinstance(value, BaseModel):
            continue
        for name in type(value).model_fields:
            default = getattr(value, name)
            shown = str(default).lower() if isinstance(default, bool) else default
            if isinstance(default, tuple) and len(default) > 5:
                shown = f"{len(default)} entries in config/defaults.toml"
            meaning = comments.get((section, name), "").replace("|", "\\|")
            env = f"{ENV_PREFIX}{section.upper()}__{name.upper()}"
            rows.append(f"| `{env}` | `{shown}` | {meaning} |")
        del field
    rows.append(
        f"| `{ENV_PREFIX}SCORING__...` | `config/scoring.toml` | every number of the scoring "
        "model (docs/scoring.md), e.g. `AWARENESS_SCORING__HALF_LIFE_HOURS=6` |"
    )
    return "\n".join(rows) + "\n"
