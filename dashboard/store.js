// The board's local state: sectors, warnings and campaigns. Frames are applied here, so
// nothing is fetched again for every event; views listen for "sectors", "warnings" and
// "campaigns".

const KEEP_WARNINGS = 500; // also the most warnings whose response steps wait to be loaded
// A warning only moves forward through these; resolved is final.
const STATES = ["new", "acknowledged", "responding", "resolved"];

/** The further along of two views of one warning: an answer read before a step was taken (a
 * backfill, a snapshot racing the feed) never undoes that step on the board. */
function merged(current, incoming) {
  const next = { ...incoming };
  if (current.acknowledged_at && !next.acknowledged_at) {
    next.acknowledged_at = current.acknowledged_at;
    next.acknowledged_by = current.acknowledged_by;
  }
  if (STATES.indexOf(current.state) > STATES.indexOf(next.state)) {
    next.state = current.state;
    next.assignee = current.assignee;
    next.resolved_at = current.resolved_at ?? null;
  }
  next.escalated_tier = Math.max(current.escalated_tier ?? 1, next.escalated_tier ?? 1);
  return next;
}

/** The warning after a `response` frame's step. Assigning or resolving acknowledges it too
 * (no separate `ack` frame comes for that). */
export function withResponse(warning, data) {
  const next = { ...warning };
  if (data.action === "escalated") {
    next.escalated_tier = Math.max(next.escalated_tier ?? 1, data.tier ?? 1);
    return next;
  }
  if (data.action === "note") return next;
  if (!next.acknowledged_at) {
    next.acknowledged_at = data.at;
    next.acknowledged_by = data.actor;
  }
  if (STATES.indexOf(data.state) < STATES.indexOf(next.state)) return next;
  next.state = data.state;
  if (data.action === "assigned" || data.assignee) next.assignee = data.assignee ?? null;
  if (data.action === "resolved") next.resolved_at = data.at;
  return next;
}

export class Store extends EventTarget {
  constructor() {
    super();
    this.sectors = new Map();
    this.warnings = new Map();
    this.campaigns = [];
    this.pendingAcks = new Map(); // acknowledgements of warnings not loaded (yet)
    this.pendingResponses = new Map(); // id -> response steps of warnings not loaded (yet)
    this.marks = new Map(); // warning id -> "live" | "replayed"
  }

  emit(topic, detail = {}) {
    this.dispatchEvent(new CustomEvent(topic, { detail }));
  }

  setSectors(items) {
    for (const item of items) {
      const current = this.sectors.get(item.sector);
      const frameAt = current?.frameAt ? Date.parse(current.frameAt) : null;
      const restAt = item.updated_at ? Date.parse(item.updated_at) : null;
      if (frameAt !== null && (restAt === null || frameAt > restAt)) {
        // A level change arrived after the state this answer was read from.
        this.sectors.set(item.sector, {
          ...item,
          level: current.level,
          score: current.score,
          frameAt: current.frameAt,
        });
      } else {
        this.sectors.set(item.sector, { ...item });
      }
    }
    this.emit("sectors", { changed: null });
  }

  applySectorLevel(data) {
    const current = this.sectors.get(data.sector) || { sector: data.sector, trend: [] };
    this.sectors.set(data.sector, {
      ...current,
      level: data.level,
      score: data.score,
      updated_at: data.at,
      level_since: data.at,
      // Its own upstreams' risk, as of this change; its dependents' risk comes with the sector
      // list the change makes the board fetch again.
      dependency_risk: data.dependency_risk ?? current.dependency_risk ?? [],
      frameAt: data.at,
    });
    this.emit("sectors", { changed: data.sector, previous: data.previous_level });
  }

  resetWarnings(items) {
    this.warnings = new Map();
    this.mergeWarnings(items);
  }

  mergeWarnings(items) {
    for (const warning of items) this.put(warning);
    this.trim();
    this.emit("warnings", {});
  }

  upsertWarning(warning, mark) {
    const known = this.warnings.has(warning.id);
    this.put(warning);
    if (mark && !known) {
      this.marks.set(warning.id, mark);
      if (mark === "live") {
        // "new" for a minute; "while offline" stays until the page is left.
        setTimeout(() => {
          if (this.marks.get(warning.id) !== "live") return;
          this.marks.delete(warning.id);
          this.emit("warnings", {});
        }, 60_000);
      }
    }
    this.trim();
    this.emit("warnings", { added: known ? null : warning });
  }

  put(warning) {
    const current = this.warnings.get(warning.id);
    let next = current ? merged(current, warning) : { ...warning };
    const ack = this.pendingAcks.get(warning.id);
    if (ack && !next.acknowledged_at) {
      next.acknowledged_at = ack.acknowledged_at;
      next.acknowledged_by = ack.acknowledged_by;
    }
    for (const data of this.pendingResponses.get(warning.id) || []) next = withResponse(next, data);
    this.pendingAcks.delete(warning.id);
    this.pendingResponses.delete(warning.id);
    this.warnings.set(warning.id, next);
  }

  applyAck(data) {
    const warning = this.warnings.get(data.warning_id);
    if (!warning) {
      this.pendingAcks.set(data.warning_id, data);
      return;
    }
    if (warning.acknowledged_at) return;
    this.warnings.set(data.warning_id, {
      ...warning,
      acknowledged_at: data.acknowledged_at,
      acknowledged_by: data.acknowledged_by,
    });
    this.emit("warnings", { acked: data.warning_id });
  }

  applyResponse(data) {
    const warning = this.warnings.get(data.warning_id);
    if (!warning) {
      const steps = this.pendingResponses.get(data.warning_id) || [];
      steps.push(data);
      this.pendingResponses.delete(data.warning_id); // re-inserted as the newest
      this.pendingResponses.set(data.warning_id, steps);
      // Steps of old warnings never loaded would pile up otherwise; the oldest go first.
      if (this.pendingResponses.size > KEEP_WARNINGS) {
        this.pendingResponses.delete(this.pendingResponses.keys().next().value);
      }
      return;
    }
    this.warnings.set(data.warning_id, withResponse(warning, data));
    this.emit("warnings", { responded: data.warning_id, response: data });
  }

  trim() {
    if (this.warnings.size <= KEEP_WARNINGS) return;
    const oldest = [...this.warnings.values()].sort((a, b) => a.seq - b.seq);
    for (const warning of oldest.slice(0, this.warnings.size - KEEP_WARNINGS)) {
      this.warnings.delete(warning.id);
      this.marks.delete(warning.id);
    }
  }

  newestFirst() {
    return [...this.warnings.values()].sort((a, b) => b.seq - a.seq);
  }

  setCampaigns(items) {
    const same = JSON.stringify(items) === JSON.stringify(this.campaigns);
    this.campaigns = items;
    if (!same) this.emit("campaigns", {});
  }
}
