"""The plan of every statement the correlator runs, as PostgreSQL executed it, because the
target is not only a ratio: every look-up must be served by an index."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from awareness.db.engine import Database

# auto_explain reports the plan of every statement (nested ones too: foreign-key checks) to the
# client as a NOTICE; log_analyze off, so the statements are not slowed by timing.
AUTO_EXPLAIN = {
    "session_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "off",
    "auto_explain.log_format": "json",
    "auto_explain.log_level": "notice",
    "auto_explain.log_nested_statements": "on",
}
_LIST = re.compile(r"\$\d+(?:::[A-Z ]+)?(?:\s*,\s*\$\d+(?:::[A-Z ]+)?)+")
_SPACE = re.compile(r"\s+")


_ONE = re.compile(r"IN \(\$\d+(?:::[A-Z ]+)?\)")


def normalize_statement(text: str) -> str:
    """One key per statement shape: whitespace collapsed, expanded IN lists folded."""
    return _ONE.sub("IN ($…)", _LIST.sub("$…", _SPACE.sub(" ", text.strip())))


class StatementLog:
    """Every statement the correlator's engine sent, and the plans auto_explain reported."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.example: dict[str, tuple[str, Any]] = {}
        self.plans: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.plan_errors: list[str] = []
        self.explained: set[str] = set()  # planned by EXPLAIN afterwards, not auto_explain

    def attach(self, database: Database, *, explain: bool) -> None:
        engine = database.engine.sync_engine

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any,
                  executemany: bool) -> None:  # fmt: skip
            key = normalize_statement(statement)
            self.counts[key] += 1
            if key not in self.example:
                params = parameters[0] if executemany and parameters else parameters
                self.example[key] = (statement, params)

        if not explain:
            return

        @sa.event.listens_for(engine, "do_connect")
        def _settings(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
            # Start-up parameters, so they hold for the whole session whatever the pool does
            # (a SET inside the pool's first transaction would be rolled back).
            cparams.setdefault("server_settings", {}).update(AUTO_EXPLAIN)

        @sa.event.listens_for(engine, "connect")
        def _listen(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.driver_connection.add_log_listener(self._notice)

    def _notice(self, _conn: Any, message: Any) -> None:
        text = getattr(message, "message", "") or ""
        if "plan:" not in text or "{" not in text:
            return
        try:
            plan = json.loads(text[text.index("{") :])
        except ValueError:
            self.plan_errors.append(text[:200])
            return
        self.plans[normalize_statement(plan.get("Query Text", ""))].append(plan["Plan"])


def plan_nodes(plan: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


@dataclass
class StatementReport:
    statement: str
    executions: int
    origin: str  # correlator (sent through SQLAlchemy), foreign-key check, or driver
    indexes: list[str]
    seq_scans: list[str]  # "table (rows)"
    big_seq_scans: list[str]
    full_index_scans: list[str]
    plan_shapes: int
    explained_by: str  # auto_explain, EXPLAIN, or none


def origin_of(key: str, log_: StatementLog) -> str:
    if key in log_.counts:
        return "correlator"
    if key.startswith("SELECT 1 FROM ONLY"):
        return "foreign-key check"
    return "driver"  # asyncpg's own type introspection and JIT switch


def analyze_plans(
    log_: StatementLog, rows: dict[str, float], threshold: int
) -> list[StatementReport]:
    reports = []
    keys = sorted(set(log_.counts) | set(log_.plans), key=lambda k: -log_.counts.get(k, 0))
    for key in keys:
        plans = log_.plans.get(key, [])
        indexes: set[str] = set()
        seq: set[str] = set()
        big: set[str] = set()
        full: set[str] = set()
        shapes = set()
        for plan in plans:
            shape = []
            for node in plan_nodes(plan):
                node_type = node.get("Node Type", "")
                relation = node.get("Relation Name")
                shape.append((node_type, relation, node.get("Index Name")))
                if node.get("Index Name"):
                    indexes.add(f"{node['Index Name']} ({node_type})")
                for arbiter in node.get("Conflict Arbiter Indexes", ()):
                    indexes.add(f"{arbiter} (ON CONFLICT arbiter)")
                if relation is None:
                    continue
                count = rows.get(relation, 0)
                if node_type == "Seq Scan":
                    seq.add(f"{relation} ({count:,.0f} rows)")
                    if count > threshold:
                        big.add(f"{relation} ({count:,.0f} rows)")
                if (
                    node_type in ("Index Scan", "Index Only Scan")
                    and "Index Cond" not in node
                    and count > threshold
                ):
                    full.add(f"{relation} via {node.get('Index Name')} ({count:,.0f} rows)")
            shapes.add(tuple(shape))
        reports.append(
            StatementReport(
                statement=key,
                executions=log_.counts.get(key, len(plans)),
                origin=origin_of(key, log_),
                indexes=sorted(indexes),
                seq_scans=sorted(seq),
                big_seq_scans=sorted(big),
                full_index_scans=sorted(full),
                plan_shapes=len(shapes),
                explained_by=(
                    "none" if not plans else "EXPLAIN" if key in log_.explained else "auto_explain"
                ),
            )
        )
    return reports


async def explain_missing(database: Database, log_: StatementLog) -> None:
    """Statements seen in timed rounds but not in the plan round: EXPLAIN them with the
    parameters they were first sent with."""
    missing = [k for k in log_.counts if k not in log_.plans and k in log_.example]
    for key in missing:
        statement, params = log_.example[key]
        if not statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            continue
        try:
            async with database.engine.connect() as conn, conn.begin() as transaction:
                result = await conn.exec_driver_sql(
                    "EXPLAIN (FORMAT JSON) " + statement, tuple(params or ())
                )
                plan = result.scalar_one()
                plan = json.loads(plan) if isinstance(plan, str) else plan
                log_.plans[key].append(plan[0]["Plan"])
                log_.explained.add(key)
                await transaction.rollback()
        except Exception as exc:  # report, do not abort the run
            log_.plan_errors.append(f"EXPLAIN failed for {key[:120]}: {exc}")
