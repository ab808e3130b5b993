"""Ending a background loop politely: ask it to stop at its next safe point, and cancel it only
if it does not within ten seconds (longer than a batch or a read takes, shorter than an
orchestrator waits). A task cancelled in the middle of a database call leaves the driver
(aiosqlite's thread, an asyncpg query) with nowhere to answer."""

from __future__ import annotations

import asyncio
import contextlib


async def stop_politely(
    task: asyncio.Task[None] | None, *, stop: asyncio.Event, wake: asyncio.Event
) -> None:
    if task is None:
        return
    stop.set()
    wake.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), 10)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
