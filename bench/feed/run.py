"""Feed benchmark: awareness's WebSocket push (`/v1/feed`) against a bare `websockets` server
(bench/feed/bare_server.py) that broadcasts a frame of the same size to the same clients.

Per round, with N clients connected (in separate client processes), each server is sent E
events, one every 20-50 ms on the same random schedule, and the benchmark measures:
- push latency, p50 and p99 over every (event, client) pair: from the moment the emitter
  hands the event over (awareness: right after the transaction appending it to the event log
  commits, before its NOTIFY; bare: right before the broadcast message goes to the server) to
  the frame arriving on the client; every process reads the same system-wide CLOCK_MONOTONIC;
- server CPU per delivered frame: the server process's CPU time (every thread's run time from
  /proc/<pid>/task/*/schedstat, in ns; /proc/<pid>/stat's ticks are kept as a cross-check)
  from the first measured event until every client had the last one, divided by the frames
  the clients received. PostgreSQL's backends are not counted, for either server;
- awareness again with one more client that never reads (stalled; its path's kernel buffers
  filled beforehand by events of a sector only it follows): the other clients' p99 with it
  against without it, and whether awareness cut it (close code 1013).
Then, on awareness only: report-to-push latency of a campaign warning (third organization
reporting the same public IPv4 address, from just before the POST to the `warning` frame of
kind `campaign` on a supervisor's feed).

Rounds alternate the servers; medians of the rounds are compared with the targets. Results go
to bench/results/feed-<UTC timestamp>.json. Everything started is stopped, and the database
dropped, on exit, on Ctrl-C and on SIGTERM.

Run with the project's interpreter:  .venv/bin/python bench/feed/run.py --help
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The drivers' shared pieces live beside them in bench/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness import BenchError, free_port, git_state, log, stop_process, versions

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BARE_SERVER = HERE / "bare_server.py"
RESULTS = ROOT / "bench" / "results"

TARGET_CPU_RATIO = 1.5  # awareness CPU per frame / bare CPU per frame, at most
TARGET_P99_EXTRA_MS = 50.0  # awareness p99 - bare p99, at most
TARGET_STALL_P99 = 0.10  # relative change of the others' p99 with a stalled client, at most
EVENTS_CHANNEL = "awareness_events"  # awareness.signals.local.EVENTS; checked at start-up
TOO_SLOW = 1013
MEASURED_SECTORS = ("energy", "water")  # the measured events' sectors; the clients' scope
FILL_SECTOR = "chemical"  # the stalled client's extra traffic; no measured client follows it

HEARTBEAT_PREFIX = '{"type":"heartbeat"'
SEQ = re.compile(r'"seq":(\d+)')


def raise_open_files(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def uvloop_factory() -> Any:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# ---------------------------------------------------------------------------------------------
# /proc: CPU time


TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int | None) -> float:
    """User + system CPU seconds of one process (all its threads)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def process_cpu_precise(pid: int | None) -> float:
    """The same in nanosecond resolution: the scheduler's run time of every live thread
    (/proc/<pid>/task/*/schedstat), where /proc/<pid>/stat counts 10 ms ticks. Falls back to
    the ticks when schedstat is not available."""
    if pid is None:
        return 0.0
    total = 0
    try:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            with contextlib.suppress(OSError):
                total += int(stat.read_text().split()[0])
    except OSError:
        total = 0
    return total / 1e9 if total else process_cpu(pid)


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (all cores)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


def postgres_cpu() -> float:
    """CPU seconds of the local PostgreSQL: live processes, plus what the postmaster reaped from
    exited backends. Reported for context only; never charged to either server."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        if comm != "postgres" and not comm.startswith("postgres:"):
            continue
        fields = text.rsplit(")", 1)[1].split()
        total += sum(int(x) for x in fields[11:15]) / TICK
    return total


# ---------------------------------------------------------------------------------------------
# client processes: N WebSocket clients each, driven over a pipe


@dataclass(eq=False)
class ClientRecord:
    seqs: array = field(default_factory=lambda: array("q"))
    times: array = field(default_factory=lambda: array("d"))  # bytes reached the process
    recv_times: array = field(default_factory=lambda: array("d"))  # recv() returned
    chars: int = 0
    heartbeats: int = 0
    other: int = 0
    last_seq: int = -1
    closed: bool = False
    close_code: int | None = None
    close_reason: str | None = None
    ws: Any = None
    task: asyncio.Task[None] | None = None


def stamped_connection() -> type:
    """websockets' client connection, noting when bytes last reached it (`data_received`, the
    event loop's callback, runs before any task is woken): the arrival time of a frame, free of
    this process's own task scheduling among its hundreds of clients."""
    from websockets.asyncio.client import ClientConnection

    class StampedConnection(ClientConnection):
        arrived = 0.0

        def data_received(self, data: bytes) -> None:
            self.arrived = time.monotonic()
            super().data_received(data)

    return StampedConnection


