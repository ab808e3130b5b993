"""Ingest benchmark: awareness's durable incident ingest against a bare FastAPI + asyncpg
baseline (bench/ingest/bare_app.py) that stores the same payload, driven side by side by wrk
with the same script and flags, on PostgreSQL with durable commits.

It creates two fresh databases, starts both servers on free ports, registers an operator
organization and key for awareness through its CLI, checks one request of each kind by hand,
warms both up, then alternates measured runs (bare, awareness, bare, awareness, ...) for each
scenario: single reports (POST /v1/incidents) and batches (POST /v1/incidents/batch). It
reports medians, ratios and the targets, checks that the rows stored match the 2xx responses,
writes JSON to bench/results/ingest-<timestamp>.json, and drops everything it created on exit
(Ctrl-C included).

Run with the project's interpreter:  .venv/bin/python bench/ingest/run.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The drivers' shared pieces live beside them in bench/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import BenchError, free_port, git_state, log, stop_process, versions

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# Recorded with every result: what both servers run on.
PACKAGES = ("uvicorn", "uvloop", "httptools", "fastapi", "starlette", "pydantic", "asyncpg",
            "sqlalchemy")  # fmt: skip
LUA = HERE / "post.lua"
BARE_APP = HERE / "bare_app.py"
RESULTS = ROOT / "bench" / "results"

TARGET_SINGLE_RATIO = 0.5  # awareness rps / bare rps, single reports
TARGET_BATCH_RATIO = 5.0
PY_SPY_RATE = 250  # samples per second  # awareness batch reports/s / awareness single reports/s

WRK_INSTALL = "install it with: apt-get install -y wrk   (Debian/Ubuntu package 'wrk')"


# ---------------------------------------------------------------------------------------------
# output


# ---------------------------------------------------------------------------------------------
# PostgreSQL (through asyncpg, which the project's environment has)


@dataclass
class Postgres:
    host: str
    port: int
    user: str
    admin_db: str

    def dsn(self, db: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{db}"

    def sqlalchemy_url(self, db: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{db}"

    def query(self, db: str, sql: str, *args: Any) -> list[Any]:
        import asyncpg

        async def run() -> list[Any]:
            conn = await asyncpg.connect(self.dsn(db), timeout=10)
            try:
                return list(await conn.fetch(sql, *args))
            finally:
                await conn.close()

        return asyncio.run(run())

    def value(self, db: str, sql: str, *args: Any) -> Any:
        rows = self.query(db, sql, *args)
        return rows[0][0] if rows else None


# ---------------------------------------------------------------------------------------------
# bodies: realistic reports, ~3 indicators each, detected a minute ago

_WORDS = [
    "update",
    "check",
    "cdn",
    "telemetry",
    "sync",
    "portal",
    "vpn",
    "login",
    "secure",
    "mail",
    "files",
    "relay",
    "static",
    "api",
    "edge",
    "auth",
    "backup",
    "grid",
    "ops",
    "status",
]
_CATEGORIES = ["intrusion", "malware", "phishing", "ransomware", "ddos", "supply_chain"]
_FUNCTIONAL = [
    "no_impact_to_services",
    "minimal_non_critical",
    "minimal_critical",
    "significant_non_critical",
]
_INFORMATION = ["none", "suspected", "credential_compromise", "proprietary_breach"]
_LOCATIONS = ["business_network", "business_dmz", "critical_system_dmz", "critical_systems"]
_SUMMARIES = [
    "Unexpected SMB sessions from the historian to an engineering workstation, followed by "
    "outbound TLS to a domain first seen today.",
    "EDR quarantined a signed-looking updater on two HMIs; the binary beacons every 60 s.",
    "Spear-phishing wave against control-room staff impersonating the turbine vendor's support "
    "portal; three users entered credentials.",
    "Volumetric traffic against the customer portal from a few hundred addresses; scrubbing "
    "engaged, no impact on operations.",
    "Remote maintenance account used outside its window from an address in a hosting range.",
]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def make_incident(rng: random.Random, detected_at: datetime, serial: int) -> dict[str, Any]:
    occurred_at = detected_at - timedelta(minutes=rng.randint(5, 240))
    domain = f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}{rng.randint(1, 99)}.example.net"
    return {
        "detected_at": _iso(detected_at),
        "occurred_at": _iso(occurred_at),
        "category": rng.choice(_CATEGORIES),
        "functional_impact": rng.choice(_FUNCTIONAL),
        "information_impact": rng.choice(_INFORMATION),
        "recoverability": "supplemented",
        "location": rng.choice(_LOCATIONS),
        "indicators": [
            {"type": "ipv4", "value": f"203.0.113.{rng.randint(1, 254)}"},
            {"type": "domain", "value": domain},
            {"type": "sha256", "value": f"{rng.getrandbits(256):064x}"},
        ],
        "summary": rng.choice(_SUMMARIES),
        "tlp": "amber",
        "reference": f"GN-2026-{serial:06d}",
    }


def write_bodies(path: Path, *, batch_size: int, count: int, seed: int) -> list[str]:
    """`count` distinct bodies, one per line; batch_size 0 means single reports."""
    rng = random.Random(seed)
    detected_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    lines = []
    serial = 0
    for _ in range(count):
        if batch_size == 0:
            serial += 1
            body: Any = make_incident(rng, detected_at, serial)
        else:
            items = []
            for _ in range(batch_size):
                serial += 1
                items.append(make_incident(rng, detected_at, serial))
            body = {"incidents": items}
        lines.append(json.dumps(body, separators=(",", ":")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


# ---------------------------------------------------------------------------------------------
# HTTP helpers


def http(
    method: str, url: str, body: str | None = None, key: str | None = None, timeout: float = 30
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        status = exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


# ---------------------------------------------------------------------------------------------
# servers


@dataclass
class Server:
    name: str
    port: int
    db: str
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    key: str = ""
    log_offset: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, cmd: list[str], env: dict[str, str], cwd: Path) -> None:
        out = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        # A session of its own: a Ctrl-C in the terminal reaches the driver only, which then
        # stops the server itself (gracefully, then by force).
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()

    def wait_ready(self, timeout: float = 90) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.tail_log()}"
                )
            try:
                status, _ = http("GET", self.base + "/healthz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name} not ready after {timeout:.0f} s:\n{self.tail_log()}")

    def tail_log(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process."""
        if self.proc is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        stop_process(self.proc)

    def new_log_lines(self) -> list[str]:
        with open(self.log_path, "rb") as handle:
            handle.seek(self.log_offset)
            data = handle.read()
        # Only complete lines; a partial last line is read next time.
        end = data.rfind(b"\n") + 1
        self.log_offset += end
        return data[:end].decode(errors="replace").splitlines()


