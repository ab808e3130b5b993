"""Sustained benchmark: are warnings still on time under steady single-report load? The issue's
target: single reports at half the single-report capacity for 60 s, with campaigns seeded in the
middle, a campaign warning reaches a feed client within 1 s of the report that completes it
(p99), and the correlator's lag is back to 0 within 2 s of the load stopping. A burst (burst.py)
says whether correlation catches up eventually; this says whether it keeps up while operators go
on reporting, which is what decides how late a warning is on an ordinary busy day.

    .venv/bin/python bench/correlator/sustained.py [--seconds 60] [--share 0.5] [--source DIR ...]

One run, on a fresh PostgreSQL database with 40 operators in four sectors (as burst.py):
1. capacity: `POST /v1/incidents` with one report each (3 indicators, as burst.py's), back to
   back on 16 keep-alive connections for `--capacity-seconds`, then the lag drains to 0
   (`--rate` skips this and sets the rate);
2. the sustained phase: `--share` of that rate for `--seconds`, open loop (request i is due at
   start + i / rate; a connection that falls behind sends as soon as it can and the lateness is
   kept), the lag sampled from `/metrics` every 0.5 s;
3. from 25 % to 75 % of the phase, one campaign every `--campaign-every` s on its own
   connection: two organizations report a fresh public address, `--campaign-gap` s later a
   third one does, and the time from just before that third report to the campaign warning on a
   WebSocket feed client is measured. These reports (3 per campaign) come on top of the paced
   load and do not count toward its rate;
4. after the last paced request is answered, the lag is polled every 20 ms until it is 0.

The load generator is a few lines of HTTP/1.1 on asyncio streams with request bytes built before
each phase: httpx costs more CPU per request than the server on a 2-core machine, and then the
client, not the service, is measured. Its own CPU share is reported to show it stayed small.

Exit status: 0 if both targets hold, 2 if one does not, 1 on a failure (a request not answered
201, a campaign warning not seen within 10 s), 130 on Ctrl-C (the server is stopped in any
case). Each `--source` is a checkout whose `src/` the server runs (default: this one), measured
in turn."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import re
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from burst import LAG, OPERATORS, SECTORS, TOKEN, _fresh_database, _incident, _serve

from harness import ROOT, BenchError, cli, free_port, git_state, log, stop_process, tail, versions

DATABASE = "awareness_bench_sustained"
RESULTS = ROOT / "bench" / "results"
LAG_SECONDS = re.compile(r"^awareness_correlator_lag_seconds (\S+)$", re.M)
CONNECTIONS = 16
TARGET_P99_MS = 1000.0  # report-to-frame of a campaign warning, p99
TARGET_DRAIN_S = 2.0  # lag back to 0 after the load stops
WARNING_TIMEOUT_S = 10.0
DRAIN_GIVE_UP_S = 300.0


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _request(port: int, method: str, path: str, key: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n"
    if method == "POST":
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


class Connection:
    """One keep-alive HTTP/1.1 connection that sends ready-made bytes and reads a
    Content-Length answer: the least a client can do per request, so that its CPU stays out of
    the server's way."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.close()
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def send(self, data: bytes) -> tuple[int, bytes]:
        """(status, body). A connection the server closed while idle is reopened first."""
        if self.reader is None or self.writer is None or self.reader.at_eof():
            await self._open()
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lower = head.lower()
        start = lower.find(b"\r\ncontent-length:")
        if start < 0:
            raise BenchError(f"answer without Content-Length: {head[:200]!r}")
        length = int(head[start + 17 : head.index(b"\r\n", start + 2)])
        body = await self.reader.readexactly(length)
        if b"\r\nconnection: close" in lower:
            self.close()
        return int(head[9:12]), body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Metrics:
    """The correlator's lag, read by the metrics token on a connection of its own."""

    def __init__(self, port: int) -> None:
        self.connection = Connection(port)
        self.request = _request(port, "GET", "/metrics", TOKEN)

    async def lag(self) -> tuple[float, float]:
        """(reports, seconds) behind. Retried once: the server may close an idle connection
        just as it is used, and a GET is safe to repeat."""
        for attempt in (1, 2):
            try:
                status, body = await self.connection.send(self.request)
                break
            except (OSError, asyncio.IncompleteReadError):
                self.connection.close()
                if attempt == 2:
                    raise
        if status != 200:
            raise BenchError(f"/metrics answered {status}: {body[:200]!r}")
        text = body.decode()
        reports, seconds = LAG.search(text), LAG_SECONDS.search(text)
        return (
            float(reports.group(1)) if reports else float("nan"),
            float(seconds.group(1)) if seconds else float("nan"),
        )

    async def until_zero(self, label: str) -> float:
        """Polls every 20 ms until no report waits; the monotonic time it saw 0."""
        started = time.monotonic()
        shown = started
        while True:
            reports, seconds = await self.lag()
            now = time.monotonic()
            if reports == 0:
                return now
            if now - started > DRAIN_GIVE_UP_S:
                raise BenchError(f"{label}: lag still {reports:.0f} after {DRAIN_GIVE_UP_S} s")
            if now - shown >= 5:
                log(f"  {label}: lag {reports:.0f} reports, {seconds:.1f} s")
                shown = now
            await asyncio.sleep(0.02)


