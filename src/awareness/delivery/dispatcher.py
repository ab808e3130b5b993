"""The delivering process: one per database (leader-elected like the correlator), it walks each
subscription's cursor through the event log. The event after a subscription's position is the
only one it tries; it is retried with back-off until delivered, so a subscription's events
arrive in `seq` order, and nothing is lost across restarts because the cursor, the attempt
count and the next attempt's time are all in the database. Delivery is at least once: every
attempt at one event carries the same message id. Subscriptions do not wait for each other.

Each attempt's outcome is written with a compare-and-set on the position it started from, so
an attempt finished by a process that has since lost the leadership cannot move a cursor that
another has moved."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from awareness.auth.principal import Principal, Role
from awareness.clock import Clock
from awareness.consumers.leader import Leadership
from awareness.consumers.runner import Progress
from awareness.db.engine import Database
from awareness.db.tables import api_keys, delivery_attempts, subscriptions, warnings
from awareness.delivery import channels, escalation
from awareness.delivery.channels import ACTS_ON, Delivery
from awareness.delivery.schedule import Answer, Verdict, describe, judge
from awareness.delivery.secrets import SecretsUnreadable, Vault
from awareness.delivery.targets import GuardedResolver, TargetRefused, check_literal
from awareness.eventlog.reader import Event, head, read_after
from awareness.eventlog.visibility import may_see
from awareness.metrics import Metrics
from awareness.settings import DeliverySettings
from awareness.views.warnings import redact, warning_view
from awareness.vocabulary import LEVELS

log = logging.getLogger(__name__)
RANK = {level: rank for rank, level in enumerate(LEVELS)}


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A subscription as the dispatcher reads it, with its owner's scope."""

    row: sa.RowMapping
    owner: Principal | None  # None: the owner's key was revoked

    @property
    def id(self) -> int:
        return int(self.row["id"])

    def wants(self, event: Event, warning: dict[str, Any] | None) -> str | None:
        """What this subscription is to be sent for the event (`Delivery.type`), if anything:
        a raised warning reaches the first tier, an escalation the tier it names, and the
        warning's acknowledgement and resolution the PagerDuty subscriptions it reached."""
        row = self.row
        if warning is None or self.owner is None:
            return None
        kind = _delivery_type(event)
        if kind is None or kind not in ACTS_ON[row["channel"]]:
            return None
        tier = row["tier"]
        if event.type == "warning" and tier != 1:
            return None
        if event.type == "response" and kind == "warning" and event.data.get("tier") != tier:
            return None
        if kind in ("ack", "resolve") and tier > warning["escalated_tier"]:
            return None
        if not may_see(self.owner, kind=event.kind, sectors=event.sectors, targets=event.targets):
            return None
        if row["sectors"] is not None and event.sectors.isdisjoint(row["sectors"]):
            return None
        if row["kinds"] is not None and event.kind not in row["kinds"]:
            return None
        if RANK.get(warning["level"], 0) >= RANK[row["min_level"]]:
            return kind
        # Below the immediate level: a digest subscription gathers raised warnings.
        return "digest" if row["mode"] == "digest" and event.type == "warning" else None

    def digest_due(self, now: datetime) -> bool:
        row = self.row
        return bool(row["digest_pending"]) and (
            row["digest_due_at"] is None or row["digest_due_at"] <= now
        )


def _delivery_type(event: Event) -> str | None:
    """warning (raised, or escalated to a tier), ack or resolve; None for the rest."""
    if event.type in ("warning", "ack"):
        return event.type
    if event.type == "response":
        action = event.data.get("action")
        return {"escalated": "warning", "resolved": "resolve"}.get(str(action))
    return None


def _warning_id(event: Event) -> int | None:
    key = "id" if event.type == "warning" else "warning_id"
    value = event.data.get(key)
    return int(value) if value is not None and event.type != "sector_level" else None


