"""`awareness demo`: a fresh embedded database, the cast registered with keys for every role,
the server, and the scenario streaming until stopped, with progress on standard output."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

from awareness.api.app import create_app
from awareness.api.components import Components
from awareness.api.server import config as server_config
from awareness.auth import keys, orgs
from awareness.auth.principal import Role
from awareness.db.engine import Database
from awareness.db.migrate import upgrade_to_head
from awareness.demo.cast import CASTS, cast, exploited_product
from awareness.demo.scenario import COMPRESSED_TIME, Scenario, Timing
from awareness.demo.snapshots import import_snapshots
from awareness.settings import Settings

log = logging.getLogger(__name__)
# Who watches the board and who responds, named as each profile's setting would name them.
DESKS = {
    "us-ppd21": ((Role.supervisor, "national CERT desk"), (Role.responder, "on call")),
    "cn-cii": ((Role.supervisor, "国家网络安全监测值班"), (Role.responder, "应急响应值守")),
}
# Sectors the campaigns take in turn, per profile: those with operators enough for a
# sector-wide picture.
TARGETS = {
    "us-ppd21": ("energy", "water", "communications"),
    "cn-cii": ("energy", "water_conservancy", "telecom"),
}


async def _register(database: Database, settings: Settings, *, seed: int) -> dict[str, str]:
    """Organizations and keys, straight into the database as an administrator would."""
    now = datetime.now(UTC)
    found: dict[str, str] = {}
    known = settings.sectors.sectors
    async with database.write() as conn:
        # A demo database of another profile is refused before anything is written to it.
        await orgs.check_profile(conn, profile=settings.profile, sectors=known)
        existing = {org["id"] for org in await orgs.list_orgs(conn)}
        for operator in cast(seed=seed, exploited=exploited_product(), profile=settings.profile):
            if operator.org_id not in existing:
                await orgs.create_org(
                    conn, org_id=operator.org_id, name=operator.name, sector=operator.sector,
                    region=None, known_sectors=known, now=now, actor="demo",
                )  # fmt: skip
            made = await keys.create_key(
                conn, role=Role.operator, org_id=operator.org_id, sectors=None,
                name=f"{operator.name} SOC", known_sectors=known, now=now, actor="demo",
            )  # fmt: skip
            found[operator.org_id] = made.key
        for role, name in DESKS[settings.profile]:
            made = await keys.create_key(
                conn, role=role, org_id=None, sectors=None, name=name, known_sectors=known,
                now=now, actor="demo",
            )  # fmt: skip
            found[role.value] = made.key
    return found


async def _watch(
    http: httpx.AsyncClient, headers: dict[str, str], say: Callable[[str], None]
) -> None:
    """Print what the board shows: campaign and exposure warnings, and level changes in one
    line per evaluation."""
    seen: dict[str, str] = {}
    after = 0
    while True:
        with contextlib.suppress(httpx.HTTPError, KeyError):
            found = (
                await http.get(
                    "/v1/warnings", headers=headers, params={"after": after, "limit": 1000}
                )
            ).json()["items"]
            for warning in found:
                after = max(after, warning["seq"])
                if warning["kind"] != "sector_level":
                    say(f"{warning['kind']} warning ({warning['level']}): {warning['title']}")
            items = (await http.get("/v1/sectors", headers=headers)).json()["items"]
            moves = []
            for item in items:
                previous = seen.get(item["sector"], "none")
                if item["level"] != previous:
                    moves.append(f"{item['sector']} {previous}->{item['level']}")
                seen[item["sector"]] = item["level"]
            if moves:
                say("levels: " + ", ".join(moves))
        await asyncio.sleep(1)


async def run_demo(
    settings: Settings, *, host: str, port: int, speed: float, seed: int, fresh: Path | None
) -> None:
    database = Database(settings.effective_database_url, options=settings.database)
    await upgrade_to_head(database)
    credentials = await _register(database, settings, seed=seed)
    await database.dispose()

    started = time.monotonic()

    def say(line: str) -> None:
        elapsed = int(time.monotonic() - started)
        print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {line}", flush=True)

    url = f"http://{host}:{port}/"
    print(f"awareness demo: open {url}", flush=True)
    print(f"supervisor key: {credentials['supervisor']}", flush=True)
    print(f"responder key: {credentials['responder']}", flush=True)
    org_id, name, sector = CASTS[settings.profile][0]
    print(f"operator key ({name}, {sector}): {credentials[org_id]}", flush=True)
    if fresh is not None:
        print(
            f"(a fresh database in {fresh}; scoring time runs compressed: minutes play like hours)"
        )
    app = create_app(settings)
    server = uvicorn.Server(server_config(app, settings, host=host, port=port))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            await serving
            return
        await asyncio.sleep(0.05)
    # The advisories take a few seconds to read: the board is up meanwhile.
    say("importing the shipped KEV catalogue and ICS advisories in the background")
    feeds = asyncio.create_task(_import_feeds(app.state.components, say))
    operators = cast(seed=seed, exploited=exploited_product(), profile=settings.profile)
    headers = {o.org_id: {"Authorization": f"Bearer {credentials[o.org_id]}"} for o in operators}
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        scenario = Scenario(
            http, operators=operators, keys=headers, exploited=exploited_product(),
            now=lambda: datetime.now(UTC), sleep=asyncio.sleep, say=say,
            timing=Timing().scaled(speed), seed=seed,
        )  # fmt: skip
        watcher = asyncio.create_task(
            _watch(http, {"Authorization": f"Bearer {credentials['supervisor']}"}, say)
        )
        try:
            await scenario.register()
            for sector in itertools.cycle(TARGETS[settings.profile]):
                if serving.done():
                    break
                await scenario.cycle(sector)
        finally:
            watcher.cancel()
            feeds.cancel()
            server.should_exit = True
            await serving


async def _import_feeds(components: Components, say: Callable[[str], None]) -> None:
    started = time.monotonic()
    try:
        reports = await import_snapshots(
            components.database, now=datetime.now(UTC),
            aliases=components.settings.vendors.aliases,
        )  # fmt: skip
    except Exception:
        log.exception("importing the shipped feeds failed")
        return
    took = time.monotonic() - started
    say("; ".join(report.summary() for report in reports) + f" (imported in {took:.1f} s)")


def demo_settings(settings: Settings) -> Settings:
    """The demo's settings: the user's, with scoring time compressed."""
    merged = settings.model_dump()
    for section, values in COMPRESSED_TIME.items():
        for key, value in values.items():
            if isinstance(value, dict):
                merged[section][key] = merged[section][key] | value
            else:
                merged[section][key] = value
    return type(settings).model_validate(merged)
