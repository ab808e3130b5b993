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

from awareness.api.app import GOODBYE
from awareness.feed.connection import GOING_AWAY
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


def serve(app: FastAPI, settings: Settings, *, host: str, port: int) -> None:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.server.shutdown_timeout_seconds),
        proxy_headers=True,
        ws_per_message_deflate=settings.feed.compression,
    )
    log.info("serving", extra={"url": f"http://{host}:{port}/"})
    # Objects alive at start-up (modules, settings, the app) never need collecting; frozen,
    # the collector's passes over a busy feed stay short.
    gc.freeze()
    _Server(config, app).run()