def server_side_counts(server: Server, batch_size: int) -> dict[str, Any]:
    """What the server says it answered since the last call: awareness from its JSON access
    log, the baseline from its in-process counters. Also collects error lines."""
    lines = server.new_log_lines()
    flagged = [
        line
        for line in lines
        if '"level": "error"' in line
        or '"level": "warning"' in line
        or "Traceback" in line
        or line.startswith(("ERROR", "WARNING"))
    ]
    # wrk stops by closing its connections with requests in flight; a server that had not read
    # those bodies yet may log starlette's ClientDisconnect. That is the cut-off, not a failure;
    # it is counted and reported apart. Anything else logged as a warning or error fails the run.
    disconnects = sum(1 for line in flagged if "starlette.requests.ClientDisconnect" in line)
    problems = [line[:500] for line in flagged if "starlette.requests.ClientDisconnect" not in line]
    if server.name == "awareness":
        ok = 0
        not_ok: Counter[int] = Counter()
        for line in lines:
            if '"awareness.access"' not in line:
                continue
            entry = json.loads(line)
            if not str(entry.get("path", "")).startswith("/v1/incidents"):
                continue
            status = int(entry.get("status", 0))
            if 200 <= status < 300:
                ok += 1
            else:
                not_ok[status] += 1
        if ok == 0 and not not_ok and not any('"awareness.access"' in x for x in lines):
            ok = None  # access log off (AWARENESS_LOG__ACCESS=false): no server-side count
        return {
            "requests_2xx": ok,
            "non_2xx": dict(not_ok),
            "problems": problems,
            "client_disconnect_errors": disconnects,
        }
    status, counters = http("GET", server.base + "/bench/counters")
    if status != 200:
        raise BenchError(f"bare counters answered {status}")
    previous = getattr(server, "_counters", {"requests_2xx": 0, "reports": 0})
    server._counters = counters  # type: ignore[attr-defined]
    return {
        "requests_2xx": counters["requests_2xx"] - previous["requests_2xx"],
        "non_2xx": {},
        "problems": problems,
        "client_disconnect_errors": disconnects,
    }


