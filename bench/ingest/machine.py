"""Where the 2 shared cores' time went during a run (server, PostgreSQL, wrk, everyone else), and
waiting for them to go idle, so that a neighbour's load or a server's leftover work is seen."""

from __future__ import annotations

import resource
import time

from launch import Server

from harness import machine_jiffies, postgres_cpu_seconds

machine_busy = machine_jiffies


def children_cpu_seconds() -> float:
    """CPU time of this driver's finished children (wrk runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