class Reports:
    """Request bytes of single reports, one operator after the other, built ahead of a phase
    so that building them costs nothing while it runs (more are made on the spot if a phase
    outruns the estimate)."""

    def __init__(self, port: int, keys: list[str], seed: int) -> None:
        self.port = port
        self.keys = keys
        self.rnd = random.Random(seed)
        self.detected_at = datetime.now(UTC).isoformat()
        self.made = 0
        self.ready: deque[bytes] = deque()

    def _make(self) -> bytes:
        body = json.dumps(_incident(self.rnd, self.detected_at), separators=(",", ":")).encode()
        key = self.keys[self.made % len(self.keys)]
        self.made += 1
        return _request(self.port, "POST", "/v1/incidents", key, body)

    def prepare(self, count: int) -> None:
        self.ready.extend(self._make() for _ in range(count - len(self.ready)))

    def next(self) -> bytes:
        return self.ready.popleft() if self.ready else self._make()


class Tally:
    """What the load generator saw: answers, their latency, lateness against the schedule and
    the first few refusals, which fail the run."""

    def __init__(self) -> None:
        self.sent = 0
        self.answered = 0
        self.errors = 0
        self.refusals: list[str] = []
        self.latency: list[float] = []
        self.lateness: list[float] = []
        self.last_answer = 0.0

    def answer(self, status: int, body: bytes, sent: float) -> None:
        now = time.monotonic()
        self.answered += 1
        self.last_answer = max(self.last_answer, now)
        self.latency.append(now - sent)
        if status != 201:
            self.errors += 1
            if len(self.refusals) < 5:
                self.refusals.append(f"{status} {body[:200].decode(errors='replace')}")


async def full_speed(port: int, reports: Reports, seconds: float) -> dict[str, Any]:
    """Every connection back to back: the single-report rate this server acknowledges."""
    tally = Tally()
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        connection = Connection(port)
        try:
            while time.monotonic() < deadline:
                data = reports.next()
                tally.sent += 1
                sent = time.monotonic()
                status, body = await connection.send(data)
                tally.answer(status, body, sent)
        finally:
            connection.close()

    started, cpu = time.monotonic(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    wall = tally.last_answer - started
    if tally.errors:
        raise BenchError(f"capacity: {tally.errors} requests not answered 201: {tally.refusals}")
    return {
        "seconds": round(wall, 2),
        "requests": tally.answered,
        "per_s": tally.answered / wall,
        "client_cpu_share": (time.process_time() - cpu) / wall,
    }


async def paced(
    port: int, reports: Reports, rate: float, seconds: float, started: float, tally: Tally
) -> None:
    """Open loop: request i is due at started + i / rate, whichever connection is free takes
    the next one, so a slow answer delays sends (recorded as lateness) instead of thinning the
    schedule."""
    total = math.floor(rate * seconds)
    claimed = 0

    async def worker() -> None:
        nonlocal claimed
        connection = Connection(port)
        try:
            while claimed < total:
                due = started + claimed / rate
                claimed += 1
                data = reports.next()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                sent = time.monotonic()
                tally.lateness.append(max(0.0, sent - due))
                tally.sent += 1
                status, body = await connection.send(data)
                tally.answer(status, body, sent)
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))


