// Reporting clocks (README: Reporting clocks): the operator's countdown per pending stage beside
// each incident, and the supervisor's "Overdue reports" list for its sectors. Times tick here
// from the server's due times; states come from the server.
import { apiError } from "./api.js";
import { h, replace } from "./dom.js";
import { clock, parseTime, sectorName } from "./format.js";
import { duration, known, list, t, tNodes } from "./i18n.js";

/** "3h 12m", "2d 4h", "45m", "under a minute" (in the board's language). */
export function span(ms) {
  if (Math.abs(ms) < 60_000) return t("clocks.underMinute");
  return duration(Math.abs(ms), { smallest: "minutes" });
}

/** "EU NIS2 early warning": the catalogue's names of the regime and stage, or the service's
 * (as configured) for a regime the board does not know. */
function label(c) {
  const regime = known(`regime.${c.regime}`) ? t(`regime.${c.regime}`) : c.regime_name;
  const stageKey = `stage.${c.regime}.${c.stage}`;
  const stage = known(stageKey) ? t(stageKey) : c.stage_name;
  return t("clocks.label", { regime, stage });
}

function countdownText(c, now) {
  const due = parseTime(c.due_at);
  if (due === null) return label(c);
  return due >= now
    ? t("clocks.dueIn", { label: label(c), span: span(due - now) })
    : t("clocks.overdueBy", { label: label(c), span: span(now - due) });
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
    // The fields a filing needs are the API's own keys: shown as they are sent.
    const needs = c.fields.length ? list(c.fields) : t("clocks.noField");
    const el = h("li", { class: "countdown", "data-regime": c.regime, "data-stage": c.stage,
      title: t("clocks.dueTitle", { time: clock(c.due_at), fields: needs }) }); // prettier-ignore
    const item = { el, clock: c };
    render(item, now);
    ticking.add(item);
    return el;
  });
  if (ticking.size && timer === null) timer = setInterval(tick, 30_000);
  const done = filed.map((c) => h("li", { class: `filed ${c.state}`, "data-regime": c.regime,
    "data-stage": c.stage }, t(c.state === "met" ? "clocks.filed" : "clocks.filedLate", { label: label(c) }))); // prettier-ignore
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
        replace(body, h("p", { class: "muted" }, t("clocks.overdue.none")));
        return;
      }
      const now = Date.now();
      replace(body, h("ul", { class: "overdue-list" }, items.map((i) => h("li", {
        "data-incident": String(i.incident_id), "data-stage": i.stage },
        tNodes("clocks.overdue.item", { org: h("strong", {}, i.org_id), sector: sectorName(i.sector),
          id: String(i.incident_id), countdown: h("span", { class: "countdown overdue" }, countdownText(i, now)) }))))); // prettier-ignore
    } catch (error) {
      replace(body, h("p", { class: "field-error" }, t("clocks.overdue.cannotLoad", { error: apiError(error) })));
    }
  }
  load();
  const every = setInterval(load, 60_000);
  return { reload: load, dispose: () => clearInterval(every) };
}