class ClientWorker:
    """Runs in a child process: connects, records (seq, CLOCK_MONOTONIC) of every event frame,
    answers the driver's commands."""

    def __init__(self, pipe: multiprocessing.connection.Connection) -> None:
        self.pipe = pipe
        self.records: list[ClientRecord] = []
        self.stalled: Any = None

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                command = await loop.run_in_executor(None, self.pipe.recv)
            except (EOFError, OSError):
                command = ("exit",)
            name, *params = command
            try:
                reply: Any = await getattr(self, f"do_{name}")(*params)
            except Exception as exc:
                reply = ("error", f"{type(exc).__name__}: {exc}")
            if name == "exit":
                with contextlib.suppress(OSError):
                    self.pipe.send(reply)
                return
            self.pipe.send(reply)

    async def _read(self, ws: Any, rec: ClientRecord) -> None:
        from websockets.exceptions import ConnectionClosed

        seqs, times, recv_times = rec.seqs, rec.times, rec.recv_times
        monotonic, search = time.monotonic, SEQ.search
        try:
            async for message in ws:
                now = monotonic()
                if message.startswith(HEARTBEAT_PREFIX):
                    rec.heartbeats += 1
                    continue
                found = search(message, 0, 64)
                if found is None:
                    rec.other += 1
                    continue
                seq = int(found.group(1))
                seqs.append(seq)
                times.append(ws.arrived)
                recv_times.append(now)
                rec.chars += len(message)
                rec.last_seq = seq
        except ConnectionClosed:
            pass
        finally:
            rec.closed = True
            rec.close_code, rec.close_reason = ws.close_code, ws.close_reason

    async def do_connect(
        self, url: str, headers: dict[str, str], count: int, concurrency: int, timeout: float
    ) -> tuple[str, int, list[str], float]:
        from websockets.asyncio.client import connect

        started = time.monotonic()
        gate = asyncio.Semaphore(concurrency)
        records = [ClientRecord() for _ in range(count)]
        factory = stamped_connection()

        async def one(rec: ClientRecord) -> None:
            async with gate:
                ws = await connect(
                    url,
                    additional_headers=headers,
                    compression=None,
                    proxy=None,
                    open_timeout=timeout,
                    max_size=1 << 22,
                    create_connection=factory,
                )
                first = await asyncio.wait_for(ws.recv(), timeout)
                if not str(first).startswith('{"type":"connected"'):
                    await ws.close()
                    raise BenchError(f"first frame is not `connected`: {str(first)[:120]}")
            rec.ws = ws
            rec.task = asyncio.create_task(self._read(ws, rec))

        outcomes = await asyncio.gather(*(one(r) for r in records), return_exceptions=True)
        errors = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
        self.records = [r for r in records if r.ws is not None]
        return ("connected", len(self.records), errors[:5], time.monotonic() - started)

    async def do_connect_stalled(
        self, host: str, port: int, path: str, headers: dict[str, str], rcvbuf: int
    ) -> tuple[str, int]:
        """A client that never reads: the library stops reading its socket after one frame, and
        a small receive buffer makes TCP push back at once."""
        from websockets.asyncio.client import connect

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        self.stalled = await connect(
            f"ws://{host}:{port}{path}",
            sock=sock,
            additional_headers=headers,
            compression=None,
            proxy=None,
            max_queue=1,
            ping_interval=None,
        )
        return ("stalled", self.stalled.local_address[1])

    async def do_stalled_status(self) -> tuple[str, dict[str, Any]]:
        """Reads what the stalled client was sent until it closes or goes quiet, to learn
        whether (and why) the server cut it."""
        from websockets.exceptions import ConnectionClosed

        ws, frames, still_open = self.stalled, 0, False
        if ws is None:
            return ("stalled_status", {})
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 2.0)
                frames += 1
        except TimeoutError:
            still_open = True
        except ConnectionClosed:
            pass
        status = {
            "cut": ws.close_code == TOO_SLOW,
            "close_code": ws.close_code,
            "close_reason": ws.close_reason,
            "still_open": still_open,
            "frames_read_afterwards": frames,
        }
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)
        self.stalled = None
        return ("stalled_status", status)

    async def do_wait(self, target: int, timeout: float) -> tuple[str, int, float]:
        """Until every open client has a frame with seq >= target (or the timeout)."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            behind = sum(1 for r in self.records if not r.closed and r.last_seq < target)
            if behind == 0 or time.monotonic() > deadline:
                return ("waited", behind, time.monotonic() - started)
            await asyncio.sleep(0.005)

    async def do_collect(self) -> tuple[str, dict[str, Any]]:
        out: dict[str, Any] = {
            "frames": [(r.seqs, r.times, r.recv_times) for r in self.records],
            "chars": sum(r.chars for r in self.records),
            "heartbeats": sum(r.heartbeats for r in self.records),
            "other": sum(r.other for r in self.records),
            "closed": [(r.close_code, r.close_reason) for r in self.records if r.closed],
        }
        for r in self.records:
            r.seqs, r.times, r.recv_times = array("q"), array("d"), array("d")
            r.chars, r.heartbeats, r.other = 0, 0, 0
        return ("collected", out)

    async def do_close(self) -> tuple[str, int]:
        gate = asyncio.Semaphore(100)

        async def one(rec: ClientRecord) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(rec.ws.close(), 10)
            if rec.task is not None:
                rec.task.cancel()
                with contextlib.suppress(BaseException):
                    await rec.task

        count = len(self.records)
        await asyncio.gather(*(one(r) for r in self.records))
        if self.stalled is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.stalled.close(), 5)
            self.stalled = None
        self.records = []
        return ("closed", count)

    async def do_exit(self) -> tuple[str]:
        await self.do_close()
        return ("bye",)


def client_process(pipe: multiprocessing.connection.Connection, open_files: int) -> None:
    """Entry point of a client process. Ctrl-C is the driver's to handle: it stops us."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise_open_files(open_files)
    with asyncio.Runner(loop_factory=uvloop_factory()) as runner:
        runner.run(ClientWorker(pipe).serve())


