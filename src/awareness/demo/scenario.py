"""The demo's scenario, played through the public API as operators would: background noise,
then a coordinated campaign against one sector that exploits a remote-access appliance, then
calm. Time is injected (`now`, `sleep`), so a test plays it in an instant."""

from __future__ import annotations

import itertools
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from awareness.demo.cast import Operator, Product

# Scoring windows shrunk so a demo minute plays like hours: escalation within a minute, calm
# within a few. Applied as settings overrides by `awareness demo` (never in production).
COMPRESSED_TIME: dict[str, Any] = {
    "scoring": {
        "half_life_hours": 0.04,
        "floors": {"window_hours": 0.05},
        "campaign": {"window_hours": 0.05},
        "hysteresis": {"min_hold_minutes": 1.0, "evaluation_interval_seconds": 5.0},
        "exposure": {"dedup_days": 0.003, "lookback_days": 0.003},
    },
    "correlator": {"tick_grace_seconds": 1.0},
}
# The attackers' infrastructure: public addresses (from a range often seen in real reports).
ATTACKER_ADDRESSES = [f"185.220.101.{n}" for n in (47, 83, 112, 158, 201)]
NOISE_KINDS = [
    ("phishing", "none", "business_dmz"),
    ("phishing", "no_impact_to_services", "business_network"),
    ("malware", "minimal_non_critical", "business_network"),
    ("other", "no_impact_to_services", "business_dmz"),
]
ESCALATION = [
    ("intrusion", "minimal_critical", "business_network", "suspected", "regular"),
    ("intrusion", "significant_non_critical", "critical_system_dmz", "suspected", "supplemented"),
    ("ransomware", "significant_critical", "critical_systems", "proprietary_breach", "extended"),
    ("ransomware", "denial_critical", "critical_systems", "destruction_critical", "extended"),
    ("ransomware", "denial_critical", "safety_systems", "destruction_critical", "not_recoverable"),
]


@dataclass(frozen=True)
class Timing:
    """Seconds between the scenario's steps; `awareness demo --speed` divides them."""

    noise_every: float = 4.0
    lead_in: float = 15.0
    campaign_step: float = 6.0
    calm: float = 360.0

    def scaled(self, speed: float) -> Timing:
        return Timing(*(value / speed for value in vars(self).values()))


class Scenario:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        operators: list[Operator],
        keys: dict[str, dict[str, str]],
        exploited: Product,
        now: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
        say: Callable[[str], None],
        timing: Timing,
        seed: int = 7,
    ) -> None:
        self.http, self.operators, self.keys = http, operators, keys
        self.exploited, self.now, self.sleep, self.say = exploited, now, sleep, say
        self.timing = timing
        self.rng = random.Random(seed)
        self._serial = itertools.count(1)

    async def register(self) -> None:
        """Every operator reports its inventory (one batch each)."""
        for operator in self.operators:
            response = await self.http.post(
                "/v1/assets/batch",
                json={"assets": operator.assets},
                headers=self.keys[operator.org_id],
            )
            response.raise_for_status()
        count = sum(len(o.assets) for o in self.operators)
        self.say(f"{len(self.operators)} operators reported {count} assets")

    async def report(self, operator: Operator, body: dict[str, Any]) -> None:
        body = {"detected_at": self.now().isoformat(), **body}
        response = await self.http.post(
            "/v1/incidents", json=body, headers=self.keys[operator.org_id]
        )
        response.raise_for_status()

    async def noise(self, seconds: float) -> None:
        """Unrelated, low-impact reports for `seconds`: the background every CERT sees."""
        waited = 0.0
        while waited < seconds:
            operator = self.rng.choice(self.operators)
            category, impact, location = self.rng.choice(NOISE_KINDS)
            serial = next(self._serial)
            await self.report(
                operator,
                {
                    "category": category,
                    "functional_impact": impact,
                    "location": location,
                    "indicators": [
                        {"type": "domain", "value": f"login-verify-{serial}.biz"},
                        {"type": "ipv4", "value": f"10.{serial % 250}.{serial % 7}.{serial % 200}"},
                    ],
                    "summary": "Phishing wave against staff mailboxes; blocked at the gateway",
                    "tlp": "green",
                },
            )
            step = self.timing.noise_every * self.rng.uniform(0.5, 1.5)
            await self.sleep(step)
            waited += step

    async def campaign(self, sector: str) -> None:
        """Operators of `sector` report one after another what is one intrusion set: the same
        attacker address, the same exploited CVE, each time worse."""
        targets = [o for o in self.operators if o.sector == sector]
        self.rng.shuffle(targets)
        address = self.rng.choice(ATTACKER_ADDRESSES)
        cve = self.exploited.kev[-1] if self.exploited.kev else self.exploited.cves[0]
        self.say(f"campaign against {sector}: {address} exploiting {cve} in "
                 f"{self.exploited.vendor} {self.exploited.product}")  # fmt: skip
        for step, (operator, shape) in enumerate(zip(targets, ESCALATION, strict=False), start=1):
            category, impact, location, information, recovery = shape
            asset = operator.asset_running(self.exploited)
            await self.report(
                operator,
                {
                    "category": category,
                    "functional_impact": impact,
                    "location": location,
                    "information_impact": information,
                    "recoverability": recovery,
                    "affected_assets": [asset] if asset else [],
                    "indicators": [
                        {"type": "ipv4", "value": address},
                        {"type": "cve", "value": cve},
                    ],
                    "summary": f"VPN appliance exploited ({cve}); lateral movement towards OT",
                    "tlp": "amber",
                    "reference": f"{operator.org_id.upper()}-{next(self._serial)}",
                },
            )
            self.say(f"  {operator.name} reports {category} ({impact}), step {step}")
            await self.sleep(self.timing.campaign_step)

    async def cycle(self, sector: str) -> None:
        await self.noise(self.timing.lead_in)
        await self.campaign(sector)
        self.say("calm: only background noise while levels come down")
        await self.noise(self.timing.calm)
