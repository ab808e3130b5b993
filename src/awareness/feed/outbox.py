"""One client's outgoing frames. A frame is written at once when the client keeps up: its send
runs to completion inside the broadcaster's loop, as long as the connection can take bytes
(uvicorn's WebSocket protocol then writes without ever waiting). Only a client that cannot
take more gets a backlog and a task that drains it, and the backlog is bounded: past it the
client is cut, so nobody waits for anyone."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, Protocol

Send = Callable[[dict[str, Any]], Awaitable[None]]
# Writes one text frame's UTF-8 bytes to the socket at once, as `websockets.broadcast` does;
# False when it cannot right now (paused, closing), and the frame takes the ASGI path instead.
Write = Callable[[bytes], bool]


class Tally(Protocol):
    """Frames sent, counted as a plain integer: it is bumped once per frame per client."""

    value: int


class Outbox:
    """Frames in order, each at most once (`seq` at or below the last sent is dropped)."""

    def __init__(
        self,
        send: Send,
        *,
        limit: int,
        sent: Tally,
        on_full: Callable[[], None],
        on_broken: Callable[[], None],
        write: Write | None = None,
    ) -> None:
        self._send = send
        self._write = write
        self._limit = limit
        self._sent_tally = sent
        self._on_full, self._on_broken = on_full, on_broken
        self._backlog: deque[tuple[int | None, str]] = deque()
        self._draining: asyncio.Task[None] | None = None
        self._live = False
        self.closed = False
        self.last_sent = 0

    def offer(self, seq: int | None, text: str, data: bytes | None = None) -> bool:
        """Send or queue one frame (`data`: the text already encoded, when the caller sends
        the same frame to many clients); False once the client is cut or gone."""
        if self._live and self._draining is None and not self._backlog and not self.closed:
            if seq is not None and seq <= self.last_sent:
                return True
            if self._write is not None and self._write(data or text.encode()):
                self._sent(seq)
                return True
            self._write_now(seq, text)
            return not self.closed
        if self.closed:
            return False
        if len(self._backlog) >= self._limit:
            self.closed = True
            self._on_full()
            return False
        self._backlog.append((seq, text))
        return True

    def go_live(self, last_sent: int) -> None:
        """The replay is over: frames queued meanwhile go out first, then frames go straight."""
        self.last_sent = max(self.last_sent, last_sent)
        self._live = True
        if self._backlog and self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(self._drain())

    async def close(self) -> None:
        self.closed = True
        if self._draining is not None:
            self._draining.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._draining

    def _write_now(self, seq: int | None, text: str) -> None:
        if seq is not None and seq <= self.last_sent:
            return
        sending: Coroutine[Any, Any, None] = self._send(  # type: ignore[assignment]
            {"type": "websocket.send", "text": text}
        )
        try:
            waiting = sending.send(None)
        except StopIteration:
            self._sent(seq)
            return
        except Exception:
            sending.close()
            self.closed = True
            self._on_broken()
            return
        # The connection is paused (its buffer is full): finish this frame in a task and
        # queue what follows until the client catches up.
        self._draining = asyncio.get_running_loop().create_task(self._finish(sending, waiting, seq))

    async def _finish(
        self, sending: Coroutine[Any, Any, None], waiting: Any, seq: int | None
    ) -> None:
        try:
            await _resume(sending, waiting)
            self._sent(seq)
        except Exception:
            self.closed = True
            self._on_broken()
            return
        finally:
            sending.close()
        await self._drain()

    async def _drain(self) -> None:
        try:
            while self._backlog and not self.closed:
                seq, text = self._backlog.popleft()
                if seq is not None and seq <= self.last_sent:
                    continue
                await self._send({"type": "websocket.send", "text": text})
                self._sent(seq)
        except Exception:
            self.closed = True
            self._on_broken()
        finally:
            self._draining = None

    def _sent(self, seq: int | None) -> None:
        if seq is not None:
            self.last_sent = seq
        self._sent_tally.value += 1


async def _resume(sending: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Carry on a coroutine that was started by hand and stopped at an await, the way a task
    would: wait for what it yielded, then resume it, until it returns."""
    while True:
        try:
            if waiting is None:
                await asyncio.sleep(0)
            else:
                await _Yield(waiting)
        except BaseException as exc:  # pass cancellation and errors into the coroutine
            try:
                waiting = sending.throw(exc)
            except StopIteration:
                return
            continue
        try:
            waiting = sending.send(None)
        except StopIteration:
            return


class _Yield:
    """Awaits exactly what a coroutine yielded (an asyncio future) on its behalf."""

    def __init__(self, future: Any) -> None:
        self._future = future

    def __await__(self) -> Generator[Any, None, Any]:
        return (yield self._future)
