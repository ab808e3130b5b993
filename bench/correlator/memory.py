"""Memory benchmark: does the serving process grow with the history behind it? Per size, a
database seeded as `run.py` seeds it, a real server (`create_app`, uvicorn, correlator and every
consumer in process) on it, and N new reports ingested beside it; the server correlates them
and its resident memory (VmRSS, and the peak VmHWM) is read from /proc once the lag is 0.

    .venv/bin/python bench/correlator/memory.py [--sizes 10000,1000000] [--reports 6000]

The server's clock stands at the first new report's time, so time-driven evaluations happen as
the reports arrive, as in `run.py`, instead of replaying the days between the seeded history
and today."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from databases import Postgres, prepare
from draws import new_reports
from measure import Target, ingest
from run import world_for
from world import HISTORY_END

from awareness.db.engine import Database
from awareness.settings import load_settings
from harness import ROOT, BenchError, free_port, git_state, log, stop_process, tail

TOKEN = "bench-memory"
LAG = re.compile(r"^awareness_correlator_lag_reports (\S+)$", re.M)
START = HISTORY_END + timedelta(minutes=1)


def serve(url: str, port: int) -> None:
    """The child: the service as `awareness serve` runs it, with its clock held at START."""
    from awareness.api.app import create_app
    from awareness.api.server import serve as run_server
    from awareness.clock import ManualClock

    settings = load_settings(database_url=url)
    run_server(create_app(settings, clock=ManualClock(START)), settings,
               host="127.0.0.1", port=port)  # fmt: skip


def spawn(url: str, port: int, env: dict[str, str], server_log: Path) -> subprocess.Popen[bytes]:
    with server_log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, __file__, "--serve", url, "--port", str(port)],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip


def memory_kib(pid: int) -> dict[str, int]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}


async def lag(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
    found = LAG.search(text)
    return float(found.group(1)) if found else float("nan")


async def measure(target: Target, world: Any, args: argparse.Namespace) -> dict[str, Any]:
    assert target.seeded is not None
    port = free_port()
    server_log = Path(f"/tmp/bench-memory-{target.size}-{port}.log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWARENESS_")} | {
        "PYTHONPATH": str(ROOT / "src"),
        "AWARENESS_LOG__LEVEL": "WARNING",
        "AWARENESS_LOG__ACCESS": "false",
        "AWARENESS_METRICS__TOKEN": TOKEN,
    }
    server = spawn(target.url, port, env, server_log)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(600):
                if server.poll() is not None:
                    raise BenchError(f"server exited: {tail(server_log)}")
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise BenchError(f"server not ready: {tail(server_log)}")
            await asyncio.sleep(2)
            ready = memory_kib(server.pid)
            items = new_reports(
                world, round_no=1, count=args.reports, start=START, interval=args.interval,
                history_fresh=target.seeded.fresh_values, seed=args.seed,
            )  # fmt: skip
            database = Database(target.url, options=target.settings.database)
            started = time.monotonic()
            try:
                for first in range(0, len(items), 500):
                    await ingest(database, world, items[first : first + 500],
                                 f"bench-memory-{first}", target.settings)  # fmt: skip
                    log(f"size {target.size:,}: {first + 500:,} of {len(items):,} ingested, "
                        f"lag {await lag(client):.0f}, RSS "
                        f"{memory_kib(server.pid)['VmRSS'] / 1024:.0f} MiB")  # fmt: skip
            finally:
                await database.dispose()
            while (behind := await lag(client)) != 0:
                if time.monotonic() - started > args.timeout:
                    raise BenchError(f"lag still {behind} after {args.timeout} s")
                await asyncio.sleep(0.5)
            caught_up = memory_kib(server.pid)
    finally:
        stop_process(server)
    return {
        "size": target.size,
        "reports": args.reports,
        "seconds_to_lag_0": round(time.monotonic() - started, 1),
        "ready_kib": ready,
        "caught_up_kib": caught_up,
    }


async def run(args: argparse.Namespace, pg: Postgres, targets: list[Target]) -> list[dict]:
    world = world_for(args, targets)
    results = []
    for target in targets:
        log(f"size {target.size:,}: creating {target.db}, migrating, seeding...")
        await prepare(pg, target, world, args)
        results.append(await measure(target, world, args))
        await pg.admin(f'DROP DATABASE IF EXISTS "{target.db}" WITH (FORCE)')
    return results


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--admin-db", default="test")
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--reports", type=int, default=6000, help="new reports per size")
    parser.add_argument("--orgs", type=int, default=400)
    parser.add_argument("--assets-per-org", type=int, default=5)
    parser.add_argument("--history-days", type=float, default=56)
    parser.add_argument("--recent-reports", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600, help="s to wait for lag 0")
    args = parser.parse_args()
    args.interval = None  # the pace of the seeded recent history, as run.py's default
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user, args.admin_db)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    targets = []
    for size in sorted(int(s) for s in args.sizes.split(",")):
        db = f"bench_memory_{size}_{stamp.lower()}_{os.getpid()}"
        targets.append(Target(size, db, pg.url(db), load_settings(database_url=pg.url(db))))
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    try:
        results = asyncio.run(run(args, pg, targets))
    except BenchError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    finally:
        for target in targets:
            asyncio.run(pg.admin(f'DROP DATABASE IF EXISTS "{target.db}" WITH (FORCE)'))
    smallest = results[0]
    print(f"\n{'stored reports':>15} {'RSS ready':>10} {'RSS lag 0':>10} {'peak':>8}  ratio")
    for r in results:
        ratio = r["caught_up_kib"]["VmRSS"] / smallest["caught_up_kib"]["VmRSS"]
        peak = r["caught_up_kib"]["VmHWM"] / smallest["caught_up_kib"]["VmHWM"]
        r["rss_ratio"], r["peak_ratio"] = round(ratio, 3), round(peak, 3)
        print(f"{r['size']:>15,} {r['ready_kib']['VmRSS'] / 1024:>7.0f} MiB "
              f"{r['caught_up_kib']['VmRSS'] / 1024:>6.0f} MiB "
              f"{r['caught_up_kib']['VmHWM'] / 1024:>4.0f} MiB  "
              f"{ratio:.3f} (peak {peak:.3f})")  # fmt: skip
    out = ROOT / "bench" / "results" / f"memory-{stamp}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "git": git_state(), "results": results},
                              indent=2, default=str))  # fmt: skip
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
