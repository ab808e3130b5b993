"""The measured runs: warm-up, then bare and awareness alternating round by round, each run timed,
counted and checked on its own, so that the noise of shared cores shows in the per-round figures."""

from __future__ import annotations

import os
import subprocess
import time
import zlib
from typing import Any

from checks import server_side_counts
from database import count_rows, db_stats, wait_quiet
from launch import Server
from load import run_wrk
from machine import children_cpu_seconds, machine_busy, postgres_cpu_seconds, settle
from pyspy import PY_SPY_RATE, summarize_profile
from report import RESULTS
from state import Bench
from workload import write_bodies

from harness import ROOT, log


def one_run(
    bench: Bench, scenario: str, server: Server, *, round_no: int, duration: int, kind: str
) -> dict[str, Any]:
    args = bench.args
    batch_size = args.batch_size if scenario == "batch" else 0
    items = batch_size or 1
    connections = args.batch_connections if scenario == "batch" else args.connections
    body_file = bench.workdir / f"{scenario}.jsonl"
    # Fresh bodies for every run: detected_at is always about a minute before the run.
    write_bodies(
        body_file,
        batch_size=batch_size,
        count=args.batch_bodies if batch_size else args.single_bodies,
        seed=zlib.crc32(f"{scenario}/{round_no}/{kind}".encode()),
    )
    path = "/v1/incidents/batch" if batch_size else "/v1/incidents"
    rows_before = count_rows(bench.pg, server.db)
    stats_before = db_stats(bench.pg, server.db)
    cpu_before = server.cpu_seconds()
    pg_cpu_before = postgres_cpu_seconds()
    wrk_cpu_before = children_cpu_seconds()
    busy_before = machine_busy()
    label = f"{scenario:<6} {kind:<7} {server.name:<9}"
    log(f"{label} {duration} s, {connections} connections ...")

    profile_proc = None
    if kind == "profile":
        raw = RESULTS / f"ingest-{bench.stamp}-profile-{scenario}-{server.name}.txt"
        profile_proc = subprocess.Popen(
            [
                args.py_spy,
                "record",
                "--pid",
                str(server.proc.pid),
                "--rate",
                str(PY_SPY_RATE),  # type: ignore[union-attr]
                "--duration",
                str(duration),
                "--format",
                "raw",
                "--nonblocking",
                "--threads",
                "--output",
                str(raw),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1)

    wrk = run_wrk(args, server.base + path, body_file, server.key, connections, duration)
    cpu_after = server.cpu_seconds()
    pg_cpu_after = postgres_cpu_seconds()
    busy_after = machine_busy()
    wrk_cpu = children_cpu_seconds() - wrk_cpu_before
    if profile_proc is not None:
        _, err = profile_proc.communicate(timeout=60)
        if profile_proc.returncode == 0:
            cpu_ms = 1000 * (cpu_after - cpu_before) / max(1, wrk["status"]["2xx"])
            bench.profiles[f"{scenario}/{server.name}"] = summarize_profile(
                raw, rate=PY_SPY_RATE, seconds=duration, cpu_ms_per_request=cpu_ms
            ) | {"raw": str(raw.relative_to(ROOT))}
        else:
            log(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
    rows_after = wait_quiet(bench.pg, server.db)
    stats_after = db_stats(bench.pg, server.db)
    served = server_side_counts(server, items)
    # Work the server goes on with after the run (awareness's correlator) is timed here and
    # kept out of the next run.
    drain_s, settled = settle(list(bench.servers.values()), bench.args.settle_timeout)

    seconds = wrk["duration_us"] / 1e6
    ok = wrk["status"]["2xx"]
    non_2xx = (
        wrk["status"]["3xx"] + wrk["status"]["4xx"] + wrk["status"]["5xx"] + wrk["status"]["other"]
    )
    socket_errors = sum(v for k, v in wrk["errors"].items() if k != "status")
    rows_added = rows_after[0] - rows_before[0]
    indicators_added = rows_after[1] - rows_before[1]
    in_flight_bound = connections * items
    checks = {
        "non_2xx_zero": non_2xx == 0 and wrk["errors"]["status"] == 0,
        "socket_errors_zero": socket_errors == 0,
        "server_errors_logged": len(served["problems"]),
        # None: the server gave no count (awareness with its access log off).
        "rows_equal_server_2xx": None
        if served["requests_2xx"] is None
        else rows_added == served["requests_2xx"] * items,
        "rows_cover_wrk_2xx": ok * items <= rows_added <= ok * items + in_flight_bound,
        "indicators_3_per_incident": indicators_added == 3 * rows_added,
    }
    checks["ok"] = (
        checks["non_2xx_zero"]
        and checks["socket_errors_zero"]
        and checks["rows_equal_server_2xx"] is not False
        and checks["rows_cover_wrk_2xx"]
        and checks["indicators_3_per_incident"]
        and not served["problems"]
    )
    cpu = cpu_after - cpu_before
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    run = {
        "scenario": scenario,
        "server": server.name,
        "kind": kind,
        "round": round_no,
        "connections": connections,
        "items_per_request": items,
        "seconds": round(seconds, 3),
        "requests": wrk["requests"],
        "requests_2xx": ok,
        "non_2xx": non_2xx,
        "wrk_status": wrk["status"],
        "wrk_errors": wrk["errors"],
        "wrk_stderr": wrk["stderr"],
        "rps": round(ok / seconds, 1),
        "reports_per_s": round(ok * items / seconds, 1),
        "latency_ms": {k: round(v / 1000, 2) for k, v in wrk["latency_us"].items()},
        "server_cpu_pct": round(100 * cpu / seconds, 1),
        "server_cpu_ms_per_report": round(1000 * cpu / max(1, ok * items), 3),
        "machine_busy_pct": round(100 * busy, 1),
        "postgres_cpu_pct": round(100 * (pg_cpu_after - pg_cpu_before) / seconds, 1),
        "wrk_cpu_pct": round(100 * wrk_cpu / seconds, 1),
        # Everything else on the machine (other sessions, the idle server, the kernel), in
        # % of one core: a neighbour's load shows here.
        "other_cpu_pct": round(
            100 * busy * (os.cpu_count() or 1)
            - 100 * (cpu + pg_cpu_after - pg_cpu_before + wrk_cpu) / seconds,
            1,
        ),
        "db": {k: stats_after[k] - stats_before[k] for k in stats_after},
        "rows_added": rows_added,
        "indicators_added": indicators_added,
        "server_2xx": served["requests_2xx"],
        "server_non_2xx": served["non_2xx"],
        "server_problems": served["problems"][:10],
        "server_client_disconnect_errors": served["client_disconnect_errors"],
        "in_flight_bound": in_flight_bound,
        "busy_after_run_s": round(drain_s, 1),
        "settled_after_run": settled,
        "checks": checks,
    }
    bench.runs.append(run)
    lat = run["latency_ms"]
    log(
        f"{label} {run['rps']:>8.1f} req/s {run['reports_per_s']:>9.1f} reports/s  "
        f"p50 {lat['p50']:.1f} ms p99 {lat['p99']:.1f} ms  non-2xx {non_2xx}  "
        f"rows +{rows_added} (2xx x{items} {ok * items}, server "
        f"{'n/a' if served['requests_2xx'] is None else served['requests_2xx'] * items})  "
        f"cpu: server {run['server_cpu_pct']:.0f}% pg {run['postgres_cpu_pct']:.0f}% "
        f"wrk {run['wrk_cpu_pct']:.0f}% other {run['other_cpu_pct']:.0f}%  "
        f"busy after {drain_s:.0f} s"
        f"{'' if settled else ' (NOT SETTLED)'}  {'ok' if checks['ok'] else 'CHECK FAILED'}"
    )
    if not checks["ok"]:
        log(
            f"  checks: {checks}; wrk stderr: {wrk['stderr'][:3]}; server: {served['problems'][:3]}"
        )
    return run


def run_scenario(bench: Bench, scenario: str) -> None:
    args = bench.args
    plan = [(0, args.warmup, "warmup")] if args.warmup > 0 else []
    plan += [(round_no, args.duration, "measure") for round_no in range(1, args.rounds + 1)]
    if args.py_spy:
        plan.append((0, args.duration, "profile"))
    for round_no, duration, kind in plan:
        for name in ("bare", "awareness"):
            one_run(
                bench,
                scenario,
                bench.servers[name],
                round_no=round_no,
                duration=duration,
                kind=kind,
            )
