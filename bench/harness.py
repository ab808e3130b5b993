"""What every benchmark driver shares: progress lines, its error type, a free port, the
PostgreSQL server it borrows, a server's log and stopping it, where the machine's CPU time went,
and the versions and commit its results were measured with."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class BenchError(Exception):
    pass


def log(message: str) -> None:
    print(f"[{datetime.now().astimezone():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Postgres:
    """The PostgreSQL server a run borrows; each driver adds the calls it makes to it."""

    host: str
    port: int
    user: str
    admin_db: str

    def dsn(self, db: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{db}"

    def url(self, db: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{db}"


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


def tail(path: Path, lines: int = 30) -> str:
    """The end of a server's log, for an error that says why it did not start."""
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def machine_jiffies() -> tuple[int, int]:
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


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    """Gracefully, then by force: a server left running would skew the next measurement."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def versions(*names: str) -> dict[str, str]:
    found = {}
    for name in ("awareness", *names):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_state() -> dict[str, Any]:
    """The commit measured and how many files of the service had uncommitted changes
    (read-only git calls)."""

    def git(*words: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *words], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = git("status", "--porcelain", "--", "src", "migrations", "config")
    return {
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_files": len(changed.splitlines()) if changed else 0,
    }
