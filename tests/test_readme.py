"""The README's configuration table is the one the settings generate."""

from __future__ import annotations

from pathlib import Path

from awareness.reference import markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_configuration_reference_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- settings:start -->\n", 1)[1].split("<!-- settings:end -->", 1)[0]
    assert block == markdown(), "run: .venv/bin/python tools/update_readme.py"


def test_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    setup = text.split("## Set-up", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in setup.splitlines() if line.strip()]
    assert [c.split()[0:2] for c in commands] == [["make", "run"], ["make", "test"]]
