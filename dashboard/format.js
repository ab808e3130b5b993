// Words, times and small pictures shared by every view, in the board's language (i18n.js):
// the service's words (levels, kinds, rules, report values) become the catalogue's, and a word
// the catalogue lacks is shown as the service wrote it, spaced and capitalised.
import { h, s } from "./dom.js";
import { dateTime, duration as durationText, known, locale, number, relative, t } from "./i18n.js";
import { vocabulary } from "./vocabulary.js";

/** The service's levels, lowest first. */
export function levels() {
  return vocabulary().levels;
}

export function rank(level) {
  return Math.max(0, levels().indexOf(level));
}

/** An identifier as words ("severe_incident" → "Severe incident"): the last resort for a word
 * of the service the catalogue does not know yet. */
export function humanize(id) {
  const words = String(id).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A catalogue word for a service value (`prefix.value`), or the value humanized. */
function word(prefix, value) {
  const key = `${prefix}.${value}`;
  return known(key) ? t(key) : humanize(value);
}

/** The profile's name of a sector in the board's language (GET /v1/vocabulary `sector_names`),
 * its English name, or its id humanized when the service names none. */
export function sectorName(sector) {
  const names = vocabulary()?.sector_names?.[sector];
  return names?.[locale()] || names?.en || humanize(sector || "");
}

export function kindName(kind) {
  return word("kind", kind);
}

/** A level as a word ("orange", "橙色"), to sit inside a sentence. */
export function levelWord(level) {
  return word("level", levels().includes(level) ? level : "none");
}

export function levelBadge(level, extra = "") {
  const shown = levels().includes(level) ? level : "none";
  return h("span", { class: `badge level-${shown} ${extra}`.trim() },
    levelWord(shown).toLocaleUpperCase(locale())); // prettier-ignore
}

/** A small square in a level's colour, beside words that name the level: never a badge, so it
 * is not read as the level of what it sits in. */
export function levelMark(level) {
  const shown = levels().includes(level) ? level : "none";
  return h("span", { class: `mark level-${shown}`, "aria-hidden": "true" });
}

/** A scoring rule's name as a heading ("severe_incident" → "Severe incident"). */
export function ruleName(rule) {
  return word("rule", rule);
}

export function roleName(role) {
  return word("role", role);
}

/** A report field's value as the form and tables show it (`field`: category, location…). */
export function valueLabel(field, value) {
  return word(field, value);
}

/** How the service signs a step ("Ana (supervisor, key 3)", "awareness") in the board's
 * words; a form it does not know is shown as it came. */
export function actorName(display) {
  if (display === "awareness") return t("actor.service");
  const match = /^(?:(.*) )?\((\w+), key (\d+)\)$/.exec(display || "");
  if (!match) return display || t("actor.someone");
  const [, name, role, key] = match;
  return t(name ? "actor.named" : "actor.unnamed", { name, role: roleName(role), key });
}

export function parseTime(iso) {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : at;
}

const TIME = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };

/** A moment as a time of day, with its date when it is not today. */
export function clock(iso) {
  const at = typeof iso === "number" ? iso : parseTime(iso);
  if (at === null) return "—";
  const sameDay = new Date().toDateString() === new Date(at).toDateString();
  return dateTime(at, sameDay ? TIME : { month: "short", day: "numeric", ...TIME });
}

/** A length of time ("12s", "3h 5m"; "12秒", "3小时5分钟"). */
export function duration(ms, options) {
  return durationText(ms, options);
}

export function ago(iso, now = Date.now()) {
  const at = typeof iso === "number" ? iso : parseTime(iso);
  return at === null ? t("time.never") : relative(at - now);
}

/** A <time> that views refresh in place (class "age", data-at); `key`: a message around the
 * age ("updated {ago}"). */
export function age(iso, key = "") {
  const at = parseTime(iso);
  return h(
    "time",
    { class: "age", datetime: iso || undefined, "data-at": at ?? "", "data-key": key },
    key ? t(key, { ago: ago(at) }) : ago(at),
  );
}

export function until(iso, now = Date.now()) {
  const at = typeof iso === "number" ? iso : parseTime(iso);
  if (at === null) return "—";
  return at <= now ? t("time.dueNow") : relative(at - now);
}

/** A <time> counting down to a moment ("in 4 min", then "due now"), refreshed like `age`. */
export function dueIn(iso) {
  const at = parseTime(iso);
  return h(
    "time",
    { class: "age", datetime: iso || undefined, "data-at": at ?? "", "data-until": "true",
      title: at === null ? undefined : clock(at) }, // prettier-ignore
    until(at),
  );
}

export function refreshAges(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll("time.age")) {
    const at = el.dataset.at ? Number(el.dataset.at) : null;
    const key = el.dataset.key;
    el.textContent = el.dataset.until ? until(at, now) : key ? t(key, { ago: ago(at, now) }) : ago(at, now);
  }
}

/** A subscription's channel as people write it ("pagerduty" → "PagerDuty"). */
export function channelName(channel) {
  return word("channel", channel);
}

export function score(value) {
  return typeof value === "number"
    ? number(value, { minimumFractionDigits: 1, maximumFractionDigits: 1 })
    : "—";
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
  if (!points.length) return t("trend.none");
  return t("trend.label", { highest: score(Math.max(...points)), now: score(points.at(-1)) });
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
