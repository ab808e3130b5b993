"""The bodies both servers are sent: realistic reports, written fresh before every run so that
`detected_at` stays a minute old and inside awareness's "not more than 5 minutes ahead" rule."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_WORDS = [
    "update",
    "check",
    "cdn",
    "telemetry",
    "sync",
    "portal",
    "vpn",
    "login",
    "secure",
    "mail",
    "files",
    "relay",
    "static",
    "api",
    "edge",
    "auth",
    "backup",
    "grid",
    "ops",
    "status",
]
_CATEGORIES = ["intrusion", "malware", "phishing", "ransomware", "ddos", "supply_chain"]
_FUNCTIONAL = [
    "no_impact_to_services",
    "minimal_non_critical",
    "minimal_critical",
    "significant_non_critical",
]
_INFORMATION = ["none", "suspected", "credential_compromise", "proprietary_breach"]
_LOCATIONS = ["business_network", "business_dmz", "critical_system_dmz", "critical_systems"]
_SUMMARIES = [
    "Unexpected SMB sessions from the historian to an engineering workstation, followed by "
    "outbound TLS to a domain first seen today.",
    "EDR quarantined a signed-looking updater on two HMIs; the binary beacons every 60 s.",
    "Spear-phishing wave against control-room staff impersonating the turbine vendor's support "
    "portal; three users entered credentials.",
    "Volumetric traffic against the customer portal from a few hundred addresses; scrubbing "
    "engaged, no impact on operations.",
    "Remote maintenance account used outside its window from an address in a hosting range.",
]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def make_incident(rng: random.Random, detected_at: datetime, serial: int) -> dict[str, Any]:
    occurred_at = detected_at - timedelta(minutes=rng.randint(5, 240))
    domain = f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}{rng.randint(1, 99)}.example.net"
    return {
        "detected_at": iso(detected_at),
        "occurred_at": iso(occurred_at),
        "category": rng.choice(_CATEGORIES),
        "functional_impact": rng.choice(_FUNCTIONAL),
        "information_impact": rng.choice(_INFORMATION),
        "recoverability": "supplemented",
        "location": rng.choice(_LOCATIONS),
        "indicators": [
            {"type": "ipv4", "value": f"203.0.113.{rng.randint(1, 254)}"},
            {"type": "domain", "value": domain},
            {"type": "sha256", "value": f"{rng.getrandbits(256):064x}"},
        ],
        "summary": rng.choice(_SUMMARIES),
        "tlp": "amber",
        "reference": f"GN-2026-{serial:06d}",
    }


def write_bodies(path: Path, *, batch_size: int, count: int, seed: int) -> list[str]:
    """`count` distinct bodies, one per line; batch_size 0 means single reports."""
    rng = random.Random(seed)
    detected_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    lines = []
    serial = 0
    for _ in range(count):
        if batch_size == 0:
            serial += 1
            body: Any = make_incident(rng, detected_at, serial)
        else:
            items = []
            for _ in range(batch_size):
                serial += 1
                items.append(make_incident(rng, detected_at, serial))
            body = {"incidents": items}
        lines.append(json.dumps(body, separators=(",", ":")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines
