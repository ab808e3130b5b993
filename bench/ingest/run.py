"""Ingest benchmark: awareness's durable incident ingest against a bare FastAPI + asyncpg
baseline (bench/ingest/bare_app.py) that stores the same payload, driven side by side by wrk
with the same script and flags, on PostgreSQL with durable commits.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The drivers' shared pieces live beside them in bench/; this driver's own, beside it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from checks import hand_check
from database import Postgres, durability
from launch import create_databases, has_correlator, start_servers
from load import WRK_INSTALL
from report import RESULTS, report
from runs import run_scenario
from state import Bench

from harness import BenchError, log


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    default_cli = Path(sys.executable).with_name("awareness")
    parser = argparse.ArgumentParser(
        prog="bench/ingest/run.py",
        description=__doc__.split("\n\n")[0],
        epilog="Needs wrk (" + WRK_INSTALL + ") and a PostgreSQL you may create databases on.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument(
        "--admin-db", default="test", help="database to connect to for CREATE DATABASE"
    )
    parser.add_argument(
        "--scenarios",
        default="single,batch",
        type=lambda s: [x for x in s.split(",") if x],
        help="single,batch",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="measured runs per server and scenario"
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument(
        "--warmup", type=int, default=5, help="seconds of warm-up per server and scenario"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--connections", type=int, default=32, help="wrk connections, single reports"
    )
    parser.add_argument("--batch-connections", type=int, default=8, help="wrk connections, batches")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument(
        "--single-bodies", type=int, default=256, help="distinct single bodies cycled"
    )
    parser.add_argument("--batch-bodies", type=int, default=8, help="distinct batch bodies cycled")
    parser.add_argument("--wrk-timeout", type=int, default=10, help="wrk per-request timeout, s")
    parser.add_argument("--awareness", default=str(default_cli), help="the awareness command")
    parser.add_argument(
        "--awareness-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra setting for the awareness server (repeatable), e.g. "
        "AWARENESS_LOG__ACCESS=false",
    )
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="py-spy binary: after the measured rounds of each scenario, profile one "
        "extra run of each server (not counted in the medians)",
    )
    parser.add_argument(
        "--allow-non-durable",
        action="store_true",
        help="run even if fsync or synchronous_commit is off (results are then not comparable)",
    )
    parser.add_argument(
        "--correlator",
        choices=("off", "on"),
        default="off",
        help="awareness's in-process correlator. off (default): the benchmark measures ingest "
        "alone; on: it also consumes the reports during and after each run (the driver waits "
        "for it to catch up before the next run, see --settle-timeout)",
    )
    parser.add_argument(
        "--settle-timeout",
        type=float,
        default=600,
        help="after each run, wait at most this long (s) for both servers and PostgreSQL to go "
        "idle (awareness's correlator catching up) before the next run",
    )
    parser.add_argument("--keep", action="store_true", help="keep databases and server logs")
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - {"single", "batch"}
    if unknown:
        parser.error(f"unknown scenarios: {sorted(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(f"wrk is not installed; {WRK_INSTALL}", file=sys.stderr)
        return 2
    if not Path(args.awareness).exists() and shutil.which(args.awareness) is None:
        print(f"awareness command not found at {args.awareness}; pass --awareness", file=sys.stderr)
        return 2
    if args.py_spy and not Path(args.py_spy).exists():
        print(
            f"py-spy not found at {args.py_spy} (pip install py-spy into a venv of your own)",
            file=sys.stderr,
        )
        return 2

    pg = Postgres(args.pg_host, args.pg_port, args.pg_user, args.admin_db)
    settings, durable = durability(pg)
    log(
        f"postgres: fsync={settings['fsync']} synchronous_commit={settings['synchronous_commit']} "
        f"wal_sync_method={settings['wal_sync_method']} ({'durable' if durable else 'NOT durable'})"
    )
    if not durable and not args.allow_non_durable:
        print(
            "PostgreSQL commits are not durable (fsync/synchronous_commit off); refusing. "
            "Use --allow-non-durable to run anyway.",
            file=sys.stderr,
        )
        return 2

    # SIGTERM/SIGHUP clean up like Ctrl-C does.
    def interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)

    if has_correlator():
        log(f"awareness correlator: {args.correlator}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    bench = Bench(args=args, pg=pg, workdir=workdir, stamp=stamp)
    started = time.monotonic()
    failed = True
    try:
        create_databases(bench)
        start_servers(bench)
        hand_check(bench)
        for scenario in args.scenarios:
            run_scenario(bench, scenario)
        result = report(bench, settings, started)
        failed = not all(v["ok"] for v in result["verification"].values())
        if failed:
            print("VERIFICATION FAILED: see 'verification' and the runs' 'checks' in the JSON")
        return 1 if failed else 0
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        return 130
    except BenchError as exc:
        log(f"error: {exc}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip clean-up
        for server in bench.servers.values():
            try:
                server.stop()
            except Exception as exc:
                log(f"stopping {server.name}: {exc}")
        if args.keep:
            log(f"kept databases {bench.databases} and logs in {workdir}")
        else:
            for db in bench.databases:
                try:
                    pg.query(args.admin_db, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                except Exception as exc:
                    log(f"dropping {db}: {exc}")
            shutil.rmtree(workdir, ignore_errors=True)
            log("servers stopped, databases dropped")
        signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main())
