// Words, times and small pictures shared by every view.
import { h, s } from "./dom.js";
import { vocabulary } from "./vocabulary.js";

/** The service's levels, lowest first. */
export function levels() {
  return vocabulary().levels;
}

export function rank(level) {
  return Math.max(0, levels().indexOf(level));
}

export function sectorName(sector) {
  const words = String(sector).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The service's own word, spaced and capitalised ("Sector level"): every kind reads well so,
 * which spares the board a list of labels to keep in step with the server's kinds. */
export function kindName(kind) {
  return sectorName(kind);
}

export function levelBadge(level, extra = "") {
  const known = levels().includes(level) ? level : "none";
  return h("span", { class: `badge level-${known} ${extra}`.trim() }, known.toUpperCase());
}

/** A small square in a level's colour, beside words that name the level: never a badge, so it
 * is not read as the level of what it sits in. */
export function levelMark(level) {
  const known = levels().includes(level) ? level : "none";
  return h("span", { class: `mark level-${known}`, "aria-hidden": "true" });
}

/** A scoring rule's name as a heading ("severe_incident" → "Severe incident"). */
export function ruleName(rule) {
  return sectorName(rule);
}

export function parseTime(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

export function clock(iso) {
  const t = typeof iso === "number" ? iso : parseTime(iso);
  if (t === null) return "—";
  const d = new Date(t);
  const sameDay = new Date().toDateString() === d.toDateString();
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23" });
  return sameDay ? time : `${d.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
}

export function duration(ms) {
  const sec = Math.max(0, Math.round(ms / 1000));
  if (sec < 60) return `${sec} s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return `${hours} h ${min % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

export function ago(iso, now = Date.now()) {
  const t = typeof iso === "number" ? iso : parseTime(iso);
  return t === null ? "never" : `${duration(now - t)} ago`;
}

/** A <time> that views refresh in place (class "age", data-at). */
export function age(iso, prefix = "") {
  const t = parseTime(iso);
  return h(
    "time",
    { class: "age", datetime: iso || undefined, "data-at": t ?? "", "data-prefix": prefix },
    prefix + ago(t),
  );
}

export function until(iso, now = Date.now()) {
  const t = typeof iso === "number" ? iso : parseTime(iso);
  if (t === null) return "—";
  return t <= now ? "due now" : `in ${duration(t - now)}`;
}

/** A <time> counting down to a moment ("in 4 min", then "due now"), refreshed like `age`. */
export function dueIn(iso) {
  const t = parseTime(iso);
  return h(
    "time",
    { class: "age", datetime: iso || undefined, "data-at": t ?? "", "data-until": "true",
      title: t === null ? undefined : clock(t) }, // prettier-ignore
    until(t),
  );
}

export function refreshAges(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll("time.age")) {
    const at = el.dataset.at ? Number(el.dataset.at) : null;
    el.textContent = el.dataset.until ? until(at, now) : (el.dataset.prefix || "") + ago(at, now);
  }
}

const CHANNELS = { webhook: "Webhook", pagerduty: "PagerDuty", slack: "Slack", email: "Mail" };

/** A subscription's channel as people write it ("pagerduty" → "PagerDuty"). */
export function channelName(channel) {
  return CHANNELS[channel] || sectorName(channel);
}

export function score(value) {
  return typeof value === "number" ? value.toFixed(1) : "—";
}

/** The last 24 hourly scores as a line, oldest left; the scale is 0 to at least 100. */
export function sparkline(trend, label) {
  const points = Array.isArray(trend) && trend.length ? trend : [0];
  const w = 120;
  const ht = 32;
  const top = Math.max(100, ...points);
  const pad = 3;
  const step = points.length > 1 ? (w - 2 * pad) / (points.length - 1) : 0;
  const xy = points.map((v, i) => [pad + i * step, ht - 3 - (Math.max(0, v) / top) * (ht - 6)]);
  const line = xy.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`).join(" ");
  const area = `${line} L${xy.at(-1)[0]} ${ht} L${pad} ${ht} Z`;
  const [lx, ly] = xy[xy.length - 1];
  return s(
    "svg",
    { class: "spark", viewBox: `0 0 ${w} ${ht}`, role: "img", "aria-label": label,
      preserveAspectRatio: "none" },
    s("title", {}, label),
    s("path", { class: "spark-area", d: area }),
    s("path", { class: "spark-line", d: line }),
    // A zero-length line with round caps: a dot that stays round however the SVG is stretched.
    s("path", { class: "spark-dot", d: `M${lx.toFixed(1)} ${ly.toFixed(1)}h0` }),
  );
}

export function trendLabel(trend) {
  const points = Array.isArray(trend) ? trend : [];
  if (!points.length) return "No trend data";
  const hi = Math.max(...points);
  return `Score over the last 24 hours: highest ${hi.toFixed(1)}, now ${points.at(-1).toFixed(1)}`;
}

export function randomKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Calls fn at most once per `ms`, first call at once, one trailing call for the rest. */
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  const run = () => {
    last = Date.now();
    timer = null;
    fn();
  };
  const throttled = () => {
    if (timer) return;
    const wait = last + ms - Date.now();
    if (wait <= 0) run();
    else timer = setTimeout(run, wait);
  };
  throttled.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };
  return throttled;
}

/** Calls fn once calls have paused for `ms`, and at least every `maxWait` ms while they go on. */
export function debounce(fn, ms, maxWait = Infinity) {
  let timer = null;
  let first = null;
  const run = () => {
    clearTimeout(timer);
    timer = null;
    first = null;
    fn();
  };
  const debounced = () => {
    const now = Date.now();
    first ??= now;
    clearTimeout(timer);
    timer = setTimeout(run, Math.max(0, Math.min(ms, first + maxWait - now)));
  };
  debounced.cancel = () => {
    clearTimeout(timer);
    timer = null;
    first = null;
  };
  return debounced;
}
