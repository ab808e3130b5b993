"""Delivery benchmark: commit-to-receiver latency of webhook deliveries. One awareness server on
PostgreSQL delivers to N webhook subscriptions (default 100) while warning events are committed
to its log at a steady rate (default 1,000 events, 5 per second: 500 deliveries a second), the
way the correlator commits them (a warning row and its event, then a notification). A separate
receiver process verifies every signature with `standardwebhooks` and records when each event
first reached each subscription. Reported: latency p50/p99/max from commit to receipt,
deliveries lost (never received) and repeated (received more than once), and the server's CPU.

Run: python bench/delivery/run.py [--subscriptions 100] [--events 1000] [--rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import (
    ROOT,
    BenchError,
    Postgres,
    cli,
    free_port,
    git_state,
    log,
    stop_process,
    tail,
    versions,
)

RECEIVER = Path(__file__).resolve().parent / "receiver.py"
SECRETS_KEY = "p3bOyUgs8i9xD1lqvF0Zk4n7bHdtUQ5Dk3iJXoWb7cE="
EVENTS_CHANNEL = "awareness_events"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--admin-db", default="test")
    parser.add_argument("--subscriptions", type=int, default=100)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=5.0, help="events committed per second")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait at the end")
    parser.add_argument("--keep", action="store_true", help="keep the database and logs")
    return parser.parse_args(argv)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def commit_warning(engine: Any, notify: Any, number: int) -> tuple[str, float]:
    """A warning row and its event in one transaction, as the correlator commits them; the
    commit's wall time, taken before the notification."""
    from awareness.correlator.emit import emit_warning
    from awareness.eventlog.writer import EventWriter

    now = datetime.now(UTC)
    async with engine.begin() as conn:
        seq = await emit_warning(
            conn, EventWriter(conn), kind="sector_level", sector="energy", sectors=["energy"],
            level="orange", title=f"energy raised to orange (benchmark event {number})",
            evidence={"benchmark": number}, at=now,
        )  # fmt: skip
    committed = time.time()
    await notify.execute("SELECT pg_notify($1, $2)", EVENTS_CHANNEL, str(seq))
    return f"evt_{seq}", committed


