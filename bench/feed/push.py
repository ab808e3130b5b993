"""One measured run of one server: the same schedule of events and the same accounting for
every server, so that the figures of a round compare."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from clients import Clients
from cpu import machine_busy, postgres_cpu, process_cpu
from report import percentile
from services import Server, send_queue

from harness import BenchError

FILL_SECTOR = "chemical"  # the stalled client's extra traffic; no measured client follows it


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
