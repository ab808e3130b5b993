// Reporting clocks (README: Reporting clocks): the operator's countdown per pending stage beside
// each incident, and the supervisor's "Overdue reports" list for its sectors. Times tick here
// from the server's due times; states come from the server.
import { h, replace } from "./dom.js";
import { clock, parseTime, sectorName } from "./format.js";

/** "3 h 12 min", "2 d 4 h", "45 min", "under a minute". */
export function span(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  if (minutes < 1) return "under a minute";
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days) return hours ? `${days} d ${hours} h` : `${days} d`;
  if (hours) return rest ? `${hours} h ${rest} min` : `${hours} h`;
  return `${rest} min`;
}

function label(c) {
  return `${c.regime_name} ${c.stage_name}`;
}

function countdownText(c, now) {
  const due = parseTime(c.due_at);
  if (due === null) return label(c);
  return due >= now ? `${label(c)} due in ${span(due - now)}` : `${label(c)} overdue by ${span(now - due)}`;
}

function render(item, now) {
  const c = item.clock;
  const due = parseTime(c.due_at);
  const late = c.state === "overdue" || (c.state === "pending" && due !== null && due < now);
  item.el.textContent = countdownText(c, now);
  item.el.classList.toggle("overdue", late);
}

const ticking = new Set();
let timer = null;

function tick() {
  const now = Date.now();
  for (const item of ticking) {
    if (!item.el.isConnected) ticking.delete(item);
    else render(item, now);
  }
  if (!ticking.size) {
    clearInterval(timer);
    timer = null;
  }
}

/** The clocks of one incident: a countdown per stage not yet filed, red once overdue; the
 * stages filed say so briefly. */
export function clockCell(clocks) {
  const open = (clocks || []).filter((c) => c.state === "pending" || c.state === "overdue");
  const filed = (clocks || []).filter((c) => c.state === "met" || c.state === "met_late");
  if (!open.length && !filed.length) return "—";
  const now = Date.now();
  const items = open.map((c) => {
    const el = h("li", { class: "countdown", "data-regime": c.regime, "data-stage": c.stage,
      title: `Due ${clock(c.due_at)}; needs ${c.fields.join(", ") || "no field"}` }); // prettier-ignore
    const item = { el, clock: c };
    render(item, now);
    ticking.add(item);
    return el;
  });
  if (ticking.size && timer === null) timer = setInterval(tick, 30_000);
  const done = filed.map((c) => h("li", { class: `filed ${c.state}`, "data-regime": c.regime,
    "data-stage": c.stage }, `${label(c)} ${c.state === "met" ? "filed" : "filed late"}`)); // prettier-ignore
  return h("ul", { class: "clocks" }, items, done);
}

/** Supervisors and admins: the stages overdue in their scope, reloaded every minute. */
export function mountOverdue(container, { api }) {
  const body = h("div", { id: "overdue-reports" });
  container.append(body);

  async function load() {
    try {
      const { items } = await api.get("/v1/clocks/overdue?limit=100");
      if (!items.length) {
        replace(body, h("p", { class: "muted" }, "No reporting stage is overdue."));
        return;
      }
      const now = Date.now();
      replace(body, h("ul", { class: "overdue-list" }, items.map((i) => h("li", {
        "data-incident": String(i.incident_id), "data-stage": i.stage },
        h("strong", {}, `${i.org_id}`), ` (${sectorName(i.sector)}), incident #${i.incident_id}: `,
        h("span", { class: "countdown overdue" }, countdownText(i, now)))))); // prettier-ignore
    } catch (error) {
      replace(body, h("p", { class: "field-error" }, `Cannot load overdue reports: ${error.message}`));
    }
  }
  load();
  const every = setInterval(load, 60_000);
  return { reload: load, stop: () => clearInterval(every) };
}
