"""Sector profiles: us-ppd21 (the default) and cn-cii, chosen by AWARENESS_PROFILE or
--profile; the vocabulary names each sector in both languages; a profile that lacks the sectors
of registered organizations is refused, naming them, and changes nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from awareness.api.app import create_app
from awareness.auth.orgs import ProfileMismatch
from awareness.settings import SettingsError, load_settings
from tests.conftest import add_org, count_rows, make_settings
from tests.servers import free_port, run_cli

CN_CII = [
    "telecom", "energy", "transportation", "water_conservancy", "finance", "public_services",
    "e_government", "defense_industry",
]  # fmt: skip


def test_the_profile_is_chosen_by_its_setting_and_an_unknown_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().profile == "us-ppd21"
    assert len(load_settings().sectors.sectors) == 16
    assert list(load_settings(profile="cn-cii").sectors.sectors) == CN_CII
    monkeypatch.setenv("AWARENESS_PROFILE", "cn-cii")
    assert load_settings().profile == "cn-cii"
    assert list(load_settings().sectors.sectors) == CN_CII
    with pytest.raises(SettingsError, match=r"no profile 'eu-nis2'.*profiles there: cn-cii, us"):
        load_settings(profile="eu-nis2")


async def test_the_vocabulary_names_each_sector_in_both_languages(database_url: str) -> None:
    app = create_app(make_settings(database_url, profile="cn-cii"))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            answer = (await http.get("/v1/vocabulary")).json()
    assert answer["profile"] == "cn-cii"
    assert answer["sectors"] == CN_CII
    assert answer["sector_names"]["water_conservancy"] == {
        "en": "Water conservancy",
        "zh-CN": "水利",
    }
    assert answer["sector_names"]["e_government"]["zh-CN"] == "电子政务"


async def test_a_profile_lacking_registered_sectors_is_refused_and_changes_nothing(
    app: FastAPI, database_url: str
) -> None:
    await add_org(app, "polychem", "chemical")
    await add_org(app, "grid-north", "energy")
    await add_org(app, "county-911", "emergency_services")
    before = await count_rows(app, "organizations")

    other = create_app(make_settings(database_url, profile="cn-cii"))
    with pytest.raises(ProfileMismatch) as refused:
        async with LifespanManager(other):
            pass
    message = str(refused.value)
    assert "'cn-cii' lacks sectors" in message
    assert "chemical (polychem)" in message
    assert "emergency_services (county-911)" in message
    assert "energy" not in message  # a sector both profiles have
    assert await count_rows(app, "organizations") == before

    again = create_app(make_settings(database_url))
    async with LifespanManager(again):
        pass


def test_serve_with_a_profile_lacking_registered_sectors_stops_naming_them(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'awareness.db'}"
    run_cli(url, "migrate")
    run_cli(url, "orgs", "create", "polychem", "--name", "Polychem", "--sector", "chemical")

    refused = run_cli(url, "serve", "--profile", "cn-cii", "--port", str(free_port()), check=False)

    assert refused.returncode == 2
    assert "error: the sector profile 'cn-cii' lacks sectors" in refused.stderr
    assert "chemical (polychem)" in refused.stderr
    assert run_cli(url, "orgs", "list").stdout.startswith("polychem\tchemical")
