"""The load generator: wrk with post.lua, the same script and flags for both servers, so that the
requests are byte-for-byte alike but for the port."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

from harness import BenchError

LUA = Path(__file__).resolve().parent / "post.lua"
WRK_INSTALL = "install it with: apt-get install -y wrk   (Debian/Ubuntu package 'wrk')"


def wrk_version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (out.stdout + out.stderr).splitlines()[0].strip() if (out.stdout + out.stderr) else "?"


def run_wrk(
    args: argparse.Namespace, url: str, body_file: Path, key: str, connections: int, duration: int
) -> dict[str, Any]:
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{connections}",
        f"-d{duration}s",
        f"--timeout={args.wrk_timeout}s",
        "-H",
        f"Authorization: Bearer {key}",
        "-s",
        str(LUA),
        url,
        "--",
        str(body_file),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({proc.returncode}): {url}\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["stderr"] = [x for x in proc.stderr.splitlines() if x.strip()][:10]
    return result
