"""Limits on the wire, held against a real server process: endless headers, idle sockets and a
flood of connections cost a bounded amount of memory, and every other client is still served."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import ServerProcess

pytestmark = pytest.mark.slow

PAD = b"X-Pad: " + b"a" * 8000 + b"\r\n"


def _rss(server: ServerProcess) -> int:
    """Resident memory of the server process, in bytes."""
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


async def _endless_headers(port: int, until: float, answers: list[bytes]) -> None:
    """One attacker socket: a request line, then header lines that never end until the server
    answers; reconnects when it hangs up, as an attacker would."""
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        answer = asyncio.create_task(reader.read(200))
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            while time.monotonic() < until and not answer.done():
                writer.write(PAD)
                await writer.drain()
                await asyncio.sleep(0)
        except OSError:
            pass
        try:
            answers.append(await asyncio.wait_for(answer, 1))
        except (TimeoutError, OSError):
            answer.cancel()
        writer.close()
        await asyncio.sleep(0.01)


async def _health_probe(url: str, until: float) -> list[float]:
    """/healthz answered throughout: the slowest answer per probe, in seconds."""
    latencies = []
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        while time.monotonic() < until:
            started = time.monotonic()
            response = await client.get("/healthz")
            assert response.status_code == 200, response.text
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(0.2)
    return latencies


async def test_endless_headers_from_50_sockets_cost_little_memory(
    sqlite_url: str, tmp_path: Path
) -> None:
    with ServerProcess(sqlite_url, log_path=tmp_path / "server.log") as server:
        before = _rss(server)
        until = time.monotonic() + 10
        answers: list[bytes] = []
        attackers = [_endless_headers(server.port, until, answers) for _ in range(50)]
        _, latencies = await asyncio.gather(
            asyncio.gather(*attackers), _health_probe(server.url, until)
        )
        grown = _rss(server) - before
    assert grown < 100 * 2**20, f"the process grew by {grown / 2**20:.0f} MB"
    assert len(latencies) >= 20, latencies
    assert max(latencies) < 2, latencies
    assert answers
    assert all(a.startswith(b"HTTP/1.1 431") for a in answers if a), answers[:3]


async def test_a_socket_that_never_finishes_its_headers_is_closed(
    sqlite_url: str, tmp_path: Path
) -> None:
    with ServerProcess(
        sqlite_url, log_path=tmp_path / "server.log", AWARENESS_SERVER__HEADER_TIMEOUT_SECONDS="1"
    ) as server:
        silent = await asyncio.open_connection("127.0.0.1", server.port)
        slow = await asyncio.open_connection("127.0.0.1", server.port)
        slow[1].write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        answers = [await asyncio.wait_for(s[0].read(), 5) for s in (silent, slow)]
        waited = time.monotonic() - started
        for _, writer in (silent, slow):
            writer.close()
        assert waited < 3
        assert all(a.startswith(b"HTTP/1.1 408") for a in answers), answers


async def test_connections_over_the_cap_are_answered_503_and_closed(
    sqlite_url: str, tmp_path: Path
) -> None:
    with ServerProcess(
        sqlite_url, log_path=tmp_path / "server.log", AWARENESS_SERVER__MAX_CONNECTIONS="20"
    ) as server:
        held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(20)]
        reader, refused = await asyncio.open_connection("127.0.0.1", server.port)
        answer = await asyncio.wait_for(reader.read(), 5)
        refused.close()
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert b"retry-after: 1" in answer.lower()
        for _, writer in held:
            writer.close()
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.get("/healthz")).status_code == 200
