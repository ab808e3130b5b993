"""The two servers under test, started the same way as subprocesses on fresh databases, so that
they differ only in the code that serves the request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import BenchError, free_port, log, stop_process, tail

if TYPE_CHECKING:
    from state import Bench

BARE_APP = Path(__file__).resolve().parent / "bare_app.py"


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
        return tail(self.log_path, lines)

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


def has_correlator() -> bool:
    """Whether this awareness has the in-process correlator (and so its setting)."""
    try:
        from awareness.settings import Settings
    except ImportError:
        return False
    return "correlator" in Settings.model_fields


def create_databases(bench: Bench) -> None:
    for name in ("bare", "awareness"):
        db = f"bench_ingest_{name}_{bench.stamp}_{os.getpid()}"
        bench.pg.query(bench.pg.admin_db, f'CREATE DATABASE "{db}"')
        bench.databases.append(db)
        bench.servers[name] = Server(
            name=name, port=free_port(), db=db, log_path=bench.workdir / f"{name}.log"
        )
    log("databases: " + ", ".join(bench.databases))


def awareness_env(bench: Bench, db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWARENESS_")}
    env["AWARENESS_DATABASE_URL"] = bench.pg.url(db)
    env["AWARENESS_LIMITS__REQUESTS_PER_SECOND"] = "0"
    if has_correlator():
        env["AWARENESS_CORRELATOR__ENABLED"] = "true" if bench.args.correlator == "on" else "false"
    for item in bench.args.awareness_env:
        key, _, value = item.partition("=")
        env[key] = value
    return env


def start_servers(bench: Bench) -> None:
    bare = bench.servers["bare"]
    bare.start(
        [
            sys.executable,
            str(BARE_APP),
            "--dsn",
            bench.pg.dsn(bare.db),
            "--port",
            str(bare.port),
        ],
        env={k: v for k, v in os.environ.items() if not k.startswith("AWARENESS_")},
        cwd=bench.workdir,
    )
    aw = bench.servers["awareness"]
    env = awareness_env(bench, aw.db)
    aw.start([bench.args.awareness, "serve", "--port", str(aw.port)], env=env, cwd=bench.workdir)
    for server in (bare, aw):
        server.wait_ready()
        log(f"{server.name} ready on {server.base} (pid {server.proc.pid})")  # type: ignore[union-attr]

    def cli(*words: str) -> str:
        done = subprocess.run(
            [bench.args.awareness, *words],
            env=env,
            cwd=bench.workdir,
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
