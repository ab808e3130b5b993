"""Settings: TOML defaults, environment overrides with `__` nesting, and errors that name the
setting at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from awareness.settings import SettingsError, load_settings


def test_defaults_come_from_the_config_files() -> None:
    settings = load_settings()
    assert settings.scoring.half_life_hours == 24
    assert "energy" in settings.sectors.sectors
    assert settings.ingest.max_future_seconds == 300
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.effective_database_url.endswith("/awareness.db")


def test_environment_overrides_nested_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWARENESS_SCORING__HALF_LIFE_HOURS", "6")
    monkeypatch.setenv("AWARENESS_LIMITS__MAX_BATCH_ITEMS", "50")
    monkeypatch.setenv("AWARENESS_DATABASE_URL", "postgresql://u@db.example/awareness")
    settings = load_settings()
    assert settings.scoring.half_life_hours == 6
    assert settings.limits.max_batch_items == 50
    assert settings.effective_database_url == "postgresql+asyncpg://u@db.example/awareness"


def test_invalid_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWARENESS_SCORING__HALF_LIFE_HOURS", "-1")
    with pytest.raises(SettingsError, match="AWARENESS_SCORING__HALF_LIFE_HOURS"):
        load_settings()


def test_unknown_database_driver_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWARENESS_DATABASE_URL", "mysql://root@localhost/db")
    with pytest.raises(SettingsError, match="AWARENESS_DATABASE_URL"):
        load_settings()


def test_typo_in_a_config_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "defaults.toml").write_text("[limits]\nmax_body_byte = 10\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(config_dir=tmp_path)
    assert "limits.max_body_byte" in str(caught.value)
    assert "defaults.toml" in str(caught.value)


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "scoring.toml").write_text("half_life_hours = = 3\n")
    with pytest.raises(SettingsError, match=r"scoring\.toml"):
        load_settings(config_dir=tmp_path)


def test_missing_config_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWARENESS_CONFIG_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(SettingsError, match="AWARENESS_CONFIG_DIR"):
        load_settings()
