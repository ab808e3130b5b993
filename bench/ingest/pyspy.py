"""Optional py-spy profiles: where each server's event loop spends a request's time, to explain
the ratio rather than only measure it."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

PY_SPY_RATE = 250  # samples per second


# Where an event-loop sample goes, first match wins, so the shares add up to 100%: a rule
# looks at the whole stack (fr) or at the innermost frame (leaf). Lines that only awareness
# has stay at 0% for the baseline.
def _any(fr: list[str], *needles: str) -> bool:
    return any(n in f for f in fr for n in needles)


PROFILE_RULES: list[tuple[str, Any]] = [
    (
        "new PostgreSQL connections (connect, SSL probe, close)",
        lambda fr, leaf: _any(
            fr,
            "AsyncAdapt_dbapi_connection.create",
            "connect (asyncpg/connection.py)",
            "Connection.close (asyncpg",
        ),
    ),
    (
        "body parse + validation (pydantic, indicator normalization)",
        lambda fr, leaf: _any(fr, "parse (awareness/ingest/submit.py)"),
    ),
    (
        "idempotency fingerprint (model_dump + json + sha256)",
        lambda fr, leaf: _any(fr, "fingerprint (awareness"),
    ),
    ("DB: asyncpg (protocol, socket I/O)", lambda fr, leaf: "(asyncpg/" in leaf),
    (
        "DB: SQLAlchemy Core/engine + greenlet bridge",
        lambda fr, leaf: "(sqlalchemy/" in leaf or "greenlet" in leaf or _any(fr, "greenlet_spawn"),
    ),
    (
        "sync dependency run in the threadpool",
        lambda fr, leaf: (
            _any(fr, "run_in_threadpool") or "threading.py" in leaf or "(anyio/" in leaf
        ),
    ),
    ("request id (uuid4)", lambda fr, leaf: "uuid" in leaf),
    ("logging (access log)", lambda fr, leaf: "logging/" in leaf or _any(fr, "Logger.info")),
    ("authentication (key cache, limiter)", lambda fr, leaf: _any(fr, "authenticate (awareness")),
    ("awareness's own code (store, submit, middleware)", lambda fr, leaf: "(awareness/" in leaf),
    ("baseline's own code", lambda fr, leaf: "bare_app.py" in leaf),
    ("uvicorn + httptools", lambda fr, leaf: "(uvicorn/" in leaf or "httptools" in leaf),
    (
        "FastAPI/Starlette (routing, dependencies, middleware)",
        lambda fr, leaf: any(
            x in leaf for x in ("(fastapi/", "(starlette/", "contextlib", "(pydantic/")
        ),
    ),
    ("json (stdlib)", lambda fr, leaf: "(json/" in leaf),
    (
        "event loop (uvloop C callbacks, asyncio)",
        lambda fr, leaf: "Runner.run" in leaf or "(asyncio/" in leaf,
    ),
]


def summarize_profile(
    raw_path: Path, *, rate: int, seconds: float, cpu_ms_per_request: float, top: int = 25
) -> dict[str, Any]:
    """Shares of py-spy's collapsed stacks ("thread (0x..);f1;...;fn count", from --threads)
    over the event-loop thread, taken to be the thread with the most samples; worker threads
    (anyio's, for sync dependencies) are counted apart. Idle samples are not recorded, so the
    loop's busy share is its samples over rate x seconds. The breakdown's ms per request
    spreads the server process's CPU time per request (measured from /proc) by those shares."""
    per_thread: dict[str, list[tuple[list[str], int]]] = defaultdict(list)
    for line in raw_path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        raw_frames = [f for f in stack.split(";") if f]
        thread = next((f for f in raw_frames if f.startswith("thread ")), "thread ?")
        frames = [_frame_name(f) for f in raw_frames if not f.startswith(("process ", "thread "))]
        if frames:
            per_thread[thread].append((frames, int(count_text)))
    if not per_thread:
        return {"samples": 0}
    totals = {t: sum(n for _, n in stacks) for t, stacks in per_thread.items()}
    main = max(totals, key=totals.__getitem__)
    total = totals[main]
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    breakdown: Counter[str] = Counter()
    for frames, count in per_thread[main]:
        leaf = frames[-1]
        self_time[leaf] += count
        by_package[_package(leaf)] += count
        for name in set(frames):
            inclusive[name] += count
        label = next((label for label, rule in PROFILE_RULES if rule(frames, leaf)), None)
        breakdown[label or f"other ({_package(leaf)})"] += count

    def share(counter: Counter[str], limit: int | None = top) -> list[dict[str, Any]]:
        return [
            {"frame": name, "samples": n, "pct": round(100 * n / total, 1)}
            for name, n in counter.most_common(limit)
        ]

    return {
        "samples": total,
        "event_loop_busy_pct": round(100 * total / (rate * seconds), 1),
        "other_threads_samples": {t: n for t, n in totals.items() if t != main},
        "cpu_ms_per_request": cpu_ms_per_request,
        "breakdown": [
            {
                "what": label,
                "pct": round(100 * n / total, 1),
                "ms_per_request": round(cpu_ms_per_request * n / total, 3),
            }
            for label, n in breakdown.most_common()
        ],
        "self": share(self_time),
        "inclusive": share(inclusive),
        "self_by_package": share(by_package),
    }


def _frame_name(frame: str) -> str:
    # py-spy writes "function (package/module.py:123)"; drop the line number.
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({path})" if path else name


def _package(frame: str) -> str:
    where = frame.partition(" (")[2].rstrip(")")
    if "/" in where:
        return where.split("/", 1)[0]
    return f"stdlib:{where}" if where.endswith(".py") else (where or "?")