async def run(args: argparse.Namespace, work: Path, pg: Postgres) -> dict[str, Any]:
    import asyncpg
    from sqlalchemy.ext.asyncio import create_async_engine

    from awareness.signals.local import EVENTS

    if EVENTS != EVENTS_CHANNEL:
        raise BenchError(f"awareness now notifies events on {EVENTS!r}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    database = f"bench_delivery_{stamp.lower()}_{os.getpid()}"
    admin = await asyncpg.connect(pg.dsn(pg.admin_db))
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWARENESS_")} | {
        "AWARENESS_DATABASE_URL": pg.url(database),
        "AWARENESS_LIMITS__REQUESTS_PER_SECOND": "0",
        "AWARENESS_LOG__ACCESS": "false",
        "AWARENESS_LOG__LEVEL": "WARNING",
        "AWARENESS_DELIVERY__ALLOW_PRIVATE_TARGETS": "true",
        "AWARENESS_DELIVERY__SECRETS_KEY": SECRETS_KEY,
    }
    processes: list[subprocess.Popen[bytes]] = []
    engine = None
    try:
        cli(env, "migrate")
        key = cli(env, "keys", "create", "--role", "admin")
        headers = {"Authorization": f"Bearer {key}"}
        receiver_port, server_port = free_port(), free_port()
        server_log_path = work / "server.log"
        processes.append(
            _spawn([str(RECEIVER), "--port", str(receiver_port)], work / "receiver.log")
        )
        server = _spawn(
            ["-m", "awareness.cli", "serve", "--port", str(server_port)], server_log_path, env
        )
        processes.append(server)
        base = f"http://127.0.0.1:{server_port}"
        receiver = f"http://127.0.0.1:{receiver_port}"
        async with httpx.AsyncClient(timeout=30) as http:
            await _ready(http, f"{base}/readyz", server_log_path)
            await _ready(http, f"{receiver}/receipts", work / "receiver.log")
            secrets = {}
            for i in range(args.subscriptions):
                created = await http.post(
                    f"{base}/v1/subscriptions", headers=headers,
                    json={"name": f"bench {i}", "channel": "webhook",
                          "target": f"{receiver}/s/{i}"},
                )  # fmt: skip
                if created.status_code != 201:
                    raise BenchError(f"subscription refused: {created.text}")
                secrets[f"/s/{i}"] = created.json()["secret"]
            await http.post(f"{receiver}/secrets", json=secrets)
            log(f"{args.subscriptions} subscriptions; committing {args.events} events at "
                f"{args.rate:g}/s")  # fmt: skip

            engine = create_async_engine(pg.url(database), pool_size=2, max_overflow=0)
            notify = await asyncpg.connect(pg.dsn(database))
            committed: dict[str, float] = {}
            cpu_before = _cpu(server.pid)
            started = time.monotonic()
            for n in range(args.events):
                due = started + n / args.rate
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                message_id, at = await commit_warning(engine, notify, n)
                committed[message_id] = at
                if (n + 1) % max(1, args.events // 10) == 0:
                    log(f"  {n + 1} events committed")
            await notify.close()
            expected = args.events * args.subscriptions
            deadline = time.monotonic() + args.timeout
            while True:
                answer = (await http.get(f"{receiver}/receipts")).json()
                got = sum(len(ids) for ids in answer["receipts"].values())
                if got >= expected or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            elapsed = time.monotonic() - started
            cpu = _cpu(server.pid) - cpu_before
    finally:
        if engine is not None:
            await engine.dispose()
        for process in reversed(processes):
            stop_process(process)
        if not args.keep:
            admin = await asyncpg.connect(pg.dsn(pg.admin_db))
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin.close()

    latencies: list[float] = []
    repeated = 0
    for ids in answer["receipts"].values():
        for message_id, (arrived, copies) in ids.items():
            if message_id in committed:
                latencies.append(arrived - committed[message_id])
                repeated += copies - 1
    lost = expected - len(latencies)
    return {
        "stamp": stamp,
        "subscriptions": args.subscriptions,
        "events": args.events,
        "rate_per_second": args.rate,
        "deliveries_expected": expected,
        "deliveries_received": len(latencies),
        "lost": lost,
        "repeated": repeated,
        "bad_signatures": answer["bad_signatures"],
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1) if latencies else None,
            "p99": round(percentile(latencies, 0.99) * 1000, 1) if latencies else None,
            "max": round(max(latencies) * 1000, 1) if latencies else None,
            "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        },
        "server_cpu_seconds": round(cpu, 2),
        "server_cpu_ms_per_delivery": round(cpu * 1000 / max(1, len(latencies)), 3),
        "elapsed_seconds": round(elapsed, 1),
        "target": "p99 < 1000 ms, none lost",
        "versions": versions("httpx", "sqlalchemy", "asyncpg", "uvicorn"),
        "git": git_state(),
    }


def _spawn(
    args: list[str], log_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A Python child writing to its own log (started before anything is measured)."""
    out = log_path.open("wb")
    return subprocess.Popen([sys.executable, *args], env=env, cwd=ROOT, stdout=out, stderr=out)


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _ready(http: httpx.AsyncClient, url: str, log_path: Path) -> None:
    for _ in range(300):
        try:
            if (await http.get(url)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise BenchError(f"{url} never answered:\n{tail(log_path)}")


def main() -> int:
    args = parse()
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user, args.admin_db)
    work = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    try:
        result = asyncio.run(run(args, work, pg))
    except BenchError as exc:
        log(f"error: {exc}")
        return 2
    out = ROOT / "bench" / "results" / f"delivery-{result['stamp']}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    lat = result["latency_ms"]
    met = lat["p99"] is not None and lat["p99"] < 1000 and result["lost"] == 0
    log(
        f"{result['deliveries_received']}/{result['deliveries_expected']} delivered, "
        f"lost {result['lost']}, repeated {result['repeated']}, bad signatures "
        f"{result['bad_signatures']}; commit-to-receiver p50 {lat['p50']} ms, p99 {lat['p99']} "
        f"ms, max {lat['max']} ms; server CPU {result['server_cpu_ms_per_delivery']} ms per "
        f"delivery; target p99 < 1 s and none lost: {'MET' if met else 'NOT MET'}"
    )
    log(f"results: {out.relative_to(ROOT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
