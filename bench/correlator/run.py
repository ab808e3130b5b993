"""Correlator benchmark: does the cost of correlating one report grow with the history behind it?

Run with the project's interpreter:  .venv/bin/python bench/correlator/run.py [--quick]"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from awareness.db.engine import Database
from awareness.settings import load_settings

# The drivers' shared pieces (harness) live beside them in bench/; this driver's own modules sit
# beside this file, on the path as the script's directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from databases import Postgres, prepare, server_facts, table_rows
from draws import new_reports
from measure import Target, measure_round
from plans import analyze_plans, explain_missing
from report import (
    TARGET_RATIO,
    print_statements,
    print_summary,
    summarize,
    verdicts_of,
    write_results,
)
from world import HISTORY_END, World, build_world, check_normalized

from harness import BenchError, log


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--admin-db", default="test", help="database to create the others from")
    parser.add_argument(
        "--sizes", default="10000,1000000", help="history sizes (stored reports), comma-separated"
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="fast check: sizes 2,000 and 20,000, 100 organizations with 4 assets each, "
             "600 new reports per round, 2 rounds, sequential scans allowed up to 20,000 rows",
    )  # fmt: skip
    parser.add_argument("--orgs", type=int, default=400, help="organizations (16 sectors)")
    parser.add_argument("--assets-per-org", type=int, default=5)
    parser.add_argument("--history-days", type=float, default=56, help="span of the history")
    parser.add_argument(
        "--recent-reports", type=int, default=3000,
        help="history reports inside the last 72 h (the campaign window), the same for "
             "every size; the rest is older",
    )  # fmt: skip
    parser.add_argument("--new-reports", type=int, default=3000, help="M, per measured round")
    parser.add_argument("--warmup-reports", type=int, default=600, help="untimed plan round")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds per size")
    parser.add_argument(
        "--batch-limit", type=int, default=0,
        help="a fixed run_batch(limit=); 0: sized as the correlator sizes them "
        "(correlator.batch_seconds, at most correlator.batch_size)",
    )  # fmt: skip
    parser.add_argument(
        "--interval", type=float, default=None,
        help="seconds between new reports' received_at (default: the pace of the recent "
             "history, 72 h / --recent-reports, so the windows hold as much during the "
             "measurement as before it)",
    )  # fmt: skip
    parser.add_argument(
        "--seq-scan-min-rows", type=int, default=5000,
        help="a sequential scan of a table with more rows than this fails the run",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "2000,20000"
        args.orgs, args.assets_per_org = 100, 4
        args.new_reports, args.warmup_reports, args.rounds = 600, 300, 2
        args.recent_reports = 700
        # Only 20,000 reports: a 200-id IN list over a 10,000-row table is cheaper to scan.
        args.seq_scan_min_rows = max(args.seq_scan_min_rows, 20_000)
    args.size_list = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if len(args.size_list) < 2:
        parser.error("--sizes needs at least two sizes")
    return args


def round_plan(args: argparse.Namespace) -> list[tuple[int, int, datetime]]:
    """(round number, reports, first received_at): round 0 is the untimed plan round."""
    plan, start = [], HISTORY_END + timedelta(minutes=1)
    for round_no in range(args.rounds + 1):
        count = args.warmup_reports if round_no == 0 else args.new_reports
        plan.append((round_no, count, start))
        start += timedelta(seconds=count * args.interval + 60)
    return plan


def world_for(args: argparse.Namespace, targets: list[Target]) -> World:
    """The organizations and assets every size is seeded with, and the pace of the history
    (`args.recent_reports`, `args.interval`) fitted to the smallest size."""
    settings = targets[0].settings
    world = build_world(
        args.seed, orgs=args.orgs, assets_per_org=args.assets_per_org,
        sectors=settings.sectors.sectors,
        start=HISTORY_END - timedelta(days=args.history_days + 30),
    )  # fmt: skip
    check_normalized(world)
    smallest = min(t.size for t in targets)
    if len(world.assets) * 2 > smallest:
        raise BenchError(
            f"{len(world.assets):,} assets do not fit in a history of "
            f"{smallest:,} reports: lower --orgs or --assets-per-org"
        )
    # The same recent history for every size, and new reports at the same pace: the windows
    # hold the same amount before and during the measurement.
    args.recent_reports = min(args.recent_reports, (smallest - len(world.assets)) // 2)
    if args.interval is None:
        args.interval = settings.scoring.campaign.window_hours * 3600 / args.recent_reports
    log(f"{len(world.orgs)} organizations, {len(world.assets):,} assets; "
        f"{args.recent_reports:,} history reports in the last "
        f"{settings.scoring.campaign.window_hours:g} h; new reports every "
        f"{args.interval:.1f} s")  # fmt: skip
    return world


async def run(args: argparse.Namespace, pg: Postgres, targets: list[Target]) -> dict[str, Any]:
    world = world_for(args, targets)
    for target in targets:
        log(f"size {target.size:,}: creating {target.db}, migrating, seeding...")
        await prepare(pg, target, world, args)
        assert target.seeded is not None
        log(f"size {target.size:,}: seeded in {target.seeded.seconds:.1f} s, "
            f"{target.seeded.database_bytes / 2**20:,.0f} MiB")  # fmt: skip
    plan = round_plan(args)
    for round_no, count, start in plan:
        order = targets if round_no % 2 == 0 else list(reversed(targets))
        for target in order:
            assert target.seeded is not None
            items = new_reports(
                world, round_no=round_no, count=count, start=start, interval=args.interval,
                history_fresh=target.seeded.fresh_values, seed=args.seed,
            )  # fmt: skip
            result = await measure_round(
                target, world, items, round_no=round_no, limit=args.batch_limit,
                explain=round_no == 0,
            )  # fmt: skip
            kind = "plan/warm-up round" if round_no == 0 else f"round {round_no}"
            log(f"size {target.size:,} {kind}: {count} reports ingested in "
                f"{result.ingest_seconds:.1f} s; correlated in {len(result.batches)} batches, "
                f"per report median {result.median_ms:.3f} ms, p90 {result.p90_ms:.3f} ms, "
                f"total/M {result.total_ms_per_report:.3f} ms, {result.events} events")  # fmt: skip
            if round_no > 0:
                target.rounds.append(result)
    for target in targets:
        database = Database(target.url, options=target.settings.database)
        try:
            await explain_missing(database, target.statements)
        finally:
            await database.dispose()
    return summarize(args, pg, targets, await server_facts(pg), world)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pg = Postgres(args.pg_host, args.pg_port, args.pg_user, args.admin_db)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    targets = []
    for size in args.size_list:
        db = f"bench_correlator_{size}_{stamp.lower()}_{os.getpid()}"
        url = pg.url(db)
        targets.append(Target(size, db, url, load_settings(database_url=url)))

    def interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)
    status = 0
    try:
        result = asyncio.run(run(args, pg, targets))
        largest = targets[-1]
        rows = asyncio.run(table_rows(pg, largest.db))
        reports = analyze_plans(largest.statements, rows, args.seq_scan_min_rows)
        verdicts = verdicts_of(result, reports)
        print_statements(reports, largest.size)
        print_summary(result, verdicts)
        others = {}
        for target in targets[:-1]:
            small_rows = asyncio.run(table_rows(pg, target.db))
            others[target.size] = [
                r.__dict__ for r in analyze_plans(target.statements, small_rows,
                                                  args.seq_scan_min_rows)
            ]  # fmt: skip
        if largest.statements.plan_errors:
            print(f"\n{len(largest.statements.plan_errors)} plan capture problems, e.g. "
                  f"{largest.statements.plan_errors[0]}")  # fmt: skip
        if verdicts["big_table_sequential_scans"]:
            status = 1
            print("\nFAILED: the correlator reads a big table without an index:")
            for statement in verdicts["big_table_sequential_scans"]:
                print(f"  {statement}")
        elif not verdicts["ratio_met"] and not args.quick:
            status = 2
            print(f"\nFAILED: per-report time ratio {verdicts['ratio']:.3f} > {TARGET_RATIO}")
        if not verdicts["big_table_sequential_scans"]:
            print(f"\nEvery statement's plan on the {largest.size:,}-report history uses an "
                  f"index for each table over {args.seq_scan_min_rows:,} rows.")  # fmt: skip
        write_results(
            args, stamp, result, verdicts, reports, others, largest.statements.plan_errors
        )
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        status = 130
    except BenchError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        status = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip clean-up
        if not args.keep:
            for target in targets:
                try:
                    asyncio.run(pg.admin(f'DROP DATABASE IF EXISTS "{target.db}" WITH (FORCE)'))
                except Exception as exc:
                    print(f"could not drop {target.db}: {exc}", file=sys.stderr)
        else:
            print("kept: " + ", ".join(t.db for t in targets))
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return status


if __name__ == "__main__":
    sys.exit(main())
