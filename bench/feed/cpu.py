"""CPU time from /proc: a server is charged only its own threads' run time, while the rest of
the machine (PostgreSQL, the clients, the driver, a busy neighbour) is accounted for apart."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from harness import machine_jiffies, postgres_cpu_seconds

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
    return machine_jiffies()[0] / TICK


postgres_cpu = postgres_cpu_seconds
