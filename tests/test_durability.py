"""An acknowledged report survives the process being killed mid-stream, a retry with its
Idempotency-Key never stores it twice, a PostgreSQL outage is answered 503 and outlived without
a restart, and concurrent writers never see "database is locked": real server processes, real
databases."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.pgcluster import PgCluster, started_or_skip
from tests.servers import ServerProcess, create_key, list_all, run_cli

pytestmark = pytest.mark.slow

WORKERS = 8  # concurrent clients: enough to keep several requests in flight at the kill
BATCH_SIZE = 20
KILL_AFTER = 1000  # reports acknowledged before the SIGKILL
OUTAGE_ANSWER_SECONDS = 15  # a request during an outage is refused within this, never hangs
RECOVERY_SECONDS = 20  # after the database is back, requests succeed within this


def _now_incident(**fields: object) -> dict[str, object]:
    return {
        "detected_at": datetime.now(UTC).isoformat(),
        "category": "ransomware",
        "functional_impact": "denial_critical",
        **fields,
    }


def _register(database_url: str) -> dict[str, str]:
    run_cli(database_url, "migrate")
    run_cli(database_url, "orgs", "create", "grid-north", "--name", "GN", "--sector", "energy")
    key = create_key(database_url, "--role", "operator", "--org", "grid-north")
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Sent:
    """One request of the stream, kept so it can be checked after the crash and retried with
    its own Idempotency-Key and the very same body."""

    key: str
    path: str
    body: dict[str, object]
    references: list[str]
    answer: dict[str, Any] | None = None

    @property
    def batch(self) -> bool:
        return self.path.endswith("/batch")

    def ids(self) -> list[int]:
        assert self.answer is not None
        return list(self.answer["ids"]) if self.batch else [self.answer["id"]]

    async def post(self, client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(self.path, json=self.body, headers={"Idempotency-Key": self.key})


def _request(worker: int, n: int) -> Sent:
    """Singles and batches alternate, so the kill can land in either kind of transaction."""
    if n % 2:
        references = [f"w{worker}-{n}-{i}" for i in range(BATCH_SIZE)]
        body: dict[str, object] = {"incidents": [_now_incident(reference=r) for r in references]}
        return Sent(f"w{worker}-{n}", "/v1/incidents/batch", body, references)
    reference = f"w{worker}-{n}"
    return Sent(reference, "/v1/incidents", _now_incident(reference=reference), [reference])


class Stream:
    """Concurrent clients streaming until the server is SIGKILLed under them, once about
    KILL_AFTER reports are acknowledged: requests are then in flight, in every state between
    arrived and committed."""

    def __init__(self, client: httpx.AsyncClient, server: ServerProcess) -> None:
        self.client = client
        self.server = server
        self.sent: list[Sent] = []
        self.acknowledged = 0
        self.enough = asyncio.Event()
        self.killed = False
        self.kill_delay = random.uniform(0, 0.05)

    async def run(self) -> None:
        async with asyncio.timeout(60), asyncio.TaskGroup() as group:
            group.create_task(self._kill_when_enough())
            for worker in range(WORKERS):
                group.create_task(self._worker(worker))

    async def _worker(self, worker: int) -> None:
        n = 0
        while not self.killed:
            sent = _request(worker, n)
            n += 1
            self.sent.append(sent)
            try:
                response = await sent.post(self.client)
            except httpx.TransportError:
                assert self.killed, f"{sent.key} failed before the kill"
                return  # unacknowledged: the server died with it in flight
            assert response.status_code == 201, f"{sent.key}: {response.text}"
            sent.answer = response.json()
            self.acknowledged += len(sent.references)
            if self.acknowledged >= KILL_AFTER:
                self.enough.set()

    async def _kill_when_enough(self) -> None:
        await self.enough.wait()
        # A random instant after the threshold, so that over runs the kill lands at every
        # stage of a request: arriving, validating, writing, committed but not yet answered.
        await asyncio.sleep(self.kill_delay)
        # Synchronous: no worker runs between the signal and the flag.
        self.server.kill()
        self.killed = True


async def _stored(client: httpx.AsyncClient) -> list[tuple[int, str]]:
    """Every incident of the organization, as (id, reference), through the public listing."""
    return [(item["id"], item["reference"]) for item in await list_all(client, "/v1/incidents")]


def _problems(sent: list[Sent], stored: list[tuple[int, str]]) -> list[str]:
    """What the database holds against what was sent: every acknowledged report exactly once
    under its acknowledged id, every unacknowledged request stored wholly or not at all, and
    nothing that was never sent."""
    problems = [
        f"{ref} stored {n} times" for ref, n in Counter(r for _, r in stored).items() if n > 1
    ]
    by_reference = {reference: id_ for id_, reference in stored}
    sent_references = {reference for request in sent for reference in request.references}
    problems += [f"{ref} stored but never sent" for ref in set(by_reference) - sent_references]
    for request in sent:
        present = [by_reference.get(reference) for reference in request.references]
        if request.answer is not None and present != request.ids():
            problems.append(f"acknowledged {request.key} {request.ids()} but stored {present}")
        elif request.answer is None and len({id_ is None for id_ in present}) > 1:
            problems.append(f"unacknowledged {request.key} partly stored: {present}")
    return problems


async def test_sigkill_mid_stream_loses_nothing_and_retries_are_idempotent(
    database_url: str, tmp_path: Path
) -> None:
    """The crash an acknowledgement promises to survive: SIGKILL while about KILL_AFTER reports
    are acknowledged and more are in flight. After a restart every acknowledged report is
    there exactly once, no batch is half stored, every acknowledged request replayed with its
    key gets its original answer and stores nothing, and every unacknowledged one, retried with
    its key, is stored exactly once."""
    headers = _register(database_url)
    server = ServerProcess(database_url, log_path=tmp_path / "server.log").start()
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
            stream = Stream(client, server)
            await stream.run()
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()
    sent = stream.sent
    unacknowledged = [request for request in sent if request.answer is None]
    context = f"killed {stream.kill_delay:.3f}s after {KILL_AFTER} acknowledged"
    assert stream.acknowledged >= KILL_AFTER
    assert unacknowledged, f"{context}: no request in flight, the test proved nothing"

    with ServerProcess(database_url, log_path=tmp_path / "restarted.log") as restarted:
        async with httpx.AsyncClient(base_url=restarted.url, headers=headers, timeout=30) as client:
            stored = await _stored(client)
            assert not _problems(sent, stored), (context, _problems(sent, stored)[:20])
            committed = {reference for _, reference in stored}

            first = next(r for r in sent if r.answer is not None and not r.batch)
            changed = await client.post(
                first.path, json=_now_incident(reference="changed"),
                headers={"Idempotency-Key": first.key},
            )  # fmt: skip
            assert changed.status_code == 422, changed.text
            assert changed.json()["errors"][0]["field"] == "Idempotency-Key", changed.text

            limit = asyncio.Semaphore(WORKERS)

            async def retry(request: Sent) -> str | None:
                async with limit:
                    response = await request.post(client)
                if response.status_code != 201:
                    return f"{request.key}: {response.status_code} {response.text}"
                replayed = response.headers.get("Idempotent-Replayed") == "true"
                was_stored = request.references[0] in committed
                if request.answer is not None and response.json() != request.answer:
                    return f"{request.key}: replayed {response.json()}, not {request.answer}"
                if replayed != (request.answer is not None or was_stored):
                    return f"{request.key}: replayed={replayed} though stored={was_stored}"
                request.answer = response.json()
                return None

            failures = [f for f in await asyncio.gather(*(retry(r) for r in sent)) if f]
            assert not failures, (context, failures[:20])
            stored = await _stored(client)
    assert not _problems(sent, stored), (context, _problems(sent, stored)[:20])
    assert len(stored) == sum(len(request.references) for request in sent)


async def test_concurrent_writers_across_processes(database_url: str, tmp_path: Path) -> None:
    """Two server processes on one database, forty concurrent writers: every write is
    acknowledged and stored, none fails with a lock error."""
    headers = _register(database_url)
    with (
        ServerProcess(database_url, log_path=tmp_path / "a.log") as first,
        ServerProcess(database_url, log_path=tmp_path / "b.log") as second,
    ):
        async with httpx.AsyncClient(headers=headers, timeout=60) as client:

            async def write(i: int) -> httpx.Response:
                server = first if i % 2 else second
                if i % 5 == 0:
                    return await client.post(
                        f"{server.url}/v1/assets", json={"asset_id": f"asset-{i}"}
                    )
                return await client.post(f"{server.url}/v1/incidents", json=_now_incident())

            responses = await asyncio.gather(*(write(i) for i in range(40)))
            assert sorted({r.status_code for r in responses}) == [201], [
                r.text for r in responses if r.status_code != 201
            ]
            listed = await client.get(f"{first.url}/v1/incidents?limit=1000")
            assert len(listed.json()["items"]) == 32
            assets = await client.get(f"{second.url}/v1/assets?limit=1000")
            assert len(assets.json()["items"]) == 8
    for log in ("a.log", "b.log"):
        assert "locked" not in (tmp_path / log).read_text()


@pytest.fixture
def pg_cluster() -> Iterator[PgCluster]:
    """A private PostgreSQL cluster this test may stop: the shared one must stay up."""
    cluster = started_or_skip()
    yield cluster
    cluster.destroy()


def _timed(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    started = time.monotonic()
    response = client.request(method, path, **kwargs)
    elapsed = time.monotonic() - started
    assert elapsed < OUTAGE_ANSWER_SECONDS, f"{method} {path} took {elapsed:.1f}s"
    return response


def test_postgres_outage_is_503_and_recovers_without_restart(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    """A database that goes away must not take the service with it: while PostgreSQL is down
    every request is refused promptly with 503 and Retry-After (a client knows to retry, and
    nothing hangs), liveness still holds (an orchestrator must not restart the process) while
    readiness fails (/healthz says nothing of the database by design, /readyz names it
    unreachable); once the database is back the same process serves again, having lost
    nothing, and a report refused during the outage, retried with its key, is stored once."""
    url = pg_cluster.create_database("awareness")
    headers = _register(url)
    during = _now_incident(reference="during")
    with (
        ServerProcess(url, log_path=tmp_path / "server.log") as server,
        httpx.Client(base_url=server.url, headers=headers, timeout=30) as client,
    ):
        before = client.post("/v1/incidents", json=_now_incident(reference="before"))
        assert before.status_code == 201, before.text
        before_id = before.json()["id"]
        assert server.process is not None
        pid = server.process.pid

        pg_cluster.stop()
        # Twice: the outage is a state, not one failure; later requests must be refused as
        # promptly as the first (no connection attempt piling up, nothing stuck).
        for _ in range(2):
            refused = [
                _timed(client, "POST", "/v1/incidents", json=during,
                       headers={"Idempotency-Key": "during"}),
                _timed(client, "POST", "/v1/incidents/batch",
                       json={"incidents": [_now_incident(reference="batch")]}),
                _timed(client, "GET", "/v1/incidents"),
                _timed(client, "GET", f"/v1/incidents/{before_id}"),
            ]  # fmt: skip
            for response in refused:
                assert response.status_code == 503, (response.request.url, response.text)
                assert int(response.headers["Retry-After"]) > 0, response.headers
        alive = _timed(client, "GET", "/healthz")
        assert alive.status_code == 200, alive.text
        ready = _timed(client, "GET", "/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.json()["database"].startswith("unreachable"), ready.text
        assert int(ready.headers["Retry-After"]) > 0

        pg_cluster.start()
        deadline = time.monotonic() + RECOVERY_SECONDS
        while True:
            retried = _timed(
                client, "POST", "/v1/incidents", json=during, headers={"Idempotency-Key": "during"}
            )
            if retried.status_code == 201 or time.monotonic() > deadline:
                break
            assert retried.status_code == 503, retried.text
            time.sleep(0.5)
        assert retried.status_code == 201, f"not recovered in {RECOVERY_SECONDS}s: {retried.text}"
        assert client.get("/readyz").status_code == 200
        after = client.post("/v1/incidents", json=_now_incident(reference="after"))
        assert after.status_code == 201, after.text
        listed = client.get("/v1/incidents", params={"limit": 1000})
        assert listed.status_code == 200, listed.text
        references = sorted(item["reference"] for item in listed.json()["items"])
        assert references == ["after", "before", "during"]
        assert client.get(f"/v1/incidents/{before_id}").json()["reference"] == "before"
        assert server.process is not None
        assert server.process.poll() is None, "the service died during the outage"
        assert server.process.pid == pid


def _describe(answer: httpx.Response | BaseException) -> str:
    if isinstance(answer, BaseException):
        return f"no answer: {answer!r}"
    return f"{answer.status_code} Retry-After={answer.headers.get('Retry-After')} {answer.text}"


async def test_requests_in_flight_when_postgres_stops_get_503(
    pg_cluster: PgCluster, tmp_path: Path
) -> None:
    """An outage rarely starts between requests: the ones running at that moment must be
    refused like the rest, 503 with Retry-After (unless they still completed), so clients retry
    them (with their keys) and each report is stored exactly once. The requests are held on a
    table lock, so they are mid-statement when the database stops."""
    url = pg_cluster.create_database("awareness")
    headers = _register(url)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    single = Sent("single", "/v1/incidents", _now_incident(reference="single"), ["single"])
    references = ["batch-0", "batch-1"]
    batch = Sent(
        "batch", "/v1/incidents/batch",
        {"incidents": [_now_incident(reference=r) for r in references]}, references,
    )  # fmt: skip
    # No correlator: the only statements waiting on the lock are the requests'.
    env = {"AWARENESS_CORRELATOR__ENABLED": "false"}
    with ServerProcess(url, log_path=tmp_path / "server.log", **env) as server:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
            before = await client.post("/v1/incidents", json=_now_incident(reference="before"))
            assert before.status_code == 201, before.text
            locker = await asyncpg.connect(dsn)
            await locker.execute("BEGIN; LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE")
            in_flight = [
                asyncio.create_task(single.post(client)),
                asyncio.create_task(batch.post(client)),
                asyncio.create_task(client.get("/v1/incidents")),
                asyncio.create_task(client.get(f"/v1/incidents/{before.json()['id']}")),
            ]
            await pg_cluster.wait_for_lock_waiters("awareness", len(in_flight))
            await asyncio.to_thread(pg_cluster.stop)
            locker.terminate()
            async with asyncio.timeout(OUTAGE_ANSWER_SECONDS):
                answers = await asyncio.gather(*in_flight, return_exceptions=True)

        await asyncio.to_thread(pg_cluster.start)
        # A fresh client: a connection the server closed after a failure is not reused.
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
            deadline = time.monotonic() + RECOVERY_SECONDS
            for request in (single, batch):
                while (retried := await request.post(client)).status_code != 201:
                    assert time.monotonic() < deadline, f"not recovered: {retried.text}"
                    await asyncio.sleep(0.5)
            listed = await client.get("/v1/incidents", params={"limit": 1000})
            stored = sorted(item["reference"] for item in listed.json()["items"])
            assert stored == ["batch-0", "batch-1", "before", "single"]
    # A statement may still finish as the server shuts down (the lock holder goes first): then
    # its answer is a success, and the report is stored once (checked above). Anything else
    # must be refused as an outage: 503 with Retry-After, never a 500 or a dropped connection.
    wrong = [
        _describe(answer)
        for answer in answers
        if not isinstance(answer, httpx.Response)
        or not (
            answer.is_success or (answer.status_code == 503 and "Retry-After" in answer.headers)
        )
    ]
    assert not wrong, wrong
    assert any(
        isinstance(answer, httpx.Response) and answer.status_code == 503 for answer in answers
    ), "no request was caught by the outage: the test did not test it"
