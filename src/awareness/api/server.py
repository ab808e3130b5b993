"""Serving the app under uvicorn. On SIGTERM the feed's clients are told "going away" (1001,
with where to resume) before uvicorn's own shutdown, which would cut them with "service
restart"; requests in flight are finished."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket

import uvicorn
from fastapi import FastAPI

from awareness.api.wire import open_files_limit, protocol_for
from awareness.feed.connection import GOING_AWAY, GOODBYE
from awareness.settings import Settings

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        broadcaster = self._app.state.components.broadcaster
        if broadcaster.connections:
            log.info("closing feed clients", extra={"clients": broadcaster.connections})
            broadcaster.close_all(GOING_AWAY, GOODBYE)
            for _ in range(50):
                if not broadcaster.connections:
                    break
                await asyncio.sleep(0.05)
        await super().shutdown(sockets)


# Descriptors kept free of connections: the database pool, log files, the listening socket.
_RESERVED_FILES = 64


def config(app: FastAPI, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's settings from ours, with the wire limits of `awareness.api.wire`."""
    options = settings.server
    files = open_files_limit()
    reserved = _RESERVED_FILES + settings.database.pool_size + settings.database.max_overflow
    fits = max(files - reserved, 1)
    if options.max_connections > fits:
        log.warning(
            "connection cap lowered to fit the descriptor limit; raise `ulimit -n` to allow more",
            extra={"max_connections": options.max_connections, "lowered_to": fits,
                   "open_files_limit": files},
        )  # fmt: skip
        options = options.model_copy(update={"max_connections": fits})
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_for(options),
        log_config=None,
        access_log=False,
        timeout_keep_alive=int(options.keep_alive_seconds),
        timeout_graceful_shutdown=int(options.shutdown_timeout_seconds),
        proxy_headers=True,
        ws_per_message_deflate=settings.feed.compression,
    )


def serve(app: FastAPI, settings: Settings, *, host: str, port: int) -> None:
    server = _Server(config(app, settings, host=host, port=port), app)
    log.info("serving", extra={"url": f"http://{host}:{port}/"})
    # Objects alive at start-up (modules, settings, the app) never need collecting; frozen,
    # the collector's passes over a busy feed stay short.
    gc.freeze()
    server.run()
