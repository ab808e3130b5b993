"""The rounds' medians against the issue's targets, printed and kept in bench/results/ with what
they were measured on, so that a run can be compared with the README's figures."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
from typing import Any

from harness import ROOT, git_state, log, versions

RESULTS = ROOT / "bench" / "results"

TARGET_CPU_RATIO = 1.2  # awareness CPU per frame / bare CPU per frame, at most (issue 13)
TARGET_P99_EXTRA_MS = 20.0  # awareness p99 - bare p99, at most (issue 13)
TARGET_STALL_P99 = 0.10  # relative change of the others' p99 with a stalled client, at most


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def median_of(runs: list[dict[str, Any]], label: str, *path: str) -> float | None:
    values = []
    for run in runs:
        if run["label"] != label:
            continue
        value: Any = run
        for key in path:
            value = value[key]
        if value is not None:
            values.append(value)
    return statistics.median(values) if values else None


def summarize(runs: list[dict[str, Any]], campaign: dict[str, Any] | None) -> dict[str, Any]:
    labels = ["bare", "awareness", "awareness+stalled"]
    medians = {
        label: {
            "p50_ms": median_of(runs, label, "latency_ms", "p50"),
            "p99_ms": median_of(runs, label, "latency_ms", "p99"),
            "cpu_us_per_frame": median_of(runs, label, "server_cpu_us_per_frame"),
            "mean_frame_bytes": median_of(runs, label, "mean_frame_bytes"),
            "rounds": sum(1 for r in runs if r["label"] == label),
        }
        for label in labels
    }
    bare, aw, st = medians["bare"], medians["awareness"], medians["awareness+stalled"]
    targets: dict[str, Any] = {}
    if bare["cpu_us_per_frame"] and aw["cpu_us_per_frame"] is not None:
        ratio = aw["cpu_us_per_frame"] / bare["cpu_us_per_frame"]
        targets["cpu_per_frame_ratio"] = {
            "value": round(ratio, 3),
            "target": f"<= {TARGET_CPU_RATIO}",
            "met": ratio <= TARGET_CPU_RATIO,
        }
    if bare["p99_ms"] is not None and aw["p99_ms"] is not None:
        extra = aw["p99_ms"] - bare["p99_ms"]
        targets["p99_over_bare_ms"] = {
            "value": round(extra, 2),
            "target": f"<= {TARGET_P99_EXTRA_MS}",
            "met": extra <= TARGET_P99_EXTRA_MS,
        }
    if aw["p99_ms"] and st["p99_ms"] is not None:
        change = st["p99_ms"] / aw["p99_ms"] - 1
        targets["stalled_client_p99_change"] = {
            "value": round(change, 3),
            "target": f"<= {TARGET_STALL_P99}",
            "met": change <= TARGET_STALL_P99,
        }
    stalled = [r["stalled_client"] for r in runs if "stalled_client" in r]
    return {
        "medians": medians,
        "targets": targets,
        "stalled_client_cut_in_runs": sum(1 for s in stalled if s.get("cut")),
        "stalled_runs": len(stalled),
        "campaign": {
            k: campaign[k] for k in ("report_to_push_ms", "post_to_201_ms", "201_to_push_ms")
        }
        if campaign
        else None,
    }


def print_summary(summary: dict[str, Any], args: argparse.Namespace) -> None:
    print()
    print(f"Feed push, {args.clients} clients, {args.events} events per run, medians of rounds")
    print(f"{'server':<19}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/frame':>14}{'bytes/frame':>13}")
    for label, m in summary["medians"].items():
        if not m["rounds"]:
            continue
        print(
            f"{label:<19}{m['p50_ms']:>9.2f}{m['p99_ms']:>9.2f}"
            f"{m['cpu_us_per_frame']:>14.2f}{m['mean_frame_bytes']:>13.0f}"
        )
    for name, t in summary["targets"].items():
        print(f"  {name}: {t['value']} (target {t['target']}): {'met' if t['met'] else 'NOT met'}")
    if summary["stalled_runs"]:
        print(
            f"  stalled client cut (1013) in {summary['stalled_client_cut_in_runs']} of "
            f"{summary['stalled_runs']} runs"
        )
    if summary["campaign"]:
        c = summary["campaign"]
        print(
            f"Campaign warning, report to push: p50 {c['report_to_push_ms']['p50']} ms, "
            f"p99 {c['report_to_push_ms']['p99']} ms (POST to 201: p50 "
            f"{c['post_to_201_ms']['p50']} ms)"
        )


def report(
    args: argparse.Namespace,
    stamp: str,
    env: dict[str, str],
    deflate: dict[str, str | None],
    runs: list[dict[str, Any]],
    campaign: dict[str, Any] | None,
    problems: list[str],
) -> None:
    summary = summarize(runs, campaign)
    print_summary(summary, args)
    if problems:
        print(f"\n{len(problems)} warning/error lines in the server logs, first ones:")
        for line in problems[:5]:
            print("  " + line)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"feed-{stamp}.json"
    document = {
        "benchmark": "feed",
        "started": stamp,
        "args": vars(args),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": versions(
            "websockets", "uvicorn", "uvloop", "starlette", "fastapi", "asyncpg", "sqlalchemy"
        ),
        "git": git_state(),
        "awareness_settings_env": {k: v for k, v in env.items() if k.startswith("AWARENESS_")}
        | {"AWARENESS_DATABASE_URL": "(fresh database)"},
        "permessage_deflate_when_offered": deflate,
        "not_counted": "PostgreSQL backends' CPU is not charged to either server "
        "(reported under machine_cpu_percent_of_one_core.postgres for context)",
        "summary": summary,
        "runs": runs,
        "campaign": campaign,
        "server_log_problems": problems[:50],
    }
    out.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    log(f"results written to {out.relative_to(ROOT)}")
