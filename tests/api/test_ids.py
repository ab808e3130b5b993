"""Numbers past the 64-bit ids and seqs of both databases are refused as invalid, naming the
parameter, instead of reaching a driver that cannot bind them."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed

from awareness.api.pagination import encode_cursor
from tests.conftest import World
from tests.feed.conftest import open_feed, served

HUGE = 2**64 + 7


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", f"/v1/incidents/{HUGE}", "incident_id"),
        ("POST", f"/v1/warnings/{HUGE}/ack", "warning_id"),
        ("DELETE", f"/v1/keys/{HUGE}", "key_id"),
        ("GET", f"/v1/warnings?after={HUGE}", "after"),
    ],
)
async def test_too_large_a_number_is_a_422_naming_it(
    client: httpx.AsyncClient, world: World, method: str, path: str, field: str
) -> None:
    response = await client.request(method, path, headers=world.admin)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_too_large_a_cursor_is_refused(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get(f"/v1/incidents?cursor={encode_cursor(HUGE)}", headers=world.admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


async def test_too_large_an_after_closes_the_feed_saying_so(app: FastAPI, world: World) -> None:
    async with served(app) as base:
        feed, socket = await open_feed(base, world.energy_responder, query=f"after={HUGE}")
        async with socket:
            with pytest.raises(ConnectionClosed) as closed:
                await feed.frame()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
    assert "after" in closed.value.rcvd.reason
