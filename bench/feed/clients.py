"""The feed's clients, in processes of their own so that they never share a server's event loop;
each notes when every frame reached it, on the clock the driver stamps the events with."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import multiprocessing.connection
import re
import resource
import signal
import socket
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

from cpu import process_cpu

from harness import BenchError

TOO_SLOW = 1013
HEARTBEAT_PREFIX = '{"type":"heartbeat"'
SEQ = re.compile(r'"seq":(\d+)')


def raise_open_files(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def uvloop_factory() -> Any:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


@dataclass(eq=False)
class ClientRecord:
    seqs: array = field(default_factory=lambda: array("q"))
    times: array = field(default_factory=lambda: array("d"))  # bytes reached the process
    recv_times: array = field(default_factory=lambda: array("d"))  # recv() returned
    chars: int = 0
    heartbeats: int = 0
    other: int = 0
    last_seq: int = -1
    closed: bool = False
    close_code: int | None = None
    close_reason: str | None = None
    ws: Any = None
    task: asyncio.Task[None] | None = None


def stamped_connection() -> type:
    """websockets' client connection, noting when bytes last reached it (`data_received`, the
    event loop's callback, runs before any task is woken): the arrival time of a frame, free of
    this process's own task scheduling among its hundreds of clients."""
    from websockets.asyncio.client import ClientConnection

    class StampedConnection(ClientConnection):
        arrived = 0.0

        def data_received(self, data: bytes) -> None:
            self.arrived = time.monotonic()
            super().data_received(data)

    return StampedConnection


