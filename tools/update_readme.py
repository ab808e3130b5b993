"""Writes the configuration reference into README.md between its markers:
`.venv/bin/python tools/update_readme.py` (a test fails while the two differ)."""

from __future__ import annotations

from pathlib import Path

from awareness.reference import markdown

START, END = "<!-- settings:start -->\n", "<!-- settings:end -->"


def updated(text: str) -> str:
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return before + START + markdown() + END + after


if __name__ == "__main__":
    readme = Path(__file__).resolve().parents[1] / "README.md"
    readme.write_text(updated(readme.read_text(encoding="utf-8")), encoding="utf-8")
