// The live feed: a ticket, a WebSocket, frames in seq order exactly once, and reconnection
// with back-off that resumes after the last seq seen. It also knows when it has gone quiet.

const DEFAULT_KEEPALIVE = 15; // seconds, the service's default until heartbeats say otherwise
const MAX_BACKOFF = 5_000; // a board retries at least this often while the service is away

export class Feed {
  constructor({ api, onFrame, onConnected, onGap, onStatus, onAuthFailure }) {
    this.api = api;
    this.handlers = { onFrame, onConnected, onGap, onStatus, onAuthFailure };
    this.ws = null;
    this.state = "idle"; // connecting | live | waiting | stopped
    this.lastSeq = null; // last event applied; `after` of the next connection
    this.head = null; // newest seq in the service's log, from connected and heartbeats
    this.lag = null; // {reports, seconds} the correlator is behind, from heartbeats
    this.syncedTo = null; // every event up to here that we may see has arrived
    this.lastFrameAt = null;
    this.connectedAt = null;
    this.disconnectedAt = null;
    this.retryAt = null;
    this.attempts = 0;
    this.lastClose = null;
    this.lastError = null; // {key, error?, code?, reason?}: the status line words it
    this.keepalive = DEFAULT_KEEPALIVE;
    this.keepaliveKnown = false;
    this.heartbeats = [];
    this.replayUntil = null;
    this.duplicates = 0;
    this.retryTimer = null;
    this.watchdog = null;
    this.wake = () => {
      if (this.state === "waiting") this.reconnectNow();
    };
  }

  start() {
    this.watchdog = setInterval(() => this.tick(), 1000);
    window.addEventListener("online", this.wake);
    document.addEventListener("visibilitychange", this.wake);
    this.connect();
  }

  stop() {
    this.state = "stopped";
    clearInterval(this.watchdog);
    clearTimeout(this.retryTimer);
    window.removeEventListener("online", this.wake);
    document.removeEventListener("visibilitychange", this.wake);
    this.drop(1000, "signed out");
  }

  reconnectNow() {
    if (this.state === "stopped" || this.state === "connecting") return;
    this.drop(4000, "reconnecting");
    this.connect();
  }

  /** Silence longer than this (ms) means the data on screen may be out of date. */
  staleAfter() {
    return (this.keepalive + Math.max(2, this.keepalive / 2)) * 1000;
  }

  isStale(now = Date.now()) {
    if (this.state !== "live") return true;
    return this.lastFrameAt === null || now - this.lastFrameAt > this.staleAfter();
  }

  behind() {
    if (this.head === null) return null;
    return Math.max(0, this.head - Math.max(this.syncedTo ?? 0, this.lastSeq ?? 0));
  }

