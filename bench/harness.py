"""What every benchmark driver shares: progress lines, its error type, a free port, stopping a
server it started, and the versions and commit its results were measured with."""

from __future__ import annotations

import signal
import socket
import subprocess
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