class Dispatcher:
    name = "delivery"
    exclusive = True

    def __init__(
        self,
        *,
        database: Database,
        settings: DeliverySettings,
        clock: Clock,
        vault: Vault,
        metrics: Metrics,
        page: int = 500,
        draw: Callable[[], float] = lambda: random.uniform(-1.0, 1.0),
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._database = database
        self._settings = settings
        self._clock = clock
        self._vault = vault
        self._metrics = metrics
        self._page = page
        self._draw = draw
        self._wall = wall
        self._flying: dict[int, asyncio.Task[None]] = {}
        self._landed_ids: set[int] = set()
        self._last_tier = 1
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._http: aiohttp.ClientSession | None = None
        self._recorder = Recorder(database)
        # Called when an attempt ends, so the runner looks again at once (the runner's wake).
        self.on_done: Callable[[], None] = lambda: None
        # Called with the seq of each escalation appended (the signals' events_committed).
        self.on_appended: Callable[[int], None] = lambda _seq: None

    # ---- the runner's step ----

    async def step(self, leadership: Leadership) -> Progress:
        now = self._clock.now()
        escalated = await self._escalate(leadership, now)
        # An attempt that lands while this step reads may leave the read behind its record:
        # its subscription waits for the next step, which its landing wakes.
        self._landed_ids.clear()
        busy = set(self._flying)
        async with leadership.transaction() as conn:
            subscribers = await self._subscribers(conn)
            self._last_tier = max((int(s.row["tier"]) for s in subscribers), default=1)
            newest = await head(conn)
            self._measure(subscribers, newest)
            busy |= self._landed_ids | set(self._flying)
            due = [s for s in subscribers if s.id not in busy and self._due(s, now, newest)]
            if not due:
                return Progress(escalated, more=False)
            start = min(int(s.row["position"]) for s in due)
            events = await read_after(conn, after=start, limit=self._page)
            found = await self._warnings(conn, events)
            passed: list[tuple[int, int, int]] = []
            started = 0
            shown: dict[tuple[int, int], dict[str, Any]] = {}
            for subscriber in due:
                position = int(subscriber.row["position"])
                mine = [e for e in events if e.seq > position]
                if subscriber.owner is None:
                    await self._disable(conn, subscriber, now, "its owner's API key was revoked")
                    continue
                if subscriber.digest_due(now):
                    self._start_digest(subscriber, await self._digest(conn, subscriber, shown))
                    started += 1
                    continue
                items = []
                for event in mine:
                    warning_id = _warning_id(event) or 0
                    kind = subscriber.wants(event, found.get(warning_id))
                    if kind is not None:
                        key = (subscriber.owner.key_id, warning_id)
                        if key not in shown:
                            view = redact(subscriber.owner, warning_view(found[warning_id]))
                            shown[key] = view.model_dump(mode="json")
                        items.append((Delivery(event.seq, kind, shown[key]), event.created_at))
                items = coalesced(items, timedelta(minutes=self._settings.coalesce_minutes))
                if not items:
                    if mine:
                        passed.append((subscriber.id, position, mine[-1].seq))
                    continue
                state = dict(subscriber.row)
                gathered = [d.seq for d, _ in itertools.takewhile(_for_digest, items)]
                items = list(itertools.takewhile(_to_send, items[len(gathered) :]))
                if gathered:
                    moved = await self._gather(conn, state, gathered, now, items, mine)
                    if moved is None:
                        continue
                    state = moved
                if items:
                    self._start(subscriber, items, state)
                    started += 1
                started += 1
            for subscription_id, before, after in passed:
                await conn.execute(
                    subscriptions.update()
                    .where(subscriptions.c.id == subscription_id)
                    .where(subscriptions.c.position == before)
                    .values(position=after)
                )
        full = len(events) == self._page
        return Progress(escalated + started + len(passed), more=full)

    async def _escalate(self, leadership: Leadership, now: datetime) -> int:
        """Moves every warning due for its next tier there, each in its own transaction."""
        # The tiers in use, as the previous step read the subscriptions: a new subscription
        # wakes the runner, so it counts from the next step on.
        last_tier = self._last_tier
        if last_tier <= 1:
            return 0
        async with leadership.transaction() as conn:
            due = await escalation.candidates(
                conn, now=now, last_tier=last_tier, settings=self._settings
            )
        done = 0
        for warning_id in due:
            async with leadership.transaction() as conn:
                seq = await escalation.escalate(
                    conn, warning_id, now=now, last_tier=last_tier, settings=self._settings
                )
            if seq is not None:
                done += 1
                self._metrics.events_appended.inc()
                self.on_appended(seq)
                log.info("warning escalated", extra={"warning": warning_id, "seq": seq})
        return done

    def _due(self, subscriber: Subscriber, now: datetime, newest: int) -> bool:
        row = subscriber.row
        if subscriber.owner is None:
            return True
        if row["next_attempt_at"] is not None and row["next_attempt_at"] > now:
            return False
        return row["position"] < newest or subscriber.digest_due(now)

    async def _subscribers(self, conn: AsyncConnection) -> list[Subscriber]:
        query = (
            sa.select(
                subscriptions,
                api_keys.c.role.label("owner_role"),
                api_keys.c.org_id.label("owner_org"),
                api_keys.c.sectors.label("owner_sectors"),
                api_keys.c.name.label("owner_name"),
                api_keys.c.revoked_at.label("owner_revoked_at"),
            )
            .select_from(
                subscriptions.join(api_keys, api_keys.c.id == subscriptions.c.owner_key_id)
            )
            .where(subscriptions.c.deleted_at.is_(None), subscriptions.c.disabled_at.is_(None))
            .order_by(subscriptions.c.id)
        )
        found = []
        for row in (await conn.execute(query)).mappings():
            owner = None
            if row["owner_revoked_at"] is None:
                sectors = row["owner_sectors"]
                owner = Principal(
                    key_id=row["owner_key_id"],
                    role=Role(row["owner_role"]),
                    org_id=row["owner_org"],
                    sectors=frozenset(sectors) if sectors is not None else None,
                    name=row["owner_name"],
                )
            found.append(Subscriber(row, owner))
        return found

    async def _warnings(
        self, conn: AsyncConnection, events: Sequence[Event]
    ) -> dict[int, dict[str, Any]]:
        """The current rows of the warnings these events concern, unredacted."""
        ids = sorted({i for i in map(_warning_id, events) if i is not None})
        if not ids:
            return {}
        rows = await conn.execute(sa.select(warnings).where(warnings.c.id.in_(ids)))
        return {row["id"]: dict(row) for row in rows.mappings()}

    def _measure(self, subscribers: Sequence[Subscriber], newest: int) -> None:
        backlog: dict[str, int] = dict.fromkeys(ACTS_ON, 0)
        for subscriber in subscribers:
            channel = subscriber.row["channel"]
            backlog[channel] += max(0, newest - int(subscriber.row["position"]))
        for channel, count in backlog.items():
            self._metrics.delivery_backlog.labels(channel).set(count)

    async def _disable(
        self, conn: AsyncConnection, subscriber: Subscriber, now: datetime, reason: str
    ) -> None:
        await conn.execute(
            subscriptions.update()
            .where(subscriptions.c.id == subscriber.id)
            .values(disabled_at=now, disabled_reason=reason)
        )
        log.warning(
            "subscription disabled",
            extra={"subscription": subscriber.id, "reason": reason},
        )

    # ---- deliveries ----

    async def _gather(
        self,
        conn: AsyncConnection,
        state: dict[str, Any],
        seqs: list[int],
        now: datetime,
        then: list[tuple[Delivery, datetime]],
        mine: list[Event],
    ) -> dict[str, Any] | None:
        """Adds warnings below the immediate level to the subscription's next digest and moves
        its cursor past them (to just before what it sends next). None if the cursor moved
        meanwhile."""
        pending = [*(state["digest_pending"] or ()), *seqs]
        due = state["digest_due_at"]
        if not state["digest_pending"] and (due is None or due <= now):
            due = now + timedelta(minutes=state["digest_minutes"])
        position = then[0][0].seq - 1 if then else mine[-1].seq
        moved = await conn.execute(
            subscriptions.update()
            .where(
                subscriptions.c.id == state["id"],
                subscriptions.c.position == state["position"],
                subscriptions.c.attempts == state["attempts"],
            )
            .values(position=position, digest_pending=pending, digest_due_at=due)
        )
        if moved.rowcount == 0:
            return None
        return state | {"position": position, "digest_pending": pending, "digest_due_at": due}

    async def _digest(
        self, conn: AsyncConnection, subscriber: Subscriber, shown: dict[tuple[int, int], Any]
    ) -> Delivery:
        """The gathered warnings as they stand now, as the owner may see them."""
        assert subscriber.owner is not None
        seqs = list(subscriber.row["digest_pending"])
        rows = await conn.execute(
            sa.select(warnings).where(warnings.c.seq.in_(seqs)).order_by(warnings.c.seq)
        )
        views = [
            redact(subscriber.owner, warning_view(row)).model_dump(mode="json")
            for row in rows.mappings()
        ]
        return Delivery(max(seqs), "digest", {}, digest=tuple(views), subscription_id=subscriber.id)

    def _start_digest(self, subscriber: Subscriber, delivery: Delivery) -> None:
        task = asyncio.create_task(
            self._send_digest(subscriber, delivery), name=f"digest {subscriber.id}"
        )
        self._flying[subscriber.id] = task
        task.add_done_callback(partial(self._landed, subscriber.id))

    async def _send_digest(self, subscriber: Subscriber, delivery: Delivery) -> None:
        """One attempt at the digest; the cursor stays where it is, the gathered warnings stay
        until a digest carrying them is delivered."""
        row = subscriber.row
        try:
            tried = await self._try(row, dict(row), delivery)
            changes = _changes(dict(row), tried)
            changes["position"] = row["position"]
            if tried.verdict.outcome == "delivered":
                changes |= {
                    "digest_pending": None,
                    "digest_due_at": tried.at + timedelta(minutes=row["digest_minutes"]),
                }
            async with self._database.write() as conn:
                await conn.execute(
                    subscriptions.update()
                    .where(
                        subscriptions.c.id == subscriber.id,
                        subscriptions.c.position == row["position"],
                        subscriptions.c.attempts == row["attempts"],
                    )
                    .values(changes)
                )
                await conn.execute(delivery_attempts.insert().values(tried.row(subscriber.id)))
            self._told(subscriber, tried, tried.at)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("digest failed", extra={"subscription": subscriber.id})

    def _start(
        self,
        subscriber: Subscriber,
        items: list[tuple[Delivery, datetime]],
        state: dict[str, Any],
    ) -> None:
        task = asyncio.create_task(
            self._deliver(subscriber, items, state), name=f"delivery {subscriber.id}"
        )
        self._flying[subscriber.id] = task
        task.add_done_callback(partial(self._landed, subscriber.id))

    def _landed(self, subscription_id: int, _task: asyncio.Task[None]) -> None:
        self._flying.pop(subscription_id, None)
        self._landed_ids.add(subscription_id)
        self.on_done()

    async def _deliver(
        self,
        subscriber: Subscriber,
        items: list[tuple[Delivery, datetime]],
        state: dict[str, Any],
    ) -> None:
        """The subscription's events in order, each sent once it is its turn; the first that
        fails waits for its retry, and what comes after it waits behind it. Outcomes are
        recorded in order, in batches shared with the other subscriptions."""
        recorded: asyncio.Future[None] | None = None
        try:
            for delivery, raised_at in items:
                tried = await self._try(subscriber.row, state, delivery)
                changes = _changes(state, tried)
                recorded = self._recorder.record(
                    {"b_id": subscriber.id, "b_position": state["position"],
                     "b_attempts": state["attempts"], **changes},
                    tried.row(subscriber.id),
                )  # fmt: skip
                state.update(changes)
                self._told(subscriber, tried, raised_at)
                if tried.verdict.outcome != "delivered":
                    break
            if recorded is not None:
                await recorded
        except asyncio.CancelledError:
            raise
        except Exception:
            # What was not recorded is sent again: the cursor did not move past it.
            log.exception("delivery failed", extra={"subscription": subscriber.id})

    def _told(self, subscriber: Subscriber, tried: Attempt, raised_at: datetime) -> None:
        channel, verdict = subscriber.row["channel"], tried.verdict
        self._metrics.deliveries.labels(channel, verdict.outcome).inc()
        if verdict.outcome == "delivered":
            age = (tried.at - raised_at).total_seconds()
            self._metrics.delivery_seconds.labels(channel).observe(max(0.0, age))
            return
        log.info(
            "delivery failed",
            extra={
                "subscription": subscriber.id, "channel": channel, "seq": tried.delivery.seq,
                "attempt": tried.number, "error": describe(tried.answer),
                "outcome": verdict.outcome,
            },
        )  # fmt: skip
        if verdict.outcome == "disabled":
            log.warning(
                "subscription disabled",
                extra={"subscription": subscriber.id, "reason": verdict.disabled_reason},
            )

    async def _try(self, row: sa.RowMapping, state: dict[str, Any], delivery: Delivery) -> Attempt:
        """One attempt, and what its answer means for the subscription as it stands."""
        async with self._slots:
            started = time.perf_counter()
            answer = await self._send(row, delivery)
            latency = (time.perf_counter() - started) * 1000
        now = self._clock.now()
        number = int(state["attempts"]) + 1
        verdict = judge(
            answer, attempt=number, failing_since=state["failing_since"], now=now,
            schedule=self._settings.retry_schedule, jitter=self._settings.retry_jitter,
            draw=self._draw(), disable_after=timedelta(hours=self._settings.disable_after_hours),
        )  # fmt: skip
        return Attempt(delivery, number, answer, verdict, now, latency)

    async def _send(self, row: sa.RowMapping, delivery: Delivery) -> Answer:
        settings = self._settings
        channel, target = row["channel"], row["target"]
        try:
            credential = self._vault.open(row["credential"]) if row["credential"] else None
        except SecretsUnreadable as exc:
            return Answer(None, str(exc))
        if channel == "email":
            message = channels.mail_message(
                delivery, sender=settings.smtp.sender, to=target, public_url=settings.public_url
            )
            return await channels.send_mail(settings.smtp, message, within=settings.timeout_seconds)
        try:
            check_literal(target, allow_private=settings.allow_private_targets)
        except TargetRefused as exc:
            return Answer(None, f"target refused: {exc}")
        if channel == "webhook":
            assert credential is not None
            body = channels.webhook_body(delivery)
            headers = channels.webhook_headers(
                credential, delivery.message_id, int(self._wall()), body
            )
        elif channel == "pagerduty":
            assert credential is not None
            payload = channels.pagerduty_body(credential, delivery, public_url=settings.public_url)
            body, headers = _json(payload), {"content-type": "application/json"}
        else:
            payload = channels.slack_body(delivery, public_url=settings.public_url)
            body, headers = _json(payload), {"content-type": "application/json"}
        return await channels.post(self._session(), target, body, headers)

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._settings.concurrency * 2,
                    resolver=GuardedResolver(allow_private=self._settings.allow_private_targets),
                ),
                timeout=aiohttp.ClientTimeout(total=self._settings.timeout_seconds),
            )
        return self._http

    # ---- shutting down ----

    async def close(self) -> None:
        """Let attempts in flight finish (they are bounded by the time-out), then close."""
        flying = list(self._flying.values())
        if flying:
            _, pending = await asyncio.wait(flying, timeout=self._settings.timeout_seconds + 5)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._http is not None:
            await self._http.close()
            self._http = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt at a delivery: its number, the answer and what it means."""

    delivery: Delivery
    number: int
    answer: Answer
    verdict: Verdict
    at: datetime
    latency_ms: float

    def row(self, subscription_id: int) -> dict[str, Any]:
        """The attempt as `delivery_attempts` keeps it."""
        return {
            "subscription_id": subscription_id, "seq": self.delivery.seq,
            "message_id": self.delivery.message_id, "attempt": self.number, "at": self.at,
            "outcome": self.verdict.outcome, "status_code": self.answer.status,
            "error": None if self.answer.delivered else describe(self.answer)[:500],
            "latency_ms": round(self.latency_ms, 2),
            "next_attempt_at": self.verdict.next_attempt_at,
        }  # fmt: skip


def _for_digest(item: tuple[Delivery, datetime]) -> bool:
    return item[0].type == "digest"


def _to_send(item: tuple[Delivery, datetime]) -> bool:
    return item[0].type != "digest"


def coalesced(
    items: list[tuple[Delivery, datetime]], window: timedelta
) -> list[tuple[Delivery, datetime]]:
    """Drops a sector's level warning when a later one of the same sector, raised within the
    window, waits behind it: the receiver gets one delivery carrying the latest level. Nothing
    is held back for this: a warning goes out as soon as it is its turn."""
    latest: dict[str, datetime] = {}
    kept: list[tuple[Delivery, datetime]] = []
    for delivery, raised_at in reversed(items):
        warning = delivery.warning
        if delivery.type == "warning" and warning.get("kind") == "sector_level":
            later = latest.get(warning["sector"])
            if later is not None and later - raised_at <= window:
                continue
            latest[warning["sector"]] = raised_at
        kept.append((delivery, raised_at))
    kept.reverse()
    return kept


def _changes(state: dict[str, Any], tried: Attempt) -> dict[str, Any]:
    """The subscription's cursor columns after an attempt (every one, so records batch)."""
    verdict = tried.verdict
    if verdict.outcome == "delivered":
        return {
            "position": tried.delivery.seq, "attempts": 0, "next_attempt_at": None,
            "failing_since": None, "last_success_at": tried.at, "disabled_at": None,
            "disabled_reason": None,
        }  # fmt: skip
    disabled = verdict.outcome == "disabled"
    return {
        "position": tried.delivery.seq - 1,
        "attempts": tried.number,
        "next_attempt_at": verdict.next_attempt_at,
        "failing_since": verdict.failing_since,
        "last_success_at": state["last_success_at"],
        "disabled_at": tried.at if disabled else None,
        "disabled_reason": verdict.disabled_reason if disabled else None,
    }


