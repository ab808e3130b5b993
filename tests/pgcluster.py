"""A private, throw-away PostgreSQL cluster for end-to-end tests that must stop and start the
database under a running service (an outage). The shared test server cannot be used for that:
stopping it would break every other test, and it may not even be ours to stop.

initdb refuses to run as root, so as root every command runs as the `postgres` user (through
`runuser` or `su`) in a temporary directory that user owns."""

from __future__ import annotations

import asyncio
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg
import pytest

from tests.servers import free_port

SUPERUSER = "postgres"
ENABLE_HINT = (
    "install the PostgreSQL server binaries (initdb, pg_ctl, createdb on PATH or under "
    "/usr/lib/postgresql/<version>/bin) and, when running as root, a `postgres` system user "
    "with `runuser` or `su` available"
)


class ClusterUnavailable(Exception):
    """This machine cannot run a private cluster; the message says why."""


def _version(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name)) or (0,)


def find_bin_dir() -> Path:
    """The directory holding initdb and pg_ctl of one installation: PATH first, then the newest
    of Debian's /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path is not None:
        candidates.append(Path(on_path).resolve().parent)
    installed = [p / "bin" for p in Path("/usr/lib/postgresql").glob("*") if (p / "bin").is_dir()]
    candidates += sorted(installed, key=_version, reverse=True)
    for bin_dir in candidates:
        if all((bin_dir / tool).is_file() for tool in ("initdb", "pg_ctl", "createdb")):
            return bin_dir
    raise ClusterUnavailable("no initdb/pg_ctl/createdb found")


def _runner() -> tuple[list[str], pwd.struct_passwd | None]:
    """How to run a command as a user initdb accepts: directly unless we are root."""
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise ClusterUnavailable(f"running as root and there is no `{SUPERUSER}` user") from None
    runuser = shutil.which("runuser")
    if runuser is not None:
        return [runuser, "-u", SUPERUSER, "--"], user
    su = shutil.which("su")
    if su is not None:
        return [su, SUPERUSER, "-s", "/bin/sh", "-c"], user
    raise ClusterUnavailable("running as root and neither `runuser` nor `su` is available")


class PgCluster:
    """One cluster on a free port of 127.0.0.1, trust authentication, superuser `postgres`; it
    keeps its port across stop and start, so a client's URL stays valid through an outage."""

    def __init__(self) -> None:
        self.bin_dir = find_bin_dir()
        self._prefix, user = _runner()
        self.root = Path(tempfile.mkdtemp(prefix="awareness-pg-"))
        if user is not None:
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.port = free_port()
        self.running = False

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self._prefix and self._prefix[-1] == "-c":  # su takes one shell command line
            command = [*self._prefix, shlex.join(command)]
        else:
            command = [*self._prefix, *command]
        result = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            log = self.log_path.read_text()[-2000:] if self.log_path.exists() else ""
            raise ClusterUnavailable(
                f"{tool} {' '.join(args)} failed ({result.returncode}): "
                f"{result.stdout}{result.stderr}{log}"
            )

    def init(self) -> None:
        # No fsync: this cluster is for outages (clean stops), never for crash durability.
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c unix_socket_directories={self.root}"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options,
            "-w", "-t", "30", "start",
        )  # fmt: skip
        self.running = True

    def stop(self) -> None:
        """`-m fast`: every session is cut at once, as when a database fails over."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")
        self.running = False

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name)
        return self.url(name)

    @classmethod
    def started(cls) -> PgCluster:
        """A new cluster, initialized and running; `ClusterUnavailable` (with nothing left
        behind) if this machine cannot make one."""
        cluster = cls()
        try:
            cluster.init()
            cluster.start()
        except BaseException:
            cluster.destroy()
            raise
        return cluster

    async def wait_for_lock_waiters(self, application: str, count: int) -> None:
        """Until `count` statements of `application` wait on a lock: then they are surely in
        flight inside PostgreSQL, not merely sent."""
        watcher = await asyncpg.connect(self.url("postgres").replace("+asyncpg", ""))
        try:
            async with asyncio.timeout(15):
                while True:
                    waiting = await watcher.fetchval(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE application_name = $1 AND wait_event_type = 'Lock'",
                        application,
                    )
                    if waiting >= count:
                        return
                    await asyncio.sleep(0.05)
        finally:
            await watcher.close()

    def destroy(self) -> None:
        try:
            if self.running:
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def started_or_skip() -> PgCluster:
    """A started cluster, or the test skipped saying how to enable it; a failure instead when
    AWARENESS_REQUIRE_POSTGRES=1, as for the shared PostgreSQL."""
    try:
        return PgCluster.started()
    except ClusterUnavailable as exc:
        message = f"cannot run a private PostgreSQL cluster ({exc}); to enable: {ENABLE_HINT}."
        if os.environ.get("AWARENESS_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " AWARENESS_REQUIRE_POSTGRES=1 makes this mandatory.")
        pytest.skip(message)
