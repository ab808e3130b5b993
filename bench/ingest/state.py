"""What one benchmark gathers, in one place, so that setup, runs, checks and results share it and
the clean-up finds every server and database however far the benchmark got."""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from database import Postgres
from launch import Server


@dataclass
class Bench:
    args: argparse.Namespace
    pg: Postgres
    workdir: Path
    stamp: str
    servers: dict[str, Server] = field(default_factory=dict)
    databases: list[str] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    hand_checks: dict[str, Any] = field(default_factory=dict)
    checked_reports: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    profiles: dict[str, Any] = field(default_factory=dict)