class Recorder:
    """Writes attempts' outcomes in batches: whatever was recorded within a few milliseconds
    goes in one transaction, in order. Each cursor moves only from where its attempt started
    (compare-and-set); the attempt itself is kept either way, since it happened."""

    def __init__(self, database: Database, *, delay: float = 0.01) -> None:
        self._database = database
        self._delay = delay
        self._pending: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self._batch: asyncio.Future[None] | None = None
        # One batch at a time, in the order they were cut: a cursor's next move expects the
        # position its previous batch wrote.
        self._writing = asyncio.Lock()

    def record(self, cursor: dict[str, Any], attempt: dict[str, Any]) -> asyncio.Future[None]:
        self._pending.append((cursor, attempt))
        if self._batch is None:
            self._batch = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_later(self._delay, self._flush_soon)
        return self._batch

    def _flush_soon(self) -> None:
        batch, self._pending = self._pending, []
        done, self._batch = self._batch, None
        assert done is not None
        task = asyncio.create_task(self._write(batch, done), name="delivery records")
        _WRITES.add(task)
        task.add_done_callback(_WRITES.discard)

    async def _write(
        self, batch: list[tuple[dict[str, Any], dict[str, Any]]], done: asyncio.Future[None]
    ) -> None:
        try:
            async with self._writing, self._database.write() as conn:
                await conn.execute(_CURSOR_MOVE, [cursor for cursor, _ in batch])
                await conn.execute(delivery_attempts.insert(), [row for _, row in batch])
        except Exception as exc:
            if not done.done():
                done.set_exception(exc)
            return
        if not done.done():
            done.set_result(None)


# Flushes in progress, kept so they are not collected before they finish.
_WRITES: set[asyncio.Task[None]] = set()
_CURSOR_MOVE = (
    subscriptions.update()
    .where(
        subscriptions.c.id == sa.bindparam("b_id"),
        subscriptions.c.position == sa.bindparam("b_position"),
        subscriptions.c.attempts == sa.bindparam("b_attempts"),
        subscriptions.c.disabled_at.is_(None),
        subscriptions.c.deleted_at.is_(None),
    )
    .values(
        {
            name: sa.bindparam(name)
            for name in (
                "position", "attempts", "next_attempt_at", "failing_since", "last_success_at",
                "disabled_at", "disabled_reason",
            )
        }
    )
)  # fmt: skip


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()
