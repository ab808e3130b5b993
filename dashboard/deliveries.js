// Deliveries: the subscriptions the caller manages and how their deliveries fare (failing,
// disabled, events waiting), each with its recent attempts; a disabled one can be enabled again.
// Rows are kept by id and updated in place, so a refresh never takes the keyboard focus away.
import { apiError } from "./api.js";
import { h, replace } from "./dom.js";
import { age, channelName, clock, dueIn } from "./format.js";
import { number, t } from "./i18n.js";
import { outcomeWord } from "./response.js";

const REFRESH_MS = 30_000;
const ATTEMPTS_SHOWN = 20;
const MAX_PAGES = 10; // 100 subscriptions a page

const SCOPES = ["admin", "supervisor", "responder"];
const COLUMNS = ["name", "channel", "target", "tier", "state", "success", "failures", "backlog", "retry",
  "actions"]; // prettier-ignore
const ATTEMPT_COLUMNS = ["time", "event", "attempt", "outcome", "status", "latency", "error", "next"];

function health(s) {
  if (s.state === "disabled") return ["disabled", t("deliveries.state.disabled")];
  if (s.failing_since || s.attempts > 0) return ["failing", t("deliveries.state.failing")];
  return ["active", t("deliveries.state.active")];
}

export function mountDeliveries(container, { api, role }) {
  const bodyId = "deliveries-body";
  const summary = h("p", { class: "deliveries-summary", id: "deliveries-summary" }, t("deliveries.loading"));
  const error = h("p", { class: "field-error", role: "alert" });
  const refreshButton = h("button", { type: "button", class: "secondary small", onclick: () => refresh() },
    t("deliveries.refresh")); // prettier-ignore
  const toggle = h("button", { type: "button", class: "secondary small", "aria-expanded": "true",
    "aria-controls": bodyId }, t("deliveries.hide")); // prettier-ignore
  const tbody = h("tbody", {});
  const table = h("table", { class: "deliveries", id: "deliveries-table" },
    h("caption", { class: "visually-hidden" }, t("deliveries.caption")),
    h("thead", {}, h("tr", {}, COLUMNS.map((c) => h("th", { scope: "col" }, t(`deliveries.col.${c}`))))), tbody); // prettier-ignore
  const empty = h("p", { class: "empty", hidden: true }, t("deliveries.empty"));
  const body = h("div", { id: bodyId }, h("p", { class: "muted" }, t(`deliveries.scope.${SCOPES.includes(role) ? role : "responder"}`)),
    h("div", { class: "table-wrap" }, table), empty); // prettier-ignore
  container.append(h("div", { class: "panel-bar" }, summary, refreshButton, toggle), error, body);

  const rows = new Map(); // id -> entry
  let asked = 0;
  let lastItems = [];

  async function list() {
    const items = [];
    let cursor = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const params = new URLSearchParams({ limit: "100" });
      if (cursor) params.set("cursor", cursor);
      const answer = await api.get(`/v1/subscriptions?${params}`);
      items.push(...answer.items);
      cursor = answer.next;
      if (!cursor) break;
    }
    return items;
  }

  async function refresh() {
    const ticket = ++asked;
    try {
      const items = await list();
      if (ticket !== asked) return; // a later answer is coming
      error.textContent = "";
      show(items);
    } catch (e) {
      if (ticket !== asked) return;
      error.textContent = t("deliveries.cannotLoad", { error: apiError(e) });
    }
  }

  function show(items) {
    lastItems = items;
    const keep = new Set(items.map((s) => s.id));
    for (const [id, entry] of rows) {
      if (keep.has(id)) continue;
      entry.row.remove();
      entry.detail.remove();
      rows.delete(id);
    }
    let index = 0;
    for (const item of items) {
      let entry = rows.get(item.id);
      if (!entry) {
        entry = create(item);
        rows.set(item.id, entry);
      }
      update(entry, item);
      // Moved only when out of place: moving a row that holds the focus would drop it.
      for (const el of entry.open ? [entry.row, entry.detail] : [entry.row]) {
        if (tbody.children[index] !== el) tbody.insertBefore(el, tbody.children[index] || null);
        index += 1;
      }
      if (entry.open) loadAttempts(entry);
    }
    empty.hidden = items.length > 0;
    table.hidden = items.length === 0;
    summary.textContent = describe(items);
  }

  function describe(items) {
    const checked = t("deliveries.checked", { time: clock(Date.now()) });
    if (!items.length) return `${t("deliveries.none")} · ${checked}`;
    const disabled = items.filter((s) => s.state === "disabled").length;
    const failing = items.filter((s) => health(s)[0] === "failing").length;
    const waiting = items.reduce((n, s) => n + (s.backlog || 0), 0);
    const parts = [t("deliveries.count", { count: items.length })];
    if (disabled) parts.push(t("deliveries.disabled", { count: disabled }));
    if (failing) parts.push(t("deliveries.failing", { count: failing }));
    if (!disabled && !failing) parts.push(t("deliveries.noneFailing"));
    if (waiting) parts.push(t("deliveries.waiting", { count: waiting }));
    return [...parts, checked].join(" · ");
  }

  function create(item) {
    const id = `deliveries-${item.id}`;
    const cells = COLUMNS.slice(0, -1).map(() => h("td", {}));
    cells[0] = h("th", { scope: "row" });
    const enableError = h("span", { class: "field-error", role: "alert" });
    const entry = { row: null, detail: null, cells, open: false, key: null, item, asked: 0 };
    const enable = h("button", { type: "button", class: "small" }, t("deliveries.enable"));
    let busy = false;
    enable.addEventListener("click", async () => {
      if (busy) return;
      busy = true; // not `disabled`: a disabled button would drop the keyboard focus
      enable.setAttribute("aria-disabled", "true");
      enable.textContent = t("deliveries.enabling");
      enableError.textContent = "";
      try {
        const view = await api.post(`/v1/subscriptions/${entry.item.id}/enable`);
        update(entry, view);
        summary.textContent = describe(lastItems.map((s) => (s.id === view.id ? view : s)));
        refresh();
      } catch (e) {
        enableError.textContent = t("deliveries.notEnabled", { error: apiError(e) });
      } finally {
        busy = false;
        enable.removeAttribute("aria-disabled");
        enable.textContent = t("deliveries.enable");
      }
    });
    const attemptsList = h("div", { class: "attempts" });
    entry.detail = h("tr", { class: "attempts-row", id: `${id}-attempts` },
      h("td", { colspan: String(COLUMNS.length) }, attemptsList)); // prettier-ignore
    const more = h("button", { type: "button", class: "secondary small", "aria-expanded": "false",
      "aria-controls": entry.detail.id }, t("deliveries.attempts")); // prettier-ignore
    more.addEventListener("click", () => {
      entry.open = !entry.open;
      more.setAttribute("aria-expanded", String(entry.open));
      if (entry.open) {
        entry.row.after(entry.detail);
        loadAttempts(entry);
      } else {
        entry.detail.remove();
      }
    });
    entry.attemptsList = attemptsList;
    entry.enable = enable;
    entry.row = h("tr", { "data-subscription": String(item.id) }, cells,
      h("td", { class: "actions" }, more, " ", enable, " ", enableError)); // prettier-ignore
    return entry;
  }

  function update(entry, s) {
    entry.item = s;
    const key = JSON.stringify(s);
    if (key === entry.key) return;
    entry.key = key;
    const hadFocus = entry.enable === document.activeElement;
    const stateFocused = entry.cells[4].contains(document.activeElement);
    const [state, words] = health(s);
    entry.row.dataset.state = state;
    const [name, channel, target, tier, stateCell, success, failures, backlog, retry] = entry.cells;
    replace(name, s.name);
    replace(channel, channelName(s.channel));
    replace(target, h("code", { class: "target" }, s.target));
    replace(tier, String(s.tier));
    // The service's reason stays as it wrote it (English, like every API message).
    replace(stateCell,
      h("span", { class: `sub-state sub-${state}`, tabindex: "-1" }, words),
      s.state === "disabled"
        ? h("p", { class: "sub-reason" },
            s.disabled_reason ? t("deliveries.reason", { reason: s.disabled_reason }) : t("deliveries.noReason"),
            s.disabled_at ? t("deliveries.disabledSince", { time: clock(s.disabled_at) }) : "")
        : s.failing_since ? h("p", { class: "sub-reason" }, t("deliveries.failingSince", { time: clock(s.failing_since) })) : null,
    ); // prettier-ignore
    replace(success, s.last_success_at ? age(s.last_success_at) : t("time.never"));
    replace(failures, number(s.attempts));
    replace(backlog, number(s.backlog));
    replace(retry, s.state !== "disabled" && s.next_attempt_at ? dueIn(s.next_attempt_at) : "—");
    entry.enable.hidden = s.state !== "disabled";
    // The focus stays on the state it was on, and goes there from an Enable now hidden.
    if (stateFocused || (hadFocus && entry.enable.hidden)) stateCell.querySelector(".sub-state").focus();
  }

  async function loadAttempts(entry) {
    const ticket = ++entry.asked;
    const list = entry.attemptsList;
    if (!list.children.length) replace(list, h("p", { class: "muted" }, t("deliveries.attempts.loading")));
    try {
      const page = await api.get(`/v1/subscriptions/${entry.item.id}/deliveries?limit=${ATTEMPTS_SHOWN}`);
      if (ticket !== entry.asked) return;
      replace(list, attemptsTable(entry.item, page.items));
    } catch (e) {
      if (ticket !== entry.asked) return;
      replace(list, h("p", { class: "field-error", role: "alert" }, t("deliveries.attempts.cannotLoad", { error: apiError(e) })));
    }
  }

  let expanded = true;
  toggle.addEventListener("click", () => {
    expanded = !expanded;
    body.hidden = !expanded;
    toggle.setAttribute("aria-expanded", String(expanded));
    toggle.textContent = t(expanded ? "deliveries.hide" : "deliveries.show");
    if (expanded) refresh();
  });
  // Every 30 s while it is open and the page is in sight; at once when the page comes back.
  const timer = setInterval(() => {
    if (expanded && document.visibilityState === "visible") refresh();
  }, REFRESH_MS);
  const onVisible = () => expanded && document.visibilityState === "visible" && refresh();
  document.addEventListener("visibilitychange", onVisible);
  refresh();

  return {
    refresh,
    dispose() {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    },
  };
}