class Feed:
    """A feed client that may read every sector: when each campaign warning arrived, by its
    indicator."""

    def __init__(self, port: int, key: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/v1/feed"
        self.key = key
        self.arrived: dict[str, float] = {}
        self.waiting: dict[str, asyncio.Event] = {}
        self.frames = 0

    async def listen(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(
            self.url,
            additional_headers={"Authorization": f"Bearer {self.key}"},
            compression=None,
            proxy=None,
            max_size=1 << 22,
        ) as ws:
            async for message in ws:
                now = time.monotonic()
                self.frames += 1
                frame = json.loads(message)
                data = frame.get("data") or {}
                if frame.get("type") != "warning" or data.get("kind") != "campaign":
                    continue
                value = ((data.get("evidence") or {}).get("indicator") or {}).get("value")
                if value is not None and value not in self.arrived:
                    self.arrived[value] = now
                    if value in self.waiting:
                        self.waiting[value].set()

    async def wait_for(self, value: str, timeout: float) -> float | None:
        """When the warning for `value` arrived, or None if it did not within `timeout`."""
        if value not in self.arrived:
            event = self.waiting.setdefault(value, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        return self.arrived.get(value)


def campaign_address(n: int) -> str:
    """A fresh public address per campaign, far from burst.py's shared 185.220.0-3.x, which the
    paced load reports and which would otherwise complete a seeded campaign early."""
    return f"185.220.{101 + n // 250}.{1 + n % 250}"


async def campaign(
    n: int, port: int, keys: list[str], feed: Feed, gap: float, samples: list[dict[str, Any]]
) -> None:
    """Two organizations report the address, `gap` s later a third: from just before the third
    report to its campaign warning on the feed. On a connection of its own, opened before the
    first report, so neither a queue behind the paced load nor a TCP handshake is measured."""
    ip = campaign_address(n)
    orgs = [(3 * n + k) % OPERATORS for k in range(3)]

    def body(org: int) -> bytes:
        incident = {
            "detected_at": datetime.now(UTC).isoformat(),
            "category": "intrusion",
            "functional_impact": "minimal_critical",
            "indicators": [{"type": "ipv4", "value": ip}],
        }
        return _request(port, "POST", "/v1/incidents", keys[org], json.dumps(incident).encode())

    sample: dict[str, Any] = {"ip": ip, "orgs": orgs}
    samples.append(sample)
    connection = Connection(port)
    try:
        for org in orgs[:2]:
            status, answer = await connection.send(body(org))
            if status != 201:
                sample["error"] = f"{status} {answer[:200].decode(errors='replace')}"
                return
        await asyncio.sleep(gap)
        third = body(orgs[2])
        started = time.monotonic()
        status, answer = await connection.send(third)
        acked = time.monotonic()
        if status != 201:
            sample["error"] = f"{status} {answer[:200].decode(errors='replace')}"
            return
        sample["ack_ms"] = (acked - started) * 1000
        arrived = await feed.wait_for(ip, WARNING_TIMEOUT_S - (acked - started))
        if arrived is None:
            sample["error"] = f"no campaign warning within {WARNING_TIMEOUT_S:.0f} s"
            log(f"  campaign {ip}: {sample['error']}")
        else:
            sample["report_to_frame_ms"] = (arrived - started) * 1000
    finally:
        connection.close()


async def seed_campaigns(
    args: argparse.Namespace,
    port: int,
    keys: list[str],
    feed: Feed,
    started: float,
    samples: list[dict[str, Any]],
) -> None:
    """One campaign every `--campaign-every` s from 25 % to 75 % of the phase, each in a task of
    its own so that a slow one does not hold back the next."""
    tasks = []
    n = 0
    while True:
        due = started + args.seconds * 0.25 + n * args.campaign_every
        if due > started + args.seconds * 0.75:
            break
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tasks.append(asyncio.create_task(campaign(n, port, keys, feed, args.campaign_gap, samples)))
        n += 1
    await asyncio.gather(*tasks)


async def sample_lag(
    metrics: Metrics,
    tally: Tally,
    started: float,
    samples: list[tuple[float, float, float]],
) -> None:
    """The lag every 0.5 s while the load runs, and a progress line every 10 s."""
    shown_at, shown_sent = started, 0
    for tick in itertools.count(1):
        reports, seconds = await metrics.lag()
        now = time.monotonic()
        samples.append((round(now - started, 2), reports, seconds))
        if now - shown_at >= 10:
            rate = (tally.sent - shown_sent) / (now - shown_at)
            log(
                f"  {now - started:4.0f} s: {tally.sent} sent, {rate:.0f}/s, "
                f"lag {reports:.0f} reports / {seconds:.2f} s"
            )
            shown_at, shown_sent = now, tally.sent
        await asyncio.sleep(max(0.0, started + tick * 0.5 - time.monotonic()))


def _register(env: dict[str, str]) -> tuple[list[str], str]:
    """Operator keys of 40 organizations in four sectors, and a supervisor key over every
    sector for the feed; two CLI processes at a time, each takes over a second to start."""

    def operator(n: int) -> str:
        cli(env, "orgs", "create", f"op{n}", "--name", f"Op {n}", "--sector", SECTORS[n % 4])
        return cli(env, "keys", "create", "--role", "operator", "--org", f"op{n}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        keys = list(pool.map(operator, range(OPERATORS)))
    reader = cli(env, "keys", "create", "--role", "supervisor", "--name", "bench-sustained")
    return keys, reader


def _ms(values: list[float], scale: float = 1.0) -> dict[str, float | None]:
    ordered = sorted(v * scale for v in values)
    if not ordered:
        return {"p50": None, "p99": None, "max": None}
    return {
        "p50": round(percentile(ordered, 0.5), 1),
        "p99": round(percentile(ordered, 0.99), 1),
        "max": round(ordered[-1], 1),
    }


async def measure(source: Path, args: argparse.Namespace) -> dict[str, Any]:
    admin = f"postgresql://{args.postgres}/postgres"
    await _fresh_database(admin, DATABASE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWARENESS_")} | {
        "PYTHONPATH": str(source / "src"),
        "AWARENESS_DATABASE_URL": f"postgresql+asyncpg://{args.postgres}/{DATABASE}",
        "AWARENESS_LOG__LEVEL": "WARNING",
        "AWARENESS_LOG__ACCESS": "false",
        "AWARENESS_LIMITS__REQUESTS_PER_SECOND": "0",
        "AWARENESS_METRICS__TOKEN": TOKEN,
    }
    cli(env, "migrate")
    log(f"registering {OPERATORS} organizations and their keys")
    keys, reader = await asyncio.get_running_loop().run_in_executor(None, _register, env)
    port = free_port()
    server_log = Path(f"/tmp/bench-sustained-{port}.log")
    server = _serve(env, port, server_log)
    listener: asyncio.Task[None] | None = None
    seeder: asyncio.Task[None] | None = None
    try:
        metrics = Metrics(port)
        probe = Connection(port)
        for _ in range(300):
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                if (await probe.send(_request(port, "GET", "/readyz", "-")))[0] == 200:
                    break
            probe.close()
            if server.poll() is not None:
                raise BenchError(f"server exited: {tail(server_log)}")
            await asyncio.sleep(0.1)
        else:
            raise BenchError(f"server not ready: {tail(server_log)}")
        probe.close()
        reports = Reports(port, keys, seed=20261201)

        capacity: dict[str, Any] | None = None
        if args.rate:
            rate = args.rate
        else:
            reports.prepare(int(3000 * args.capacity_seconds))
            log(f"capacity: {CONNECTIONS} connections back to back for {args.capacity_seconds} s")
            capacity = await full_speed(port, reports, args.capacity_seconds)
            waited = time.monotonic()
            await metrics.until_zero("after the capacity phase")
            capacity["lag_zero_after_s"] = round(time.monotonic() - waited, 2)
            log(
                f"capacity {capacity['per_s']:.0f} reports/s (client CPU "
                f"{capacity['client_cpu_share']:.0%} of a core), lag 0 "
                f"{capacity['lag_zero_after_s']:.1f} s later"
            )
            rate = args.share * capacity["per_s"]

        feed = Feed(port, reader)
        listener = asyncio.create_task(feed.listen())
        await asyncio.sleep(0.5)  # the feed's handshake done, and no warning missed
        if listener.done():
            listener.result()
            raise BenchError("the feed closed at once")

        reports.prepare(math.floor(rate * args.seconds) + CONNECTIONS)
        log(f"sustained: {rate:.1f} reports/s for {args.seconds} s, campaigns in the middle")
        tally = Tally()
        lag_samples: list[tuple[float, float, float]] = []
        campaign_samples: list[dict[str, Any]] = []
        started, cpu = time.monotonic(), time.process_time()
        sampler = asyncio.create_task(sample_lag(metrics, tally, started, lag_samples))
        seeder = asyncio.create_task(
            seed_campaigns(args, port, keys, feed, started, campaign_samples)
        )
        try:
            await paced(port, reports, rate, args.seconds, started, tally)
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        stopped = tally.last_answer
        client_cpu = time.process_time() - cpu
        metrics.connection.close()  # it may have been cut off mid-request
        zero = await metrics.until_zero("after the load")
        drain = max(0.0, zero - stopped)
        await seeder
    finally:
        for task in (seeder, listener):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        stop_process(server)

    wall = stopped - started
    measured = [s for s in campaign_samples if "report_to_frame_ms" in s]
    failures = [f"{s['ip']}: {s['error']}" for s in campaign_samples if "error" in s]
    if tally.errors:
        failures.insert(0, f"{tally.errors} paced requests not answered 201: {tally.refusals}")
    frame_ms = _ms([s["report_to_frame_ms"] for s in measured])
    p99 = frame_ms["p99"]
    return {
        "source": str(source),
        "capacity": capacity,
        "share": args.share if not args.rate else None,
        "target_per_s": round(rate, 2),
        "seconds": args.seconds,
        "sent": tally.sent,
        "achieved_per_s": round(tally.answered / wall, 2),
        "client_cpu_share": round(client_cpu / wall, 3),
        "latency_201_ms": _ms(tally.latency, 1000),
        "lateness_ms": _ms(tally.lateness, 1000),
        "errors": tally.errors,
        "campaigns": {
            "seeded": len(campaign_samples),
            "warnings_received": len(measured),
            "report_to_frame_ms": frame_ms,
            "third_report_201_ms": _ms([s["ack_ms"] for s in measured]),
            "every_s": args.campaign_every,
            "gap_s": args.campaign_gap,
            "samples": [
                {k: round(v, 1) if isinstance(v, float) else v for k, v in s.items()}
                for s in campaign_samples
            ],
        },
        "feed_frames": feed.frames,
        "max_lag_reports": max((r for _, r, _ in lag_samples), default=None),
        "max_lag_seconds": max((s for _, _, s in lag_samples), default=None),
        "lag_samples": lag_samples,
        "lag_zero_after_stop_s": round(drain, 3),
        "failures": failures,
        "verdicts": {
            "report_to_frame_p99": p99 is not None and p99 < TARGET_P99_MS,
            "lag_zero_after_stop": drain <= TARGET_DRAIN_S,
        },
    }


def summarize(run: dict[str, Any]) -> None:
    capacity = run["capacity"]
    frames = run["campaigns"]["report_to_frame_ms"]
    verdicts = run["verdicts"]

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = [
        f"server from {run['source']}",
        "capacity: "
        + (
            f"{capacity['per_s']:.0f} single reports/s ({capacity['requests']} in "
            f"{capacity['seconds']} s)"
            if capacity
            else "not measured (--rate)"
        ),
        f"target {run['target_per_s']:.1f} reports/s, achieved {run['achieved_per_s']:.1f} "
        f"({run['sent']} in {run['seconds']} s); client CPU {run['client_cpu_share']:.0%} of a "
        f"core; lateness p99 {run['lateness_ms']['p99']} ms",
        f"201 latency: p50 {run['latency_201_ms']['p50']} ms, p99 {run['latency_201_ms']['p99']}"
        f" ms, max {run['latency_201_ms']['max']} ms",
        f"campaigns: {run['campaigns']['warnings_received']}/{run['campaigns']['seeded']} "
        f"warnings; report-to-frame p50 {frames['p50']} ms, p99 {frames['p99']} ms, max "
        f"{frames['max']} ms (third report's 201 p99 "
        f"{run['campaigns']['third_report_201_ms']['p99']} ms)",
        f"max lag during the load: {run['max_lag_reports']:.0f} reports, "
        f"{run['max_lag_seconds']:.2f} s",
        f"lag 0 {run['lag_zero_after_stop_s']:.2f} s after the last answer",
        f"verdict: report-to-frame p99 < {TARGET_P99_MS:.0f} ms "
        f"{met(verdicts['report_to_frame_p99'])}; lag 0 within {TARGET_DRAIN_S:.0f} s "
        f"{met(verdicts['lag_zero_after_stop'])}",
    ]
    lines += [f"FAILURE: {failure}" for failure in run["failures"]]
    for line in lines:
        log(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="sustained phase")
    parser.add_argument("--capacity-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, help="reports/s; skips the capacity phase")
    parser.add_argument("--share", type=float, default=0.5, help="of the capacity")
    parser.add_argument("--campaign-every", type=float, default=1.0, help="seconds")
    parser.add_argument("--campaign-gap", type=float, default=0.3, help="seconds")
    parser.add_argument("--source", type=Path, action="append")
    parser.add_argument("--postgres", default="postgres@127.0.0.1:5432")
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    status = 0
    for source in args.source or [ROOT]:
        log(f"sustained load, server from {source}")
        try:
            run = asyncio.run(measure(source, args))
        except (BenchError, OSError, asyncio.IncompleteReadError) as exc:
            log(f"FAILURE: {exc}")
            status = 1
            continue
        except KeyboardInterrupt:
            log("interrupted; the server is stopped")
            return 130
        runs.append(run)
        summarize(run)
        if run["failures"]:
            status = 1
        elif not all(run["verdicts"].values()) and status == 0:
            status = 2
    if runs:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"sustained-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
        result = {
            "benchmark": "correlator/sustained",
            "versions": versions("asyncpg", "websockets"),
            "git": git_state(),
            "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
            | {"source": [str(s) for s in args.source or [ROOT]]},
            "targets": {
                "report_to_frame_p99_ms": TARGET_P99_MS,
                "lag_zero_within_s": TARGET_DRAIN_S,
            },
            "runs": runs,
        }
        path.write_text(json.dumps(result, indent=2) + "\n")
        log(f"results in {path.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