# ---------------------------------------------------------------------------------------------
# wrk


def wrk_version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (out.stdout + out.stderr).splitlines()[0].strip() if (out.stdout + out.stderr) else "?"


def run_wrk(
    args: argparse.Namespace, url: str, body_file: Path, key: str, connections: int, duration: int
) -> dict[str, Any]:
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={args.wrk_timeout}s",
        "-H",
        f"Authorization: Bearer {key}",
        "-s",
        str(LUA),
        url,
        "--",
        str(body_file),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({proc.returncode}): {url}\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["stderr"] = [x for x in proc.stderr.splitlines() if x.strip()][:10]
    return result


# ---------------------------------------------------------------------------------------------
# machine state


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs so far."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def postgres_cpu_seconds() -> float:
    """CPU time of the local PostgreSQL: its live processes plus what the postmaster has reaped
    from exited backends (cutime + cstime). 0 when PostgreSQL is not on this machine."""
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        procs[int(stat.parent.name)] = (comm, int(fields[1]), [int(x) for x in fields[11:15]])
    total = 0.0
    for _pid, (comm, ppid, (utime, stime, cutime, cstime)) in procs.items():
        if comm != "postgres" and not comm.startswith("postgres:"):
            continue
        total += utime + stime
        if procs.get(ppid, ("",))[0] != "postgres":  # the postmaster
            total += cutime + cstime
    return total / tick