function attemptsTable(subscription, attempts) {
  if (!attempts.length) return h("p", { class: "empty" }, t("deliveries.attempts.none", { name: subscription.name }));
  return h("table", { class: "attempts-table" },
    h("caption", {}, t("deliveries.attempts.caption", { count: attempts.length, name: subscription.name })),
    h("thead", {}, h("tr", {}, ATTEMPT_COLUMNS.map((c) => h("th", { scope: "col" }, t(`deliveries.attempts.col.${c}`))))),
    h("tbody", {}, attempts.map((a) => h("tr", { "data-outcome": a.outcome },
      h("td", {}, h("time", { datetime: a.at }, clock(a.at))),
      h("td", {}, t("deliveries.attempts.seq", { seq: String(a.seq) })),
      h("td", {}, String(a.attempt)),
      h("td", {}, h("span", { class: `outcome outcome-${a.outcome}` }, outcomeWord(a.outcome))),
      h("td", {}, a.status_code ? t("timeline.status.bare", { status: String(a.status_code) }) : "—"),
      h("td", {}, number(Math.round(a.latency_ms), { style: "unit", unit: "millisecond", unitDisplay: "short" })),
      // The service's error stays as it wrote it (English, like every API message).
      h("td", { class: "attempt-error" }, a.error || "—"),
      h("td", {}, a.next_attempt_at ? clock(a.next_attempt_at) : "—"))))); // prettier-ignore
}
