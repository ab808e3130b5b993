"""Report-to-push of a campaign warning: how soon a supervisor sees the warning that a third
organization's report raises, the path the service exists for."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from push import Bench
from report import percentile

from harness import BenchError, log


async def campaigns(
    args: argparse.Namespace, bench: Bench, operator_keys: list[str]
) -> dict[str, Any]:
    import httpx
    from websockets.asyncio.client import connect

    server = bench.awareness
    if args.campaign_clients:
        await bench.connect(server, args.campaign_clients)
    arrived: dict[str, float] = {}
    waiting: dict[str, asyncio.Event] = {}
    ws = await connect(
        server.feed_url,
        additional_headers={"Authorization": f"Bearer {bench.all_key}"},
        compression=None,
        proxy=None,
        max_size=1 << 22,
    )

    async def listen() -> None:
        async for message in ws:
            now = time.monotonic()
            frame = json.loads(message)
            data = frame.get("data") or {}
            if frame.get("type") == "warning" and data.get("kind") == "campaign":
                value = ((data.get("evidence") or {}).get("indicator") or {}).get("value")
                if value is not None and value not in arrived:
                    arrived[value] = now
                    if value in waiting:
                        waiting[value].set()

    listener = asyncio.create_task(listen())
    samples: list[dict[str, float]] = []
    failures: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=server.base, trust_env=False, timeout=30) as http:

            async def post(key: str, ip: str) -> int:
                body = {
                    "detected_at": datetime.now(UTC).isoformat(),
                    "category": "intrusion",
                    "functional_impact": "minimal_critical",
                    "indicators": [{"type": "ipv4", "value": ip}],
                }
                response = await http.post(
                    "/v1/incidents", json=body, headers={"Authorization": f"Bearer {key}"}
                )
                if response.status_code != 201:
                    raise BenchError(f"POST /v1/incidents: {response.status_code} {response.text}")
                return response.status_code

            for i in range(args.campaigns):
                ip = f"185.220.101.{args.campaign_first_octet + i}"
                await post(operator_keys[0], ip)
                await post(operator_keys[1], ip)
                # Let the correlator finish with the first two before the measured report.
                await asyncio.sleep(args.campaign_gap)
                waiting[ip] = asyncio.Event()
                t0 = time.monotonic()
                await post(operator_keys[2], ip)
                acked = time.monotonic()
                try:
                    await asyncio.wait_for(waiting[ip].wait(), args.drain_timeout)
                except TimeoutError:
                    failures.append(ip)
                    log(f"  campaign {i + 1}: no campaign warning for {ip} within timeout")
                    continue
                samples.append(
                    {
                        "total_ms": (arrived[ip] - t0) * 1000,
                        "ack_ms": (acked - t0) * 1000,
                        "after_ack_ms": (arrived[ip] - acked) * 1000,
                    }
                )
                if (i + 1) % 5 == 0 or i + 1 == args.campaigns:
                    log(
                        f"  campaign {i + 1}/{args.campaigns}: report-to-push "
                        f"{samples[-1]['total_ms']:.1f} ms (201 after {samples[-1]['ack_ms']:.1f})"
                    )
                await asyncio.sleep(args.campaign_pause)
    finally:
        listener.cancel()
        with contextlib.suppress(BaseException):
            await listener
        await ws.close()
        if args.campaign_clients:
            await bench.clients.each("close")

    def stats(name: str) -> dict[str, float | None]:
        values = sorted(s[name] for s in samples)
        return {
            "p50": round(percentile(values, 0.5), 2) if values else None,
            "p99": round(percentile(values, 0.99), 2) if values else None,
            "max": round(values[-1], 2) if values else None,
        }

    return {
        "repetitions": args.campaigns,
        "warnings_received": len(samples),
        "missing": failures,
        "other_clients_connected": args.campaign_clients,
        "report_to_push_ms": stats("total_ms"),
        "post_to_201_ms": stats("ack_ms"),
        "201_to_push_ms": stats("after_ack_ms"),
        "samples": [{k: round(v, 2) for k, v in s.items()} for s in samples],
    }
