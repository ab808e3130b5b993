"""The feed benchmark's baseline: a bare `websockets` server (the library's asyncio API) that
accepts the same clients as awareness's `/v1/feed` and broadcasts what it is told to, with
`websockets.asyncio.server.broadcast`, the library's fast path (one encoding, written straight
to every socket's buffer, no per-client task or queue).

- any path but `/control` is a feed client: it gets a `connected` frame like awareness's first
  frame, then every broadcast; its `Authorization` header is ignored (no authentication);
- `/control` is the driver's WebSocket: each text message it sends is broadcast, as is, to
  every feed client (the driver builds the same JSON frame awareness would send, so sizes
  match byte for byte);
- plain HTTP `GET /healthz` answers `ok`, `GET /stats` the client and broadcast counts.

Same transport settings as `awareness serve` in the benchmark: permessage-deflate off
(`compression=None`), the library's default keepalive pings (20 s, like uvicorn's), uvloop as
the event loop when it is installed (uvicorn picks it then too).

Run: .venv/bin/python bench/feed/bare_server.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import http
import json
import signal

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

CLIENTS: set[ServerConnection] = set()
STATS = {"broadcasts": 0, "frames": 0, "connected_total": 0}
CONNECTED_FRAME = json.dumps({"type": "connected", "seq": 0, "oldest": None}, separators=(",", ":"))


def process_request(connection: ServerConnection, request: Request) -> Response | None:
    """Plain HTTP for the driver; a WebSocket handshake goes on."""
    if "upgrade" in request.headers.get("Connection", "").lower():
        return None
    if request.path == "/healthz":
        return connection.respond(http.HTTPStatus.OK, "ok\n")
    if request.path == "/stats":
        return connection.respond(
            http.HTTPStatus.OK, json.dumps(STATS | {"clients": len(CLIENTS)}) + "\n"
        )
    return connection.respond(http.HTTPStatus.NOT_FOUND, "not found\n")


async def control(websocket: ServerConnection) -> None:
    async for message in websocket:
        text = message if isinstance(message, str) else message.decode()
        STATS["broadcasts"] += 1
        STATS["frames"] += len(CLIENTS)
        broadcast(CLIENTS, text)


async def handler(websocket: ServerConnection) -> None:
    if websocket.request is not None and websocket.request.path == "/control":
        await control(websocket)
        return
    STATS["connected_total"] += 1
    try:
        await websocket.send(CONNECTED_FRAME)
    except ConnectionClosed:
        return
    CLIENTS.add(websocket)
    try:
        await websocket.wait_closed()
    finally:
        CLIENTS.discard(websocket)


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    server: Server
    async with serve(
        handler,
        host,
        port,
        process_request=process_request,
        compression=None,
        max_size=1 << 20,
        backlog=4096,
    ) as server:
        print(f"bare websockets server on ws://{host}:{port}/", flush=True)
        await stop
        server.close()


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="event loop; auto = uvloop when installed, as uvicorn does (default)",
    )
    args = parser.parse_args()
    factory = None
    if args.loop != "asyncio":
        try:
            import uvloop

            factory = uvloop.new_event_loop
        except ImportError:
            if args.loop == "uvloop":
                raise
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main(args.host, args.port))


if __name__ == "__main__":
    run()
