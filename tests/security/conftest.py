from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database, for what does not depend on the database."""
    path = tmp_path / "awareness.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"