class ClientWorker:
    """Runs in a child process: connects, records (seq, CLOCK_MONOTONIC) of every event frame,
    answers the driver's commands."""

    def __init__(self, pipe: multiprocessing.connection.Connection) -> None:
        self.pipe = pipe
        self.records: list[ClientRecord] = []
        self.stalled: Any = None

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                command = await loop.run_in_executor(None, self.pipe.recv)
            except (EOFError, OSError):
                command = ("exit",)
            name, *params = command
            try:
                reply: Any = await getattr(self, f"do_{name}")(*params)
            except Exception as exc:
                reply = ("error", f"{type(exc).__name__}: {exc}")
            if name == "exit":
                with contextlib.suppress(OSError):
                    self.pipe.send(reply)
                return
            self.pipe.send(reply)

    async def _read(self, ws: Any, rec: ClientRecord) -> None:
        from websockets.exceptions import ConnectionClosed

        seqs, times, recv_times = rec.seqs, rec.times, rec.recv_times
        monotonic, search = time.monotonic, SEQ.search
        try:
            async for message in ws:
                now = monotonic()
                if message.startswith(HEARTBEAT_PREFIX):
                    rec.heartbeats += 1
                    continue
                found = search(message, 0, 64)
                if found is None:
                    rec.other += 1
                    continue
                seq = int(found.group(1))
                seqs.append(seq)
                times.append(ws.arrived)
                recv_times.append(now)
                rec.chars += len(message)
                rec.last_seq = seq
        except ConnectionClosed:
            pass
        finally:
            rec.closed = True
            rec.close_code, rec.close_reason = ws.close_code, ws.close_reason

    async def do_connect(
        self, url: str, headers: dict[str, str], count: int, concurrency: int, timeout: float
    ) -> tuple[str, int, list[str], float]:
        from websockets.asyncio.client import connect

        started = time.monotonic()
        gate = asyncio.Semaphore(concurrency)
        records = [ClientRecord() for _ in range(count)]
        factory = stamped_connection()

        async def one(rec: ClientRecord) -> None:
            async with gate:
                ws = await connect(
                    url,
                    additional_headers=headers,
                    compression=None,
                    proxy=None,
                    open_timeout=timeout,
                    max_size=1 << 22,
                    create_connection=factory,
                )
                first = await asyncio.wait_for(ws.recv(), timeout)
                if not str(first).startswith('{"type":"connected"'):
                    await ws.close()
                    raise BenchError(f"first frame is not `connected`: {str(first)[:120]}")
            rec.ws = ws
            rec.task = asyncio.create_task(self._read(ws, rec))

        outcomes = await asyncio.gather(*(one(r) for r in records), return_exceptions=True)
        errors = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
        self.records = [r for r in records if r.ws is not None]
        return ("connected", len(self.records), errors[:5], time.monotonic() - started)

    async def do_connect_stalled(
        self, host: str, port: int, path: str, headers: dict[str, str], rcvbuf: int
    ) -> tuple[str, int]:
        """A client that never reads: the library stops reading its socket after one frame, and
        a small receive buffer makes TCP push back at once."""
        from websockets.asyncio.client import connect

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
        self.stalled = await connect(
            f"ws://{host}:{port}{path}",
            sock=sock,
            additional_headers=headers,
            compression=None,
            proxy=None,
            max_queue=1,
            ping_interval=None,
        )
        return ("stalled", self.stalled.local_address[1])

    async def do_stalled_status(self) -> tuple[str, dict[str, Any]]:
        """Reads what the stalled client was sent until it closes or goes quiet, to learn
        whether (and why) the server cut it."""
        from websockets.exceptions import ConnectionClosed

        ws, frames, still_open = self.stalled, 0, False
        if ws is None:
            return ("stalled_status", {})
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 2.0)
                frames += 1
        except TimeoutError:
            still_open = True
        except ConnectionClosed:
            pass
        status = {
            "cut": ws.close_code == TOO_SLOW,
            "close_code": ws.close_code,
            "close_reason": ws.close_reason,
            "still_open": still_open,
            "frames_read_afterwards": frames,
        }
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 5)
        self.stalled = None
        return ("stalled_status", status)

    async def do_wait(self, target: int, timeout: float) -> tuple[str, int, float]:
        """Until every open client has a frame with seq >= target (or the timeout)."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            behind = sum(1 for r in self.records if not r.closed and r.last_seq < target)
            if behind == 0 or time.monotonic() > deadline:
                return ("waited", behind, time.monotonic() - started)
            await asyncio.sleep(0.005)

    async def do_collect(self) -> tuple[str, dict[str, Any]]:
        out: dict[str, Any] = {
            "frames": [(r.seqs, r.times, r.recv_times) for r in self.records],
            "chars": sum(r.chars for r in self.records),
            "heartbeats": sum(r.heartbeats for r in self.records),
            "other": sum(r.other for r in self.records),
            "closed": [(r.close_code, r.close_reason) for r in self.records if r.closed],
        }
        for r in self.records:
            r.seqs, r.times, r.recv_times = array("q"), array("d"), array("d")
            r.chars, r.heartbeats, r.other = 0, 0, 0
        return ("collected", out)

    async def do_close(self) -> tuple[str, int]:
        gate = asyncio.Semaphore(100)

        async def one(rec: ClientRecord) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(rec.ws.close(), 10)
            if rec.task is not None:
                rec.task.cancel()
                with contextlib.suppress(BaseException):
                    await rec.task

        count = len(self.records)
        await asyncio.gather(*(one(r) for r in self.records))
        if self.stalled is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.stalled.close(), 5)
            self.stalled = None
        self.records = []
        return ("closed", count)

    async def do_exit(self) -> tuple[str]:
        await self.do_close()
        return ("bye",)


def client_process(pipe: multiprocessing.connection.Connection, open_files: int) -> None:
    """Entry point of a client process. Ctrl-C is the driver's to handle: it stops us."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise_open_files(open_files)
    with asyncio.Runner(loop_factory=uvloop_factory()) as runner:
        runner.run(ClientWorker(pipe).serve())


class Clients:
    """The driver's side of the client processes."""

    def __init__(self, processes: int, open_files: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[multiprocessing.connection.Connection] = []
        self.procs: list[multiprocessing.process.BaseProcess] = []
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=processes + 1)
        for _ in range(processes):
            ours, theirs = context.Pipe()
            proc = context.Process(target=client_process, args=(theirs, open_files), daemon=True)
            proc.start()
            theirs.close()
            self.pipes.append(ours)
            self.procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def cpu(self) -> float:
        return sum(process_cpu(pid) for pid in self.pids)

    async def call(self, index: int, *command: Any) -> Any:
        pipe = self.pipes[index]

        def roundtrip() -> Any:
            pipe.send(command)
            return pipe.recv()

        reply = await asyncio.get_running_loop().run_in_executor(self.pool, roundtrip)
        if reply[0] == "error":
            raise BenchError(f"client process {index}: {command[0]}: {reply[1]}")
        return reply

    async def each(self, *command: Any) -> list[Any]:
        return list(await asyncio.gather(*(self.call(i, *command) for i in range(len(self.pipes)))))

    def stop(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(Exception):
                pipe.send(("exit",))
        deadline = time.monotonic() + 15
        for proc in self.procs:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        self.pool.shutdown(wait=False, cancel_futures=True)
