"""The live feed's endpoints: tickets for browsers, and the WebSocket itself."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, WebSocket
from pydantic import BaseModel
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send

from awareness.api.middleware import SERVER_SEND
from awareness.auth.dependencies import ServicesDep, allow
from awareness.auth.principal import Principal, Role
from awareness.feed import socket, tickets

router = APIRouter(prefix="/v1", tags=["feed"])
Anyone = Annotated[
    Principal, Depends(allow(Role.operator, Role.supervisor, Role.responder, Role.admin))
]


class Ticket(BaseModel):
    ticket: str
    expires_at: datetime
    protocol: str


@router.post("/feed/tickets", status_code=201, response_model=Ticket)
async def create_ticket(principal: Anyone, services: ServicesDep) -> Ticket:
    """A single-use ticket, valid for seconds, to open `/v1/feed` from a browser without
    putting the API key in a URL: `new WebSocket(url, ["awareness.v1", "ticket." + ticket])`."""
    async with services.database.write() as conn:
        ticket, expires = await tickets.issue(
            conn,
            principal=principal,
            now=services.clock.now(),
            lifetime=services.settings.feed.ticket_seconds,
        )
    return Ticket(ticket=ticket, expires_at=expires, protocol=socket.PROTOCOL)


class _Feed:
    """`/v1/feed?after=SEQ&sector=S&kind=K`: first `connected` with the head seq, then every
    event after `after` the caller may see, then live events; `heartbeat` frames in between.
    Authenticate with `Authorization: Bearer <key>`, or a ticket as the subprotocol
    `ticket.<ticket>` (or `?ticket=`).

    A plain ASGI endpoint rather than a decorated one: live frames go to the server's `send`
    as they are, without a per-frame wrapper, since a frame is sent to every client."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        services = websocket.app.state.services
        frames = scope.get(SERVER_SEND, send)
        await socket.serve(websocket, services, services.broadcaster, send=frames)


# Registered on the app's router by the app factory, next to the routes above.
feed_route = WebSocketRoute("/v1/feed", endpoint=_Feed())