def children_cpu_seconds() -> float:
    """CPU time of this driver's finished children (wrk runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def db_stats(pg: Postgres, db: str) -> dict[str, int]:
    row = pg.query(
        pg.admin_db,
        "SELECT xact_commit, xact_rollback, sessions FROM pg_stat_database WHERE datname = $1",
        db,
    )[0]
    return {"xact_commit": row[0], "xact_rollback": row[1], "sessions": row[2]}


def count_rows(pg: Postgres, db: str) -> tuple[int, int]:
    rows = pg.query(
        db, "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM indicators)"
    )[0]
    return rows[0], rows[1]


def wait_quiet(pg: Postgres, db: str, timeout: float = 60) -> tuple[int, int]:
    """Waits until requests that were in flight when wrk stopped have finished, so the row
    count is final: no backend of the database busy with an ingest statement (awareness's
    correlator may go on reading and writing its own tables) and the count unchanged for 1 s."""
    deadline = time.monotonic() + timeout
    previous = None
    stable = 0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        active = pg.value(
            pg.admin_db,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
            " AND state IN ('active', 'idle in transaction')"
            " AND query ~* '^\\s*insert\\s+into\\s+\"?(reports|incidents|indicators)\\M'",
            db,
        )
        counts = count_rows(pg, db)
        stable = stable + 1 if active == 0 and counts == previous else 0
        if stable >= 2:
            return counts
        previous = counts
    raise BenchError(f"{db}: ingest writes still going {timeout:.0f} s after wrk stopped")


def settle(servers: list[Server], timeout: float) -> tuple[float, bool]:
    """Waits until the servers and PostgreSQL are idle (each server under 5% of a core and
    PostgreSQL under 25% over one second), so that work a server goes on doing after a run
    (awareness's correlator catching up on the reports) does not land in the next run.
    Returns the seconds waited and whether it settled."""
    started = time.monotonic()
    while True:
        before = [s.cpu_seconds() for s in servers]
        pg_before = postgres_cpu_seconds()
        t0 = time.monotonic()
        time.sleep(1.0)
        elapsed = time.monotonic() - t0
        busy = [(s.cpu_seconds() - b) / elapsed for s, b in zip(servers, before, strict=True)]
        pg_busy = (postgres_cpu_seconds() - pg_before) / elapsed
        waited = time.monotonic() - started
        if max(busy) < 0.05 and pg_busy < 0.25:
            return waited, True
        if waited >= timeout:
            return waited, False


# ---------------------------------------------------------------------------------------------
# py-spy (optional)


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


def has_correlator() -> bool:
    """Whether this awareness has the in-process correlator (and so its setting)."""
    try:
        from awareness.settings import Settings
    except ImportError:
        return False
    return "correlator" in Settings.model_fields


# ---------------------------------------------------------------------------------------------
# the benchmark


@dataclass
class Bench:
    args: argparse.Namespace
    pg: Postgres
    workdir: Path
    stamp: str
    servers: dict[str, Server] = field(default_factory=dict)
    databases: list[str] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    hand_checks: dict[str, Any] = field(default_factory=dict)
    checked_reports: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    profiles: dict[str, Any] = field(default_factory=dict)

    # -- setup ----------------------------------------------------------------------------------

    def create_databases(self) -> None:
        for name in ("bare", "awareness"):
            db = f"bench_ingest_{name}_{self.stamp}_{os.getpid()}"
            self.pg.query(self.pg.admin_db, f'CREATE DATABASE "{db}"')
            self.databases.append(db)
            self.servers[name] = Server(
                name=name, port=free_port(), db=db, log_path=self.workdir / f"{name}.log"
            )
        log("databases: " + ", ".join(self.databases))

    def awareness_env(self, db: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWARENESS_")}
        env["AWARENESS_DATABASE_URL"] = self.pg.sqlalchemy_url(db)
        env["AWARENESS_LIMITS__REQUESTS_PER_SECOND"] = "0"
        if has_correlator():
            env["AWARENESS_CORRELATOR__ENABLED"] = (
                "true" if self.args.correlator == "on" else "false"
            )
        for item in self.args.awareness_env:
            key, _, value = item.partition("=")
            env[key] = value
        return env

    def start_servers(self) -> None:
        bare = self.servers["bare"]
        bare.start(
            [
                sys.executable,
                str(BARE_APP),
                "--dsn",
                self.pg.dsn(bare.db),
                "--port",
                str(bare.port),
            ],
            env={k: v for k, v in os.environ.items() if not k.startswith("AWARENESS_")},
            cwd=self.workdir,
        )
        aw = self.servers["awareness"]
        env = self.awareness_env(aw.db)
        aw.start([self.args.awareness, "serve", "--port", str(aw.port)], env=env, cwd=self.workdir)
        for server in (bare, aw):
            server.wait_ready()
            log(f"{server.name} ready on {server.base} (pid {server.proc.pid})")  # type: ignore[union-attr]

        def cli(*words: str) -> str:
            done = subprocess.run(
                [self.args.awareness, *words],
                env=env,
                cwd=self.workdir,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if done.returncode != 0:
                raise BenchError(f"awareness {' '.join(words)} failed:\n{done.stdout}{done.stderr}")
            return done.stdout

        cli("orgs", "create", "grid-north", "--name", "Grid North", "--sector", "energy")
        aw.key = (
            cli("keys", "create", "--role", "operator", "--org", "grid-north", "--name", "bench")
            .strip()
            .splitlines()[-1]
            .strip()
        )
        bare.key = aw.key  # same -H flag for both; the baseline ignores it
        log(f"awareness: org grid-north and operator key {aw.key[:8]}... registered")

    # -- checks by hand -------------------------------------------------------------------------

    def hand_check(self) -> None:
        single = write_bodies(self.workdir / "check-single.jsonl", batch_size=0, count=1, seed=7)[0]
        batch = write_bodies(
            self.workdir / "check-batch.jsonl", batch_size=self.args.batch_size, count=1, seed=8
        )[0]
        sent = json.loads(single)
        for name, server in self.servers.items():
            status, body = http("POST", server.base + "/v1/incidents", single, server.key)
            if status != 201 or not isinstance(body, dict) or not isinstance(body.get("id"), int):
                raise BenchError(f"{name}: single report answered {status}: {body}")
            row = self.pg.query(
                server.db,
                "SELECT category, detected_at, reference, "
                "(SELECT count(*) FROM indicators WHERE incident_id = $1) AS indicators "
                "FROM incidents WHERE id = $1",
                body["id"],
            )
            if not row or row[0]["indicators"] != 3 or row[0]["reference"] != sent["reference"]:
                raise BenchError(f"{name}: report {body['id']} not stored as sent: {row}")
            status_b, body_b = http("POST", server.base + "/v1/incidents/batch", batch, server.key)
            ids = body_b.get("ids") if isinstance(body_b, dict) else None
            if status_b != 201 or not isinstance(ids, list) or len(ids) != self.args.batch_size:
                raise BenchError(f"{name}: batch answered {status_b}: {str(body_b)[:300]}")
            self.checked_reports[name] += 1 + len(ids)
            self.hand_checks[name] = {
                "single": {"status": status, "body": body},
                "batch": {"status": status_b, "ids": len(ids), "first_id": ids[0]},
            }
            log(
                f"{name}: POST /v1/incidents -> {status} {json.dumps(body)}; "
                f"batch of {len(ids)} -> {status_b}"
            )
        # The bodies are inside the 5-minute rule, and the rule is live: the same report
        # detected 10 minutes ahead is refused.
        aw = self.servers["awareness"]
        future = dict(sent, detected_at=_iso(datetime.now(UTC) + timedelta(minutes=10)))
        future.pop("occurred_at")
        status, body = http("POST", aw.base + "/v1/incidents", json.dumps(future), aw.key)
        self.hand_checks["awareness"]["future_detected_at"] = {"status": status, "body": body}
        if status != 422:
            raise BenchError(f"awareness accepted detected_at 10 minutes ahead: {status} {body}")
        log(f"awareness: detected_at 10 min ahead -> {status} (as it should)")
        for server in self.servers.values():
            server_side_counts(server, 1)  # move past the checks' log lines

    # -- runs -----------------------------------------------------------------------------------

    def one_run(
        self, scenario: str, server: Server, *, round_no: int, duration: int, kind: str
    ) -> dict[str, Any]:
        args = self.args
        batch_size = args.batch_size if scenario == "batch" else 0
        items = batch_size or 1
        connections = args.batch_connections if scenario == "batch" else args.connections
        body_file = self.workdir / f"{scenario}.jsonl"
        # Fresh bodies for every run: detected_at is always about a minute before the run.
        write_bodies(
            body_file,
            batch_size=batch_size,
            count=args.batch_bodies if batch_size else args.single_bodies,
            seed=zlib.crc32(f"{scenario}/{round_no}/{kind}".encode()),
        )
        path = "/v1/incidents/batch" if batch_size else "/v1/incidents"
        rows_before = count_rows(self.pg, server.db)
        stats_before = db_stats(self.pg, server.db)
        cpu_before = server.cpu_seconds()
        pg_cpu_before = postgres_cpu_seconds()
        wrk_cpu_before = children_cpu_seconds()
        busy_before = machine_busy()
        label = f"{scenario:<6} {kind:<7} {server.name:<9}"
        log(f"{label} {duration} s, {connections} connections ...")

        profile_proc = None
        if kind == "profile":
            raw = RESULTS / f"ingest-{self.stamp}-profile-{scenario}-{server.name}.txt"
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
                self.profiles[f"{scenario}/{server.name}"] = summarize_profile(
                    raw, rate=PY_SPY_RATE, seconds=duration, cpu_ms_per_request=cpu_ms
                ) | {"raw": str(raw.relative_to(ROOT))}
            else:
                log(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
        rows_after = wait_quiet(self.pg, server.db)
        stats_after = db_stats(self.pg, server.db)
        served = server_side_counts(server, items)
        # Work the server goes on with after the run (awareness's correlator) is timed here and
        # kept out of the next run.
        drain_s, settled = settle(list(self.servers.values()), self.args.settle_timeout)

        seconds = wrk["duration_us"] / 1e6
        ok = wrk["status"]["2xx"]
        non_2xx = (
            wrk["status"]["3xx"]
            + wrk["status"]["4xx"]
            + wrk["status"]["5xx"]
            + wrk["status"]["other"]
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
        self.runs.append(run)
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
                f"  checks: {checks}; wrk stderr: {wrk['stderr'][:3]}; "
                f"server: {served['problems'][:3]}"
            )
        return run

    def scenario(self, scenario: str) -> None:
        args = self.args
        order = ["bare", "awareness"]
        if args.warmup > 0:
            for name in order:
                self.one_run(
                    scenario, self.servers[name], round_no=0, duration=args.warmup, kind="warmup"
                )
        for round_no in range(1, args.rounds + 1):
            for name in order:
                self.one_run(
                    scenario,
                    self.servers[name],
                    round_no=round_no,
                    duration=args.duration,
                    kind="measure",
                )
        if args.py_spy:
            for name in order:
                self.one_run(
                    scenario, self.servers[name], round_no=0, duration=args.duration, kind="profile"
                )

    # -- results --------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for scenario in self.args.scenarios:
            out[scenario] = {}
            for name in ("bare", "awareness"):
                runs = [
                    r
                    for r in self.runs
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
                batch["awareness"]["reports_per_s_median"]
                / single["awareness"]["reports_per_s_median"]
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

    def verification(self) -> dict[str, Any]:
        """Over everything sent (checks, warm-ups, measured and profiled runs): rows stored
        equal the 2xx the server answered, and cover every 2xx wrk counted."""
        totals = {}
        for name, server in self.servers.items():
            runs = [r for r in self.runs if r["server"] == name]
            incidents, indicators = count_rows(self.pg, server.db)
            wrk_reports = sum(r["requests_2xx"] * r["items_per_request"] for r in runs)
            counted = [r for r in runs if r["server_2xx"] is not None]
            server_reports = (
                sum(r["server_2xx"] * r["items_per_request"] for r in runs)
                if len(counted) == len(runs)
                else None
            )
            bound = sum(r["in_flight_bound"] for r in runs)
            checked = self.checked_reports[name]
            totals[name] = {
                "incidents_rows": incidents,
                "indicator_rows": indicators,
                "reports_2xx_by_wrk": wrk_reports,
                "reports_2xx_by_server": server_reports,
                "reports_by_hand_checks": checked,
                "in_flight_at_cutoff": incidents - checked - wrk_reports,
                "in_flight_bound": bound,
                "non_2xx_by_wrk": sum(r["non_2xx"] for r in runs),
                "socket_errors_by_wrk": sum(
                    sum(v for k, v in r["wrk_errors"].items() if k != "status") for r in runs
                ),
                "ok": (server_reports is None or incidents == checked + server_reports)
                and 0 <= incidents - checked - wrk_reports <= bound
                and indicators == 3 * incidents
                and all(r["checks"]["ok"] for r in runs),
            }
        return totals


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
    settings = {
        name: pg.value(args.admin_db, f"SHOW {name}")
        for name in (
            "fsync",
            "synchronous_commit",
            "wal_sync_method",
            "full_page_writes",
            "commit_delay",
            "max_connections",
            "shared_buffers",
        )
    }
    settings["version"] = pg.value(args.admin_db, "SELECT version()")
    durable = settings["fsync"] == "on" and settings["synchronous_commit"] in (
        "on",
        "remote_apply",
        "remote_write",
        "local",
    )
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
        bench.create_databases()
        bench.start_servers()
        bench.hand_check()
        for scenario in args.scenarios:
            bench.scenario(scenario)
        result = {
            "meta": {
                "timestamp": stamp,
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
            "summary": bench.summary(),
            "verification": bench.verification(),
            "runs": bench.runs,
            "profiles": bench.profiles,
        }
        out = RESULTS / f"ingest-{stamp}.json"
        out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
        print_table(bench, result)
        print(f"\nresults: {out.relative_to(ROOT)}")
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