  async connect() {
    clearTimeout(this.retryTimer);
    if (this.state === "stopped") return;
    this.state = "connecting";
    this.retryAt = null;
    this.emitStatus();
    let ticket;
    try {
      ticket = await this.api.post("/v1/feed/tickets");
    } catch (error) {
      if (this.state === "stopped") return;
      if (error.status === 401) {
        this.state = "stopped";
        this.handlers.onAuthFailure?.(error);
        return;
      }
      this.lastError = { key: "feed.noTicket", error };
      this.scheduleRetry();
      return;
    }
    if (this.state === "stopped") return;
    const url = new URL("/v1/feed", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (this.lastSeq !== null) url.searchParams.set("after", String(this.lastSeq));
    let ws;
    try {
      ws = new WebSocket(url, ["awareness.v1", `ticket.${ticket.ticket}`]);
    } catch (error) {
      this.lastError = { key: "feed.cannotOpen", error };
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onmessage = (event) => this.receive(ws, event);
    ws.onclose = (event) => this.closed(ws, event.code, event.reason);
    ws.onerror = () => {}; // a close event always follows, with the code
  }

  receive(ws, event) {
    if (ws !== this.ws) return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    const now = Date.now();
    this.lastFrameAt = now;
    const seq = typeof frame.seq === "number" ? frame.seq : null;
    switch (frame.type) {
      case "connected": {
        this.head = seq ?? 0;
        if (this.lastSeq !== null && this.head < this.lastSeq) {
          // The log is younger than what we saw (a fresh database): start over.
          this.lastSeq = null;
        }
        const resumed = this.lastSeq !== null;
        const after = this.lastSeq;
        const downSince = this.disconnectedAt;
        if (!resumed) this.lastSeq = this.head;
        this.syncedTo = this.lastSeq;
        this.replayUntil = this.head;
        if (typeof frame.keepalive_seconds === "number" && frame.keepalive_seconds > 0) {
          this.keepalive = frame.keepalive_seconds;
          this.keepaliveKnown = true;
        }
        this.heartbeats = [];
        this.state = "live";
        this.attempts = 0;
        this.connectedAt = now;
        this.disconnectedAt = null;
        this.lastError = null;
        this.handlers.onConnected?.({ resumed, after, head: this.head, downSince, now });
        break;
      }
      case "heartbeat": {
        if (seq !== null) {
          this.head = Math.max(this.head ?? 0, seq);
          this.syncedTo = Math.max(this.syncedTo ?? 0, seq);
        }
        if (frame.lag_reports !== undefined) {
          this.lag = { reports: frame.lag_reports, seconds: frame.lag_seconds ?? 0 };
        }
        this.learnKeepalive(now);
        break;
      }
      case "gap":
        this.handlers.onGap?.(frame);
        break;
      default: {
        if (seq !== null) {
          if (this.lastSeq !== null && seq <= this.lastSeq) {
            this.duplicates += 1; // already applied: a replay overlapping what we had
            break;
          }
          this.lastSeq = seq;
          this.head = Math.max(this.head ?? 0, seq);
        }
        const replayed = seq !== null && this.replayUntil !== null && seq <= this.replayUntil;
        this.handlers.onFrame?.(frame, { replayed });
      }
    }
    this.emitStatus();
  }

  learnKeepalive(now) {
    if (this.keepaliveKnown) return;
    this.heartbeats.push(now);
    if (this.heartbeats.length > 6) this.heartbeats.shift();
    if (this.heartbeats.length < 3) return;
    const gaps = this.heartbeats.slice(1).map((t, i) => t - this.heartbeats[i]);
    gaps.sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)] / 1000;
    if (median > 0.2) this.keepalive = median;
  }

  closed(ws, code, reason) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.lastClose = { code, reason, at: Date.now() };
    if (this.disconnectedAt === null) this.disconnectedAt = Date.now();
    if (this.state === "stopped") return;
    if (code === 4400) {
      // The service refused our parameters: start afresh (a full reload of the state).
      this.lastSeq = null;
    }
    this.lastError = describeClose(code, reason);
    this.scheduleRetry(code === 1013 ? 0 : undefined);
  }

  drop(code, reason) {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      try {
        ws.close(code, reason);
      } catch {
        /* already closing */
      }
      if (this.disconnectedAt === null) this.disconnectedAt = Date.now();
    }
  }

  scheduleRetry(delay) {
    if (this.state === "stopped") return;
    const base = Math.min(MAX_BACKOFF, 500 * 2 ** this.attempts);
    const wait = delay ?? Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempts += 1;
    this.state = "waiting";
    this.retryAt = Date.now() + wait;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), wait);
    this.emitStatus();
  }

  tick() {
    if (this.state === "live" && this.lastFrameAt !== null) {
      // Twice the stale limit without a frame: the connection is dead though not closed.
      if (Date.now() - this.lastFrameAt > 2 * this.staleAfter()) {
        this.drop(4000, "silent");
        this.lastError = { key: "feed.silent" };
        this.scheduleRetry(0);
      }
    }
    this.emitStatus();
  }

  emitStatus() {
    this.handlers.onStatus?.(this);
  }
}

const CLOSE_CODES = [1001, 1006, 1012, 1013, 4400, 4401];

/** Why the feed closed, for the status line to say in the board's language (`{key, …}`). */
function describeClose(code, reason) {
  const known = CLOSE_CODES.includes(code);
  // The reason of a known code is meant for programs ("reconnect with after=..."), not people;
  // the service's own reason for its refusals (4xxx) is shown as it came.
  return {
    key: known ? `feed.close.${code}` : "feed.close.other",
    code: String(code),
    reason: code >= 4000 || !known ? reason || "" : "",
  };
}
