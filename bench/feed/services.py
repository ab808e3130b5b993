"""The servers, the database and the client processes the benchmark starts, and their undoing:
nothing it started may outlive it and skew the next measurement, whatever stops it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clients import Clients
from cpu import process_cpu, process_cpu_precise

from harness import ROOT, BenchError, log, stop_process, tail


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
        return tail(self.log_path, lines)

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
        # The clients share one key (a board per client would each have its own); the
        # per-key cap on feed sockets is not what is measured here.
        "AWARENESS_FEED__MAX_SOCKETS_PER_KEY": "100000",
    }
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep or not key.startswith("AWARENESS_"):
            raise BenchError(f"--awareness-env wants AWARENESS_KEY=VALUE, got {item!r}")
        env[key] = value
    return env


def log_problems(server: Server) -> list[str]:
    """Lines the server logged at warning level or above."""
    try:
        lines = server.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    markers = ('"level": "warning"', '"level": "error"', '"level": "critical"', "Traceback")
    return [line[:400] for line in lines if any(m in line.lower() for m in markers)]


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
