"""The medians, ratios and targets, as the table on the console and as the JSON under
bench/results/, with everything needed to tell later whether two results are comparable."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from typing import Any

from checks import verification
from launch import has_correlator
from load import LUA, wrk_version
from state import Bench

from harness import ROOT, git_state, versions

RESULTS = ROOT / "bench" / "results"
# Recorded with every result: what both servers run on.
PACKAGES = ("uvicorn", "uvloop", "httptools", "fastapi", "starlette", "pydantic", "asyncpg",
            "sqlalchemy")  # fmt: skip
TARGET_SINGLE_RATIO = 0.5  # awareness rps / bare rps, single reports
TARGET_BATCH_RATIO = 5.0  # awareness batch reports/s / awareness single reports/s


def summary(bench: Bench) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for scenario in bench.args.scenarios:
        out[scenario] = {}
        for name in ("bare", "awareness"):
            runs = [
                r
                for r in bench.runs
                if r["scenario"] == scenario and r["server"] == name and r["kind"] == "measure"
            ]
            if not runs:
                continue
            med = statistics.median
            out[scenario][name] = {
                "rounds": len(runs),
                "rps_median": round(med(r["rps"] for r in runs), 1),
                "reports_per_s_median": round(med(r["reports_per_s"] for r in runs), 1),
                "rps_each": [r["rps"] for r in runs],
                "latency_ms_p50_median": round(med(r["latency_ms"]["p50"] for r in runs), 2),
                "latency_ms_p99_median": round(med(r["latency_ms"]["p99"] for r in runs), 2),
                "server_cpu_pct_median": round(med(r["server_cpu_pct"] for r in runs), 1),
                "server_cpu_ms_per_report_median": round(
                    med(r["server_cpu_ms_per_report"] for r in runs), 3
                ),
                "machine_busy_pct_median": round(med(r["machine_busy_pct"] for r in runs), 1),
                "postgres_cpu_pct_median": round(med(r["postgres_cpu_pct"] for r in runs), 1),
                "wrk_cpu_pct_median": round(med(r["wrk_cpu_pct"] for r in runs), 1),
                "other_cpu_pct_max": max(r["other_cpu_pct"] for r in runs),
                "new_pg_sessions_median": med(r["db"]["sessions"] for r in runs),
                "busy_after_run_s_median": med(r["busy_after_run_s"] for r in runs),
                "non_2xx_total": sum(r["non_2xx"] for r in runs),
            }
    ratios: dict[str, Any] = {}
    single = out.get("single", {})
    batch = out.get("batch", {})
    if "bare" in single and "awareness" in single:
        ratio = single["awareness"]["rps_median"] / single["bare"]["rps_median"]
        paired = [
            a / b
            for a, b in zip(
                single["awareness"]["rps_each"], single["bare"]["rps_each"], strict=True
            )
        ]
        ratios["single_awareness_over_bare"] = {
            "value": round(ratio, 3),
            "per_round": [round(x, 3) for x in paired],
            "target": TARGET_SINGLE_RATIO,
            "met": ratio >= TARGET_SINGLE_RATIO,
        }
    if "awareness" in batch and "awareness" in single:
        ratio = (
            batch["awareness"]["reports_per_s_median"] / single["awareness"]["reports_per_s_median"]
        )
        ratios["batch_over_single_awareness_reports"] = {
            "value": round(ratio, 2),
            "target": TARGET_BATCH_RATIO,
            "met": ratio >= TARGET_BATCH_RATIO,
        }
    if "bare" in batch and "awareness" in batch:
        ratios["batch_awareness_over_bare"] = {
            "value": round(batch["awareness"]["rps_median"] / batch["bare"]["rps_median"], 3)
        }
    if "bare" in batch and "bare" in single:
        ratios["batch_over_single_bare_reports"] = {
            "value": round(
                batch["bare"]["reports_per_s_median"] / single["bare"]["reports_per_s_median"],
                2,
            )
        }
    return {"scenarios": out, "ratios": ratios}


def print_table(bench: Bench, result: dict[str, Any]) -> None:
    summary = result["summary"]
    print()
    print(
        f"{'scenario':<8} {'server':<10} {'req/s':>9} {'reports/s':>10} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'cpu% srv/pg/wrk':>15} {'non-2xx':>7}  req/s per round"
    )
    for scenario, servers in summary["scenarios"].items():
        for name, s in servers.items():
            print(
                f"{scenario:<8} {name:<10} {s['rps_median']:>9.1f} "
                f"{s['reports_per_s_median']:>10.1f} "
                f"{s['latency_ms_p50_median']:>8.2f} {s['latency_ms_p99_median']:>8.2f} "
                f"{s['server_cpu_pct_median']:>7.0f}/{s['postgres_cpu_pct_median']:.0f}/"
                f"{s['wrk_cpu_pct_median']:<3.0f} {s['non_2xx_total']:>7}  "
                + ", ".join(f"{x:.0f}" for x in s["rps_each"])
            )
    print()
    for name, ratio in summary["ratios"].items():
        verdict = ""
        if "met" in ratio:
            verdict = f"  target >= {ratio['target']}: {'MET' if ratio['met'] else 'NOT MET'}"
        extra = f"  per round {ratio['per_round']}" if "per_round" in ratio else ""
        print(f"{name:<40} {ratio['value']:>7}{verdict}{extra}")
    print()
    for name, v in result["verification"].items():
        by_server = "n/a" if v["reports_2xx_by_server"] is None else v["reports_2xx_by_server"]
        print(
            f"rows {name:<9}: incidents {v['incidents_rows']} = hand checks "
            f"{v['reports_by_hand_checks']} + server 2xx {by_server}"
            f"; wrk counted {v['reports_2xx_by_wrk']} 2xx "
            f"(+{v['in_flight_at_cutoff']} in flight at cut-off, bound {v['in_flight_bound']}); "
            f"indicators {v['indicator_rows']}; non-2xx {v['non_2xx_by_wrk']}, socket errors "
            f"{v['socket_errors_by_wrk']} -> {'OK' if v['ok'] else 'FAILED'}"
        )
    pg = result["meta"]["postgres"]
    print(
        f"postgres: fsync={pg['fsync']} synchronous_commit={pg['synchronous_commit']} "
        f"wal_sync_method={pg['wal_sync_method']} full_page_writes={pg['full_page_writes']}"
    )
    for scenario, profile in bench.profiles.items():
        if not profile.get("samples"):
            continue
        print(
            f"\npy-spy, {scenario}: event loop busy {profile['event_loop_busy_pct']}% of the run, "
            f"server CPU {profile['cpu_ms_per_request']:.3f} ms/request (raw {profile['raw']}):"
        )
        for part in profile["breakdown"]:
            if part["pct"] >= 0.5:
                print(f"    {part['pct']:>5}%  {part['ms_per_request']:>7.3f} ms  {part['what']}")
        print("  top self:")
        for p in profile["self"][:8]:
            print(f"    {p['pct']:>5}%  {p['frame']}")


def report(bench: Bench, settings: dict[str, Any], started: float) -> dict[str, Any]:
    """Writes the JSON, prints the table and where the JSON went; returns the result."""
    args = bench.args
    result = {
        "meta": {
            "timestamp": bench.stamp,
            "elapsed_s": round(time.monotonic() - started, 1),
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
            },
            "postgres": settings,
            "wrk": wrk_version(),
            "versions": versions(*PACKAGES),
            "flags": {k: v for k, v in vars(args).items() if k not in ("py_spy",)},
            "lua": str(LUA.relative_to(ROOT)),
            "awareness_correlator": args.correlator if has_correlator() else "absent",
            "awareness_git": git_state(),
        },
        "hand_checks": bench.hand_checks,
        "summary": summary(bench),
        "verification": verification(bench),
        "runs": bench.runs,
        "profiles": bench.profiles,
    }
    out = RESULTS / f"ingest-{bench.stamp}.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print_table(bench, result)
    print(f"\nresults: {out.relative_to(ROOT)}")
    return result
