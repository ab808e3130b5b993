"""What a run concludes: the figures per size, the verdicts against the targets, the console
table and the results JSON, so that a run can be judged and compared later."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

from databases import Postgres
from measure import Target
from plans import StatementReport
from world import HISTORY_END, World

from harness import git_state, versions

ROOT = Path(__file__).resolve().parent.parent.parent
RESULTS = ROOT / "bench" / "results"

TARGET_RATIO = 1.2


def summarize(
    args: argparse.Namespace,
    pg: Postgres,
    targets: list[Target],
    server: dict[str, Any],
    world: World,
) -> dict[str, Any]:
    sizes = []
    for target in targets:
        assert target.seeded is not None
        medians = [r.median_ms for r in target.rounds]
        sizes.append({
            "size": target.size,
            "database": target.db,
            "seeded": {
                "seconds": round(target.seeded.seconds, 1),
                "assets": target.seeded.assets,
                "incidents": target.seeded.incidents,
                "rows": target.seeded.rows,
                "database_mib": round(target.seeded.database_bytes / 2**20, 1),
            },
            "per_report_ms": {
                "median": statistics.median(medians),
                "p90": statistics.median(r.p90_ms for r in target.rounds),
                "total_over_m": statistics.median(r.total_ms_per_report for r in target.rounds),
                "cpu": statistics.median(r.cpu_ms_per_report for r in target.rounds),
                "server_cpu": statistics.median(
                    r.server_cpu_ms_per_report for r in target.rounds
                ),
                "round_medians": medians,
            },
            "rounds": [
                {"round": r.round_no, "reports": r.reports, "ingest_seconds": r.ingest_seconds,
                 "median_ms": r.median_ms, "p90_ms": r.p90_ms,
                 "total_ms_per_report": r.total_ms_per_report,
                 "cpu_ms_per_report": r.cpu_ms_per_report,
                 "server_cpu_ms_per_report": r.server_cpu_ms_per_report, "events": r.events,
                 "load_average": r.load_average, "batches": r.batches}
                for r in target.rounds
            ],
        })  # fmt: skip
    base = sizes[0]["per_report_ms"]
    for entry in sizes:
        entry["ratio_to_smallest"] = {
            key: entry["per_report_ms"][key] / base[key]
            for key in ("median", "p90", "total_over_m", "cpu")
        }
        # Round k of every size correlates the same new reports: their ratio is paired.
        entry["paired_round_ratios"] = [
            mine / theirs
            for mine, theirs in zip(entry["per_report_ms"]["round_medians"],
                                    base["round_medians"], strict=True)
        ]  # fmt: skip
    return {
        "sizes": sizes,
        "world": {
            "organizations": len(world.orgs),
            "assets": len(world.assets),
            "products": len(world.products),
            "shared_indicators": len(world.shared_groups),
        },
        "server": server,
    }


def print_summary(result: dict[str, Any], verdicts: dict[str, Any]) -> None:
    sizes = result["sizes"]
    tables = sorted({t for s in sizes for t in s["seeded"]["rows"]})
    print()
    print("Seeded rows")
    width = max(len(t) for t in tables)
    print(f"  {'table':<{width}} " + " ".join(f"{s['size']:>14,}" for s in sizes))
    for table in tables:
        print(f"  {table:<{width}} " + " ".join(
            f"{s['seeded']['rows'].get(table, 0):>14,}" for s in sizes))  # fmt: skip
    print(f"  {'(seconds to seed)':<{width}} "
          + " ".join(f"{s['seeded']['seconds']:>14,.1f}" for s in sizes))  # fmt: skip
    print(f"  {'(database MiB)':<{width}} "
          + " ".join(f"{s['seeded']['database_mib']:>14,.0f}" for s in sizes))  # fmt: skip
    print()
    print("Correlator cost per new report, ms (wall clock: median and p90 over batches, "
          "total/M; CPU of")  # fmt: skip
    print("this process + its PostgreSQL backend per report); each the median over rounds")
    print(f"  {'history':>12} {'median':>8} {'p90':>8} {'total/M':>8} {'cpu':>8} {'(pg)':>7}"
          f" {'ratio':>6} {'cpu ratio':>9}  round medians (paired ratios)")  # fmt: skip
    for s in sizes:
        p, r = s["per_report_ms"], s["ratio_to_smallest"]
        rounds = ", ".join(f"{m:.2f}" for m in p["round_medians"])
        paired = ", ".join(f"{m:.3f}" for m in s["paired_round_ratios"])
        print(f"  {s['size']:>12,} {p['median']:>8.3f} {p['p90']:>8.3f} {p['total_over_m']:>8.3f}"
              f" {p['cpu']:>8.3f} {p['server_cpu']:>7.3f} {r['median']:>6.3f} {r['cpu']:>9.3f}"
              f"  [{rounds}] ({paired})")  # fmt: skip
    ratio = verdicts["ratio"]
    met = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"  ratio largest/smallest, median wall-clock per report: {ratio:.3f} -> target <= "
          f"{TARGET_RATIO} {met} (total/M ratio {verdicts['ratio_total']:.3f}, "
          f"CPU ratio {verdicts['ratio_cpu']:.3f})")  # fmt: skip


def print_statements(reports: list[StatementReport], size: int) -> None:
    print()
    print(f"Statements the correlator ran (plans on the {size:,}-report history)")
    for r in reports:
        one_line = r.statement if len(r.statement) <= 150 else r.statement[:147] + "..."
        where = f"{r.executions}x" + ("" if r.origin == "correlator" else f", {r.origin}")
        flag = "SEQ SCAN ON BIG TABLE" if r.big_seq_scans or r.full_index_scans else "ok"
        print(f"  [{flag}] {where}: {one_line}")
        if r.indexes:
            print(f"      indexes: {', '.join(r.indexes)}")
        if r.seq_scans:
            print(f"      seq scans: {', '.join(r.seq_scans)}")
        if r.full_index_scans:
            print(f"      full index scans: {', '.join(r.full_index_scans)}")
        if r.explained_by == "none":
            print("      (no plan captured)")


def verdicts_of(result: dict[str, Any], reports: list[StatementReport]) -> dict[str, Any]:
    sizes = result["sizes"]
    largest, smallest = sizes[-1]["per_report_ms"], sizes[0]["per_report_ms"]
    big = [r for r in reports if r.big_seq_scans or r.full_index_scans]
    return {
        "ratio": largest["median"] / smallest["median"],
        "ratio_total": largest["total_over_m"] / smallest["total_over_m"],
        "ratio_cpu": largest["cpu"] / smallest["cpu"],
        "target": TARGET_RATIO,
        "ratio_met": largest["median"] / smallest["median"] <= TARGET_RATIO,
        "big_table_sequential_scans": [r.statement for r in big],
        "statements_without_plan": [r.statement for r in reports if r.explained_by == "none"],
    }


def write_results(
    args: argparse.Namespace,
    stamp: str,
    result: dict[str, Any],
    verdicts: dict[str, Any],
    reports: list[StatementReport],
    others: dict[int, list[dict[str, Any]]],
    plan_errors: list[str],
) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"correlator-{stamp}.json"
    out.write_text(json.dumps({
        "benchmark": "correlator",
        "started": stamp,
        "arguments": {k: v for k, v in vars(args).items()},
        "history_end": HISTORY_END.isoformat(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": versions("sqlalchemy", "asyncpg"),
        "git": git_state(),
        **result,
        "verdicts": verdicts,
        "statements": [r.__dict__ for r in reports],
        "statements_smaller_sizes": others,
        "plan_errors": plan_errors[:20],
    }, indent=2, default=str))  # fmt: skip
    print(f"results: {out.relative_to(ROOT)}")
