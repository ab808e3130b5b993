"""A client's outbox: frames written straight to the socket when it takes them, through the
server's send when it cannot, in order and each at most once either way."""

from __future__ import annotations

import asyncio
from typing import Any

from awareness.feed.outbox import Outbox


class Count:
    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: float = 1) -> None:
        self.value += int(amount)


class Socket:
    """Takes direct writes while `open`; the ASGI send waits until `resumed` is set."""

    def __init__(self) -> None:
        self.open = True
        self.resumed = asyncio.Event()
        self.wire: list[str] = []

    def write(self, data: bytes) -> bool:
        if not self.open:
            return False
        self.wire.append(data.decode())
        return True

    async def send(self, message: dict[str, Any]) -> None:
        await self.resumed.wait()
        self.wire.append(message["text"])


def outbox(socket: Socket, sent: Count, cut: list[str]) -> Outbox:
    box = Outbox(
        socket.send, limit=3, sent=sent, on_full=lambda: cut.append("full"),
        on_broken=lambda: cut.append("broken"), write=socket.write,
    )  # fmt: skip
    box.go_live(0)
    return box


async def test_frames_go_straight_to_a_socket_that_takes_them() -> None:
    socket, sent, cut = Socket(), Count(), []
    box = outbox(socket, sent, cut)
    assert box.offer(1, "one", b"one")
    assert box.offer(2, "two")  # encoded here when the caller did not
    assert box.offer(2, "two again")  # at most once
    assert box.offer(None, "heartbeat")
    assert socket.wire == ["one", "two", "heartbeat"]
    assert (sent.value, box.last_sent, cut) == (3, 2, [])


async def test_a_paused_socket_gets_the_rest_in_order_once_it_resumes() -> None:
    socket, sent, cut = Socket(), Count(), []
    box = outbox(socket, sent, cut)
    box.offer(1, "one")
    socket.open = False  # its buffer is full
    box.offer(2, "two")
    box.offer(3, "three")
    socket.open = True  # direct writes would work again, but frames wait in the backlog
    box.offer(4, "four")
    assert socket.wire == ["one"]
    socket.resumed.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert socket.wire == ["one", "two", "three", "four"]
    box.offer(5, "five")
    assert socket.wire[-1] == "five"
    assert (sent.value, box.last_sent, cut) == (5, 5, [])
    await box.close()


async def test_a_client_that_stays_paused_is_cut_past_its_limit() -> None:
    socket, sent, cut = Socket(), Count(), []
    box = outbox(socket, sent, cut)
    socket.open = False
    for seq in range(1, 5):
        assert box.offer(seq, f"frame {seq}")
    assert not box.offer(5, "frame 5")
    assert cut == ["full"]
    assert box.closed
    await box.close()
