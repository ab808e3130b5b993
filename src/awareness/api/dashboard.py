"""The board's files, served at `/` behind every API route. A mount at `/` matches every path
and method, so without care it would answer a wrong method on an API path with its own 405
(`Allow: GET, HEAD`) and an unknown API path with an HTML 404. This one answers those as the API
does: 405 allowing every method the API accepts on that path, and 404 in JSON."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from fastapi.routing import APIRoute
from starlette.responses import JSONResponse
from starlette.routing import Match, Mount, compile_path
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from awareness.paths import resource_dir

API = "/v1/"
ALLOW = "awareness.allow"


class Dashboard(Mount):
    def __init__(self, routes: Callable[[], Iterable[tuple[str, APIRoute]]]) -> None:
        super().__init__("/", app=StaticFiles(directory=resource_dir("dashboard"), html=True))
        self._routes = routes
        self._paths: list[tuple[re.Pattern[str], set[str]]] | None = None

    def _methods(self, path: str) -> set[str]:
        """What the API accepts on this path; read once every route is registered."""
        if self._paths is None:
            self._paths = [
                (compile_path(template)[0], set(route.methods or ()))
                for template, route in self._routes()
            ]
        allowed: set[str] = set()
        for pattern, methods in self._paths:
            if pattern.match(path):
                allowed |= methods
        return allowed

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return super().matches(scope)
        # Reached only when no route matched both path and method.
        allowed = self._methods(scope["path"])
        if allowed or scope["path"].startswith(API):
            return Match.FULL, {ALLOW: sorted(allowed)}
        return super().matches(scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if ALLOW not in scope:
            await super().handle(scope, receive, send)
            return
        allowed: list[str] = scope[ALLOW]
        if allowed:
            detail = f"{scope['method']} is not allowed here; use {', '.join(allowed)}"
            answer = JSONResponse(
                {"detail": detail}, status_code=405, headers={"Allow": ", ".join(allowed)}
            )
        else:
            answer = JSONResponse({"detail": f"no endpoint {scope['path']}"}, status_code=404)
        await answer(scope, receive, send)
