"""Feed benchmark: awareness's WebSocket push (`/v1/feed`) against a bare `websockets` server
(bench/feed/bare_server.py) that broadcasts a frame of the same size to the same clients."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The drivers' shared pieces live beside them in bench/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from campaign import campaigns
from clients import Clients, raise_open_files, uvloop_factory
from emitters import AwarenessEmitter, BareEmitter
from push import Bench, describe
from report import report
from services import Resources, Server, awareness_env, log_problems, pg_admin, probe_deflate

from harness import BenchError, cli, free_port, log

BARE_SERVER = Path(__file__).resolve().parent / "bare_server.py"
MEASURED_SECTORS = ("energy", "water")  # the measured events' sectors; the clients' scope


async def main_async(args: argparse.Namespace, res: Resources) -> int:
    scenarios = set(args.scenarios.split(","))
    unknown = scenarios - {"push", "stall", "campaign"}
    if unknown:
        raise BenchError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    # Before anything starts: the servers inherit it (one descriptor per client, and more).
    open_files = raise_open_files(args.clients + 4096)
    if open_files < args.clients + 256:
        raise BenchError(f"open-file limit {open_files} is too low for {args.clients} clients")
    res.workdir = Path(tempfile.mkdtemp(prefix="bench-feed-"))

    database = f"bench_feed_{stamp.lower()}_{os.getpid()}"
    await pg_admin(args, f'CREATE DATABASE "{database}"')
    res.database = database
    host = f"{args.pg_user}@{args.pg_host}:{args.pg_port}"
    sqlalchemy_url = f"postgresql+asyncpg://{host}/{database}"
    env = awareness_env(sqlalchemy_url, args.awareness_env)

    awareness = Server("awareness", free_port(), res.workdir / "awareness.log", "/readyz")
    bare = Server("bare", free_port(), res.workdir / "bare.log", "/healthz")
    res.servers += [awareness, bare]
    awareness.start(
        [sys.executable, "-m", "awareness.cli", "serve", "--port", str(awareness.port)], env
    )
    bare.start([sys.executable, str(BARE_SERVER), "--port", str(bare.port)], dict(os.environ))
    log(f"starting awareness (database {database}, migrated by `awareness serve`) and bare")
    await asyncio.gather(awareness.wait_ready(), bare.wait_ready())

    loop = asyncio.get_running_loop()
    log("registering 3 organizations and keys with the awareness CLI")
    orgs = [("bench-a", "energy"), ("bench-b", "water"), ("bench-c", "energy")]
    for org_id, sector in orgs:
        await loop.run_in_executor(
            None,
            lambda o=org_id, s=sector: cli(env, "orgs", "create", o, "--name", o, "--sector", s),
        )
    feed_key = await loop.run_in_executor(
        None,
        lambda: cli(
            env,
            "keys",
            "create",
            "--role",
            "supervisor",
            "--name",
            "bench-feed",
            *(x for sector in MEASURED_SECTORS for x in ("--sector", sector)),
        ),
    )
    all_key = await loop.run_in_executor(
        None, lambda: cli(env, "keys", "create", "--role", "supervisor", "--name", "bench-all")
    )
    operator_keys = [
        await loop.run_in_executor(
            None, lambda o=org_id: cli(env, "keys", "create", "--role", "operator", "--org", o)
        )
        for org_id, _ in orgs
    ]
    auth = {"Authorization": f"Bearer {feed_key}"}
    deflate = {
        "awareness": await probe_deflate(awareness.feed_url, auth),
        "bare": await probe_deflate(bare.feed_url, auth),
    }
    if deflate["awareness"]:
        log(
            "note: awareness negotiates permessage-deflate when a client offers it "
            f"({deflate['awareness']}); the benchmark's clients do not offer it"
        )

    log(f"starting {args.client_procs} client processes (open-file limit {open_files})")
    res.clients = Clients(args.client_procs, args.clients + 4096)

    emitters: dict[str, Any] = {
        "awareness": AwarenessEmitter(sqlalchemy_url, f"postgresql://{host}/{database}"),
        "bare": BareEmitter(f"ws://127.0.0.1:{bare.port}/control"),
    }
    emitters["awareness+stalled"] = emitters["awareness"]
    for emitter in (emitters["awareness"], emitters["bare"]):
        await emitter.open()
    bench = Bench(args, res.clients, awareness, bare, feed_key, all_key, emitters, scenarios)

    runs: list[dict[str, Any]] = []
    try:
        labels = ["bare"] if "push" in scenarios else []
        if scenarios & {"push", "stall"}:
            labels.append("awareness")
        if "stall" in scenarios:
            labels.append("awareness+stalled")
        for round_no in range(1, args.rounds + 1 if labels else 1):
            # Alternate the order, so neither server always runs first (or right after the
            # other's clients disconnected).
            order = labels if round_no % 2 else list(reversed(labels))
            for label in order:
                log(
                    f"round {round_no}/{args.rounds}: {label}: {args.clients} clients, "
                    f"{args.warmup_events} warm-up + {args.events} events"
                )
                run = await bench.run(label, round_no)
                runs.append(run)
                log("  " + describe(run))
                if run["frames_missing"]:
                    log(
                        f"  WARNING: {run['frames_missing']} frames missing "
                        f"({run['clients_closed']} clients closed: {run['close_codes']})"
                    )
        campaign = None
        if "campaign" in scenarios:
            log(
                f"campaign warnings: {args.campaigns} repetitions, "
                f"{args.campaign_clients} other clients connected"
            )
            campaign = await campaigns(args, bench, operator_keys)
    finally:
        for emitter in (emitters["awareness"], emitters["bare"]):
            with contextlib.suppress(Exception):
                await emitter.close()

    problems = log_problems(awareness) + log_problems(bare)
    report(args, stamp, env, deflate, runs, campaign, problems)
    incomplete = any(r["frames_missing"] for r in runs) or bool(campaign and campaign["missing"])
    return 1 if incomplete else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--clients", type=int, default=1000, help="feed clients per run")
    add("--client-procs", type=int, default=2, help="client processes (clients split evenly)")
    add("--events", type=int, default=200, help="measured events per run")
    add("--warmup-events", type=int, default=10, help="events before each measured run")
    add("--interval-min-ms", type=float, default=20.0, help="shortest gap between events")
    add("--interval-max-ms", type=float, default=50.0, help="longest gap between events")
    add("--rounds", type=int, default=3, help="rounds; each runs every server once")
    add("--scenarios", default="push,stall,campaign", help="comma-separated subset")
    add("--stall-rcvbuf", type=int, default=4096, help="stalled client's SO_RCVBUF, bytes")
    add(
        "--stall-fill-mb",
        type=float,
        default=6.0,
        help="MiB of padded events sent before the awareness runs (only the stalled client "
        "follows their sector), to fill the kernel buffers on the stalled path; 0: none",
    )
    add("--campaigns", type=int, default=20, help="campaign warnings to measure")
    add(
        "--campaign-clients",
        type=int,
        default=None,
        help="other feed clients connected during the campaign scenario (default: --clients)",
    )
    add(
        "--campaign-gap",
        type=float,
        default=1.0,
        help="seconds between the second report and the measured third",
    )
    add("--campaign-pause", type=float, default=0.5, help="seconds between repetitions")
    add(
        "--campaign-first-octet",
        type=int,
        default=10,
        help="campaign i uses 185.220.101.(this + i)",
    )
    add("--settle", type=float, default=1.0, help="seconds of quiet after connecting")
    add("--connect-concurrency", type=int, default=50, help="handshakes in flight per process")
    add("--connect-timeout", type=float, default=60.0, help="seconds")
    add(
        "--drain-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the last frame of a run",
    )
    add("--seed", type=int, default=1, help="event schedule seed")
    add(
        "--awareness-env",
        action="append",
        default=[],
        metavar="AWARENESS_KEY=VALUE",
        help="extra awareness setting (repeatable), e.g. AWARENESS_FEED__CLIENT_QUEUE=100",
    )
    add("--pg-host", default="127.0.0.1")
    add("--pg-port", type=int, default=5432)
    add("--pg-user", default="postgres")
    add("--admin-db", default="test", help="database to connect to for CREATE/DROP DATABASE")
    add("--keep", action="store_true", help="keep the database and server logs")
    args = parser.parse_args(argv)
    if args.campaign_clients is None:
        args.campaign_clients = args.clients
    if args.campaign_first_octet + args.campaigns > 255:
        parser.error("--campaign-first-octet + --campaigns must stay below 255")
    if not 0 < args.interval_min_ms <= args.interval_max_ms:
        parser.error("need 0 < --interval-min-ms <= --interval-max-ms")
    return args


def main() -> int:
    args = parse_args()
    res = Resources(args)

    def on_term(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        with asyncio.Runner(loop_factory=uvloop_factory()) as runner:
            return runner.run(main_async(args, res))
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        return 130
    except BenchError as exc:
        log(f"error: {exc}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        res.cleanup()


if __name__ == "__main__":
    sys.exit(main())
