"""Burst benchmark: does correlation keep pace with ingest? A real server on a fresh PostgreSQL
database takes N incident reports through `POST /v1/incidents/batch` (100 per batch, from 40
operators in four sectors, 3 indicators each, 1% of them drawn from a few hundred shared
addresses so that campaigns form), then the correlator's lag (`/metrics`) is watched until it is
0. Then single reports are sent for a few seconds, 16 at a time, for the single-report rate of
the same server.

    .venv/bin/python bench/correlator/burst.py [--reports 5000] [--source DIR ...]

Each `--source` is a checkout whose `src/` the server runs (default: this one), measured in
turn on the same machine, so their figures can be compared side by side."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import ROOT, BenchError, cli, free_port, log, stop_process, tail

OPERATORS = 40
SECTORS = ("energy", "water", "healthcare", "communications")
TOKEN = "bench-metrics"
LAG = re.compile(r"^awareness_correlator_lag_reports (\S+)$", re.M)


def _incident(rnd: random.Random, now: str) -> dict[str, object]:
    def indicator() -> dict[str, str]:
        if rnd.random() < 0.01:
            return {"type": "ipv4", "value": f"185.220.{rnd.randrange(4)}.{rnd.randrange(50)}"}
        return {"type": "domain", "value": f"h{rnd.randrange(10**9)}.bench-burst.net"}

    return {"detected_at": now, "category": "malware",
            "functional_impact": "minimal_non_critical",
            "indicators": [indicator() for _ in range(3)]}  # fmt: skip


def _serve(env: dict[str, str], port: int, server_log: Path) -> subprocess.Popen[bytes]:
    with server_log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "awareness.cli", "serve", "--port", str(port)],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip


async def _fresh_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _lag(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
    found = LAG.search(text)
    return float(found.group(1)) if found else float("nan")


async def measure(source: Path, *, reports: int, admin_dsn: str, url: str) -> dict[str, float]:
    await _fresh_database(admin_dsn, "awareness_bench_burst")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWARENESS_")} | {
        "PYTHONPATH": str(source / "src"),
        "AWARENESS_DATABASE_URL": url,
        "AWARENESS_LOG__LEVEL": "WARNING",
        "AWARENESS_LOG__ACCESS": "false",
        "AWARENESS_LIMITS__REQUESTS_PER_SECOND": "0",
        "AWARENESS_METRICS__TOKEN": TOKEN,
    }
    cli(env, "migrate")
    keys = []
    for n in range(OPERATORS):
        cli(env, "orgs", "create", f"op{n}", "--name", f"Op {n}", "--sector", SECTORS[n % 4])
        keys.append(cli(env, "keys", "create", "--role", "operator", "--org", f"op{n}"))
    port = free_port()
    server_log = Path(f"/tmp/bench-burst-{port}.log")
    server = _serve(env, port, server_log)
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            for _ in range(300):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise BenchError(f"server not ready: {tail(server_log)}")
            rnd = random.Random(20261130)
            now = datetime.now(UTC).isoformat()
            batches = [
                {"incidents": [_incident(rnd, now) for _ in range(100)]}
                for _ in range(reports // 100)
            ]
            started = time.monotonic()
            for n, body in enumerate(batches):
                answer = await client.post(
                    "/v1/incidents/batch", json=body,
                    headers={"Authorization": f"Bearer {keys[n % OPERATORS]}"},
                )  # fmt: skip
                if answer.status_code != 201:
                    raise BenchError(f"batch refused: {answer.status_code} {answer.text[:200]}")
            acknowledged = time.monotonic()
            while await _lag(client) != 0:
                await asyncio.sleep(0.02)
            caught_up = time.monotonic()
            singles = await _singles(client, keys, rnd, now, seconds=5.0)
    finally:
        stop_process(server)
    return {
        "batch_ingest_per_s": reports / (acknowledged - started),
        "correlated_per_s": reports / (caught_up - started),
        "behind_after_ack_s": caught_up - acknowledged,
        "single_ingest_per_s": singles,
    }


async def _singles(
    client: httpx.AsyncClient, keys: list[str], rnd: random.Random, now: str, *, seconds: float
) -> float:
    """Single reports, 16 in flight, for `seconds`: the rate acknowledged."""
    done = 0
    deadline = time.monotonic() + seconds

    async def sender(n: int) -> None:
        nonlocal done
        headers = {"Authorization": f"Bearer {keys[n % OPERATORS]}"}
        while time.monotonic() < deadline:
            answer = await client.post("/v1/incidents", json=_incident(rnd, now), headers=headers)
            if answer.status_code == 201:
                done += 1

    started = time.monotonic()
    await asyncio.gather(*(sender(n) for n in range(16)))
    return done / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--source", type=Path, action="append")
    parser.add_argument("--postgres", default="postgres@127.0.0.1:5432")
    args = parser.parse_args()
    admin = f"postgresql://{args.postgres}/postgres"
    url = f"postgresql+asyncpg://{args.postgres}/awareness_bench_burst"
    for source in args.source or [ROOT]:
        log(f"burst of {args.reports} reports, server from {source}")
        figures = asyncio.run(measure(source, reports=args.reports, admin_dsn=admin, url=url))
        ratio = figures["correlated_per_s"] / figures["batch_ingest_per_s"]
        single = figures["correlated_per_s"] / figures["single_ingest_per_s"]
        log(
            f"{source}: batch ingest {figures['batch_ingest_per_s']:.0f} reports/s, correlated "
            f"{figures['correlated_per_s']:.0f} reports/s ({ratio:.2f}x batch ingest, "
            f"{single:.2f}x single ingest of {figures['single_ingest_per_s']:.0f}/s), lag 0 "
            f"{figures['behind_after_ack_s']:.1f} s after the last acknowledgement"
        )


if __name__ == "__main__":
    main()