class Clients:
    """The driver's side of the client processes."""

    def __init__(self, processes: int, open_files: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[multiprocessing.connection.Connection] = []
        self.procs: list[multiprocessing.process.BaseProcess] = []
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=processes + 1)
        for _ in range(processes):
            ours, theirs = context.Pipe()
            proc = context.Process(target=client_process, args=(theirs, open_files), daemon=True)
            proc.start()
            theirs.close()
            self.pipes.append(ours)
            self.procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def cpu(self) -> float:
        return sum(process_cpu(pid) for pid in self.pids)

    async def call(self, index: int, *command: Any) -> Any:
        pipe = self.pipes[index]

        def roundtrip() -> Any:
            pipe.send(command)
            return pipe.recv()

        reply = await asyncio.get_running_loop().run_in_executor(self.pool, roundtrip)
        if reply[0] == "error":
            raise BenchError(f"client process {index}: {command[0]}: {reply[1]}")
        return reply

    async def each(self, *command: Any) -> list[Any]:
        return list(await asyncio.gather(*(self.call(i, *command) for i in range(len(self.pipes)))))

    def stop(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(Exception):
                pipe.send(("exit",))
        deadline = time.monotonic() + 15
        for proc in self.procs:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        self.pool.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------------------------------------
# servers


def send_queue(server_port: int, client_port: int) -> int | None:
    """Bytes the kernel holds, unsent, on the server's socket to one client (`ss` Send-Q)."""
    try:
        out = subprocess.run(
            [
                "ss",
                "-tnH",
                "state",
                "established",
                f"( sport = :{server_port} and dport = :{client_port} )",
            ],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    numbers = [int(x) for x in out[:3] if x.isdigit()]
    return numbers[1] if len(numbers) >= 2 else None


@dataclass
class Server:
    name: str
    port: int
    log_path: Path
    ready_path: str
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def feed_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1/feed"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self, cmd: list[str], env: dict[str, str]) -> None:
        with open(self.log_path, "ab") as out:
            # A session of its own: Ctrl-C reaches the driver only, which then stops the server.
            self.proc = subprocess.Popen(
                cmd,
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def wait_ready(self, timeout: float = 90) -> None:
        import httpx

        assert self.proc is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(trust_env=False, timeout=2) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise BenchError(
                        f"{self.name} exited with {self.proc.returncode}:\n{self.tail_log()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(self.base + self.ready_path)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise BenchError(f"{self.name} not ready after {timeout:.0f} s:\n{self.tail_log()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cpu(self) -> float:
        return process_cpu_precise(self.pid)

    def cpu_ticks(self) -> float:
        return process_cpu(self.pid)

    def tail_log(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        stop_process(self.proc)


def awareness_env(database_url: str, extra: list[str]) -> dict[str, str]:
    """Settings at their defaults except what the benchmark needs; the shell's AWARENESS_*
    variables are ignored."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWARENESS_")}
    env |= {
        "AWARENESS_DATABASE_URL": database_url,
        "AWARENESS_LIMITS__REQUESTS_PER_SECOND": "0",
        "AWARENESS_LOG__ACCESS": "false",
    }
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("AWARENESS_"):
            raise BenchError(f"--awareness-env wants AWARENESS_KEY=VALUE, got {item!r}")
        env[key] = value
    return env


def cli(env: dict[str, str], *args: str) -> str:
    """Runs `awareness ARGS...`; returns the last line of its output."""
    result = subprocess.run(
        [sys.executable, "-m", "awareness.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise BenchError(f"awareness {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


def log_problems(server: Server) -> list[str]:
    """Lines the server logged at warning level or above."""
    try:
        lines = server.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    markers = ('"level": "warning"', '"level": "error"', '"level": "critical"', "Traceback")
    return [line[:400] for line in lines if any(m in line.lower() for m in markers)]


# ---------------------------------------------------------------------------------------------
# the events: a realistic campaign warning, as the correlator writes it


def warning_data(number: int, now: datetime) -> dict[str, Any]:
    """The `data` of a campaign warning as the feed sends it (awareness.views.warnings'
    WarningView); `seq` is filled in with the event's."""
    at = now.isoformat().replace("+00:00", "Z")
    value = f"185.220.{100 + number // 250 % 100}.{1 + number % 250}"
    return {
        "id": 100_000 + number,
        "seq": None,
        "kind": "campaign",
        "sector": "energy",
        "sectors": ["energy", "water"],
        "level": "orange",
        "title": f"ipv4 {value} reported by 3 organizations in energy, water",
        "created_at": at,
        "evidence": {
            "campaign_id": 10_000 + number,
            "indicator": {"type": "ipv4", "value": value},
            "organizations": 3,
            "sectors": ["energy", "water"],
            "max_severity": 62.5,
            "level": "orange",
            "first_seen": at,
            "last_seen": at,
            "window_hours": 72,
            "reasons": ["detected"],
        },
        "target_orgs": None,
        "campaign_id": 10_000 + number,
        "acknowledged_at": None,
        "acknowledged_by": None,
    }


def frame_text(seq: int, data: dict[str, Any]) -> str:
    """Byte for byte what awareness sends for the event (Event.message + Audience.encode)."""
    return json.dumps(
        {"type": "warning", "seq": seq, "data": data | {"seq": seq}}, separators=(",", ":")
    )


class AwarenessEmitter:
    """Appends events to awareness's log through its own EventWriter, as the correlator does,
    then notifies over PostgreSQL: the path every replica's broadcaster listens on."""

    def __init__(self, sqlalchemy_url: str, dsn: str) -> None:
        self.sqlalchemy_url, self.dsn = sqlalchemy_url, dsn
        self.engine: Any = None
        self.notify_conn: Any = None

    async def open(self) -> None:
        import asyncpg
        from sqlalchemy.ext.asyncio import create_async_engine

        from awareness.signals.local import EVENTS

        if EVENTS != EVENTS_CHANNEL:
            raise BenchError(f"awareness now notifies events on {EVENTS!r}")
        self.engine = create_async_engine(self.sqlalchemy_url, pool_size=2, max_overflow=0)
        self.notify_conn = await asyncpg.connect(self.dsn)

    async def emit(self, number: int) -> tuple[int, float]:
        from awareness.eventlog.writer import EventWriter
        from awareness.views.warnings import WarningView

        now = datetime.now(UTC)
        data = warning_data(number, now)
        async with self.engine.begin() as conn:
            seq = await EventWriter(conn).append(
                type="warning",
                kind="campaign",
                sector="energy",
                sectors=["energy", "water"],
                data=lambda seq: WarningView.model_validate(data | {"seq": seq}),
                at=now,
            )
        t0 = time.monotonic()  # committed; the broadcaster has not been told yet
        await self.notify_conn.execute("SELECT pg_notify($1, $2)", EVENTS_CHANNEL, str(seq))
        return seq, t0

    async def fill(self, total_bytes: int, sector: str) -> int:
        """Padded level changes of a sector the measured clients do not follow, as fast as
        they commit: only the stalled client (all sectors) is sent them, and they fill the
        kernel's buffers on its path, so the server itself feels the stall. Returns the count."""
        from awareness.eventlog.writer import EventWriter
        from awareness.views.sectors import level_change

        chunk = 256 * 1024
        count = max(1, -(-total_bytes // chunk))
        seq = 0
        for i in range(count):
            now = datetime.now(UTC)
            data = level_change(
                sector=sector,
                level="blue",
                previous_level="none",
                score=float(i),
                at=now,
                evidence={"note": "x" * chunk},
            )
            async with self.engine.begin() as conn:
                seq = await EventWriter(conn).append(
                    type="sector_level",
                    kind="sector_level",
                    sector=sector,
                    sectors=(),
                    data=data,
                    at=now,
                )
        await self.notify_conn.execute("SELECT pg_notify($1, $2)", EVENTS_CHANNEL, str(seq))
        return count

    async def close(self) -> None:
        if self.notify_conn is not None:
            await self.notify_conn.close()
        if self.engine is not None:
            await self.engine.dispose()


class BareEmitter:
    """Sends the same frame text to the bare server's control socket, which broadcasts it."""

    def __init__(self, control_url: str) -> None:
        self.control_url = control_url
        self.ws: Any = None
        self.seq = 0

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.control_url, compression=None, proxy=None)

    async def emit(self, number: int) -> tuple[int, float]:
        self.seq += 1
        text = frame_text(self.seq, warning_data(number, datetime.now(UTC)))
        t0 = time.monotonic()
        await self.ws.send(text)
        return self.seq, t0

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None


# ---------------------------------------------------------------------------------------------
# one measured run


@dataclass
class Bench:
    args: argparse.Namespace
    clients: Clients
    awareness: Server
    bare: Server
    feed_key: str  # supervisor of the measured sectors: every measured client
    all_key: str  # supervisor of every sector: the stalled client, the campaign watcher
    emitters: dict[str, Any]
    scenarios: set[str] = field(default_factory=set)
    event_number: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)

    def server(self, label: str) -> Server:
        return self.bare if label == "bare" else self.awareness

    def split(self, total: int) -> list[int]:
        procs = len(self.clients.pipes)
        return [total // procs + (1 if i < total % procs else 0) for i in range(procs)]

    async def connect(self, server: Server, total: int) -> float:
        headers = {"Authorization": f"Bearer {self.feed_key}"}
        counts = self.split(total)
        replies = await asyncio.gather(
            *(
                self.clients.call(
                    i,
                    "connect",
                    server.feed_url,
                    headers,
                    n,
                    self.args.connect_concurrency,
                    self.args.connect_timeout,
                )
                for i, n in enumerate(counts)
            )
        )
        connected = sum(r[1] for r in replies)
        if connected != total:
            errors = [e for r in replies for e in r[2]]
            raise BenchError(f"{server.name}: {connected} of {total} clients connected: {errors}")
        return max(r[3] for r in replies)

    async def emit(self, label: str, count: int, rng: random.Random) -> dict[int, float]:
        """`count` events on a 20-50 ms random schedule; returns {seq: t0}."""
        emitter = self.emitters[label]
        sent: dict[int, float] = {}
        due = time.monotonic()
        for _ in range(count):
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.event_number += 1
            seq, t0 = await emitter.emit(self.event_number)
            sent[seq] = t0
            due += rng.uniform(self.args.interval_min_ms, self.args.interval_max_ms) / 1000
            if not self.server(label).alive():
                raise BenchError(f"{label} exited:\n{self.server(label).tail_log()}")
        return sent

    async def wait_delivered(self, last_seq: int) -> tuple[int, float]:
        replies = await self.clients.each("wait", last_seq, self.args.drain_timeout)
        return sum(r[1] for r in replies), max(r[2] for r in replies)

    async def run(self, label: str, round_no: int) -> dict[str, Any]:
        """One measured run: `label` is bare, awareness or awareness+stalled."""
        args = self.args
        server = self.server(label)
        stalled = label == "awareness+stalled"
        connect_s = await self.connect(server, args.clients)
        stalled_port = None
        if stalled:
            _, stalled_port = await self.clients.call(
                0,
                "connect_stalled",
                "127.0.0.1",
                server.port,
                "/v1/feed",
                {"Authorization": f"Bearer {self.all_key}"},
                args.stall_rcvbuf,
            )
        fill = None
        if label != "bare" and "stall" in self.scenarios and args.stall_fill_mb > 0:
            # Both awareness runs get the same fill, so the stalled client is the only change.
            count = await self.emitters["awareness"].fill(
                int(args.stall_fill_mb * 1024 * 1024), FILL_SECTOR
            )
            fill = {"events": count, "bytes": int(args.stall_fill_mb * 1024 * 1024)}
        await asyncio.sleep(args.settle)
        # Same schedule for every server of a round: the seed depends on the round only.
        rng = random.Random(args.seed * 1000 + round_no)
        if args.warmup_events:
            warm = await self.emit(label, args.warmup_events, rng)
            await self.wait_delivered(max(warm))
            await asyncio.sleep(0.2)

        if stalled_port is not None:
            fill = (fill or {}) | {
                "server_send_queue_bytes_before": send_queue(server.port, stalled_port)
            }
        cpu0, ticks0, busy0, pg0 = server.cpu(), server.cpu_ticks(), machine_busy(), postgres_cpu()
        clients0, self0 = self.clients.cpu(), process_cpu(os.getpid())
        wall0 = time.monotonic()
        sent = await self.emit(label, args.events, rng)
        emit_s = time.monotonic() - wall0
        behind, _ = await self.wait_delivered(max(sent))
        wall = time.monotonic() - wall0
        server_cpu, server_ticks = server.cpu() - cpu0, server.cpu_ticks() - ticks0
        busy, pg = machine_busy() - busy0, postgres_cpu() - pg0
        clients_cpu, self_cpu = self.clients.cpu() - clients0, process_cpu(os.getpid()) - self0

        collected = [r[1] for r in await self.clients.each("collect")]
        stall_status = None
        if stalled:
            queued = send_queue(server.port, stalled_port) if stalled_port else None
            stall_status = (await self.clients.call(0, "stalled_status"))[1]
            stall_status |= (fill or {}) | {"server_send_queue_bytes_after": queued}
        await self.clients.each("close")

        latencies: list[float] = []
        at_recv: list[float] = []
        delivered = duplicates = chars = received = 0
        per_event_last: dict[int, float] = {}
        for part in collected:
            chars += part["chars"]
            for seqs, times, recv_times in part["frames"]:
                received += len(seqs)
                seen: set[int] = set()
                for seq, at, returned in zip(seqs, times, recv_times, strict=True):
                    t0 = sent.get(seq)
                    if t0 is None:
                        continue  # a warm-up event
                    if seq in seen:
                        duplicates += 1
                        continue
                    seen.add(seq)
                    latencies.append(at - t0)
                    at_recv.append(returned - t0)
                    per_event_last[seq] = max(per_event_last.get(seq, 0.0), at - t0)
                delivered += len(seen)
        latencies.sort()
        at_recv.sort()
        expected = args.events * args.clients
        lasts = sorted(per_event_last.values())
        closed = [c for part in collected for c in part["closed"]]
        other_cpu = busy - server_cpu - pg - clients_cpu - self_cpu
        result = {
            "label": label,
            "round": round_no,
            "clients": args.clients,
            "events": args.events,
            "connect_seconds": round(connect_s, 2),
            "emit_seconds": round(emit_s, 3),
            "window_seconds": round(wall, 3),
            "events_per_second": round(args.events / emit_s, 1),
            "frames_expected": expected,
            "frames_delivered": delivered,
            "frames_missing": expected - delivered,
            "duplicates": duplicates,
            "clients_behind_at_timeout": behind,
            "clients_closed": len(closed),
            "close_codes": sorted({str(code) for code, _ in closed}),
            "mean_frame_bytes": round(chars / max(1, received), 1),
            "heartbeats": sum(p["heartbeats"] for p in collected),
            "latency_ms": {
                "p50": round(percentile(latencies, 0.50) * 1000, 2),
                "p90": round(percentile(latencies, 0.90) * 1000, 2),
                "p99": round(percentile(latencies, 0.99) * 1000, 2),
                "max": round(latencies[-1] * 1000, 2) if latencies else None,
                "mean": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
            },
            "latency_at_recv_ms": {
                "p50": round(percentile(at_recv, 0.50) * 1000, 2),
                "p99": round(percentile(at_recv, 0.99) * 1000, 2),
            },
            "last_client_ms": {
                "p50": round(percentile(lasts, 0.50) * 1000, 2),
                "p99": round(percentile(lasts, 0.99) * 1000, 2),
            },
            # In emission order: a backlog building up shows as a rising series.
            "last_client_ms_by_event": [
                round(per_event_last[seq] * 1000, 1) for seq in sent if seq in per_event_last
            ],
            "server_cpu_seconds": round(server_cpu, 4),
            "server_cpu_seconds_stat_ticks": round(server_ticks, 2),
            "server_cpu_us_per_frame": round(server_cpu / delivered * 1e6, 3)
            if delivered
            else None,
            "machine_cpu_percent_of_one_core": {
                "server": round(100 * server_cpu / wall, 1),
                "postgres": round(100 * pg / wall, 1),
                "clients": round(100 * clients_cpu / wall, 1),
                "driver": round(100 * self_cpu / wall, 1),
                "other": round(100 * other_cpu / wall, 1),
            },
        }
        if fill is not None:
            result["fill"] = fill
        if stall_status is not None:
            result["stalled_client"] = stall_status
        return result


def describe(run: dict[str, Any]) -> str:
    lat, cpu = run["latency_ms"], run["machine_cpu_percent_of_one_core"]
    text = (
        f"{run['label']:<18} p50 {lat['p50']:7.2f} ms  p99 {lat['p99']:7.2f} ms  "
        f"cpu/frame {run['server_cpu_us_per_frame'] or 0:7.2f} us  "
        f"frames {run['frames_delivered']}/{run['frames_expected']}  "
        f"{run['events_per_second']:.0f} ev/s  cpu% server {cpu['server']:.0f} "
        f"pg {cpu['postgres']:.0f} clients {cpu['clients']:.0f} other {cpu['other']:.0f}"
    )
    if "stalled_client" in run:
        stall = run["stalled_client"]
        text += f"  stalled: close {stall.get('close_code')} cut={stall.get('cut')}"
    return text


# ---------------------------------------------------------------------------------------------
# campaign warnings: report to push


async def campaigns(
    args: argparse.Namespace, bench: Bench, operator_keys: list[str]
) -> dict[str, Any]:
    import httpx
    from websockets.asyncio.client import connect

    server = bench.awareness
    if args.campaign_clients:
        await bench.connect(server, args.campaign_clients)
    arrived: dict[str, float] = {}
    waiting: dict[str, asyncio.Event] = {}
    ws = await connect(
        server.feed_url,
        additional_headers={"Authorization": f"Bearer {bench.all_key}"},
        compression=None,
        proxy=None,
        max_size=1 << 22,
    )

    async def listen() -> None:
        async for message in ws:
            now = time.monotonic()
            frame = json.loads(message)
            data = frame.get("data") or {}
            if frame.get("type") == "warning" and data.get("kind") == "campaign":
                value = ((data.get("evidence") or {}).get("indicator") or {}).get("value")
                if value is not None and value not in arrived:
                    arrived[value] = now
                    if value in waiting:
                        waiting[value].set()

    listener = asyncio.create_task(listen())
    samples: list[dict[str, float]] = []
    failures: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=server.base, trust_env=False, timeout=30) as http:

            async def post(key: str, ip: str) -> int:
                body = {
                    "detected_at": datetime.now(UTC).isoformat(),
                    "category": "intrusion",
                    "functional_impact": "minimal_critical",
                    "indicators": [{"type": "ipv4", "value": ip}],
                }
                response = await http.post(
                    "/v1/incidents", json=body, headers={"Authorization": f"Bearer {key}"}
                )
                if response.status_code != 201:
                    raise BenchError(f"POST /v1/incidents: {response.status_code} {response.text}")
                return response.status_code

            for i in range(args.campaigns):
                ip = f"185.220.101.{args.campaign_first_octet + i}"
                await post(operator_keys[0], ip)
                await post(operator_keys[1], ip)
                # Let the correlator finish with the first two before the measured report.
                await asyncio.sleep(args.campaign_gap)
                waiting[ip] = asyncio.Event()
                t0 = time.monotonic()
                await post(operator_keys[2], ip)
                acked = time.monotonic()
                try:
                    await asyncio.wait_for(waiting[ip].wait(), args.drain_timeout)
                except TimeoutError:
                    failures.append(ip)
                    log(f"  campaign {i + 1}: no campaign warning for {ip} within timeout")
                    continue
                samples.append(
                    {
                        "total_ms": (arrived[ip] - t0) * 1000,
                        "ack_ms": (acked - t0) * 1000,
                        "after_ack_ms": (arrived[ip] - acked) * 1000,
                    }
                )
                if (i + 1) % 5 == 0 or i + 1 == args.campaigns:
                    log(
                        f"  campaign {i + 1}/{args.campaigns}: report-to-push "
                        f"{samples[-1]['total_ms']:.1f} ms (201 after {samples[-1]['ack_ms']:.1f})"
                    )
                await asyncio.sleep(args.campaign_pause)
    finally:
        listener.cancel()
        with contextlib.suppress(BaseException):
            await listener
        await ws.close()
        if args.campaign_clients:
            await bench.clients.each("close")

    def stats(name: str) -> dict[str, float | None]:
        values = sorted(s[name] for s in samples)
        return {
            "p50": round(percentile(values, 0.5), 2) if values else None,
            "p99": round(percentile(values, 0.99), 2) if values else None,
            "max": round(values[-1], 2) if values else None,
        }

    return {
        "repetitions": args.campaigns,
        "warnings_received": len(samples),
        "missing": failures,
        "other_clients_connected": args.campaign_clients,
        "report_to_push_ms": stats("total_ms"),
        "post_to_201_ms": stats("ack_ms"),
        "201_to_push_ms": stats("after_ack_ms"),
        "samples": [{k: round(v, 2) for k, v in s.items()} for s in samples],
    }


# ---------------------------------------------------------------------------------------------
# summary


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
            "value": round(ratio, 2),
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


# ---------------------------------------------------------------------------------------------
# setup and teardown


async def pg_admin(args: argparse.Namespace, sql: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(
        host=args.pg_host,
        port=args.pg_port,
        user=args.pg_user,
        database=args.admin_db,
        timeout=10,
    )
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def probe_deflate(url: str, headers: dict[str, str]) -> str | None:
    """What the server answers to a client that offers permessage-deflate, as browsers do."""
    from websockets.asyncio.client import connect

    async with connect(url, additional_headers=headers, proxy=None) as ws:
        return ws.response.headers.get("Sec-WebSocket-Extensions") if ws.response else None


@dataclass
class Resources:
    """Everything to undo, in reverse order, whatever happens."""

    args: argparse.Namespace
    servers: list[Server] = field(default_factory=list)
    clients: Clients | None = None
    database: str | None = None
    workdir: Path | None = None

    def cleanup(self) -> None:
        if self.clients is not None:
            self.clients.stop()
        for server in self.servers:
            server.stop()
        if self.database is not None and not self.args.keep:
            try:
                asyncio.run(
                    pg_admin(self.args, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                )
            except Exception as exc:
                log(f"could not drop database {self.database}: {exc}")
        if self.workdir is not None:
            if self.args.keep:
                log(f"kept database {self.database} and server logs in {self.workdir}")
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)


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
