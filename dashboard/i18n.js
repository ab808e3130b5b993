// The board's language: English or Simplified Chinese, chosen from the browser's languages or
// the header's switch (remembered), its messages (messages.en.js, messages.zh-CN.js), and
// numbers, times, durations and lists formatted for it with the Intl APIs. It touches no DOM
// but <html lang>; views build their text with `t` and re-render on `onLocaleChange`.
import en from "./messages.en.js";
import zhCN from "./messages.zh-CN.js";

/** Every catalogue by language tag; English first, the fallback of a missing message. */
export const CATALOGUES = { en, "zh-CN": zhCN };
export const LOCALES = Object.keys(CATALOGUES);
const STORAGE = "awareness.locale";

/** The catalogue for a browser's language list: the first English or Chinese tag decides (any
 * Chinese one, traditional included, gets Simplified Chinese); none of either: English. */
export function localeFor(tags) {
  for (const tag of tags || []) {
    const lower = String(tag).toLowerCase();
    if (lower === "zh" || lower.startsWith("zh-")) return "zh-CN";
    if (lower === "en" || lower.startsWith("en-")) return "en";
  }
  return "en";
}

function browserTags() {
  return navigator.languages?.length ? navigator.languages : [navigator.language];
}

function remembered() {
  try {
    const saved = localStorage.getItem(STORAGE);
    return CATALOGUES[saved] ? saved : null;
  } catch {
    return null; // storage refused (private mode): the browser's choice stands
  }
}

let current = remembered() || localeFor(browserTags());
let cache = new Map(); // Intl formatters of the current language, by kind and options
const changes = new EventTarget();
document.documentElement.lang = current;

export function locale() {
  return current;
}

/** Switch language, remembered for the next visit; listeners re-render their text. */
export function setLocale(next) {
  if (!CATALOGUES[next]) return;
  try {
    localStorage.setItem(STORAGE, next);
  } catch {
    /* not remembered, but switched all the same */
  }
  if (next === current) return;
  current = next;
  cache = new Map();
  document.documentElement.lang = next;
  changes.dispatchEvent(new Event("change"));
}

/** Calls `fn` after every switch of language; returns a function that stops it. */
export function onLocaleChange(fn) {
  changes.addEventListener("change", fn);
  return () => changes.removeEventListener("change", fn);
}

/** The tag numbers and dates are formatted for: English keeps the browser's own English
 * (en-GB writes "1 May 2024", en-US "May 1, 2024"), Chinese is zh-CN. */
function region() {
  if (current !== "en") return current;
  return browserTags().find((tag) => /^en(-|$)/i.test(String(tag))) || "en";
}

function formatter(kind, options = {}) {
  const id = `${kind}:${JSON.stringify(options)}`;
  if (!cache.has(id)) cache.set(id, new Intl[kind](region(), options));
  return cache.get(id);
}

/** Whether the catalogue has `key` (for words the service may add that the board lacks). */
export function known(key) {
  return key in CATALOGUES.en;
}

function message(key, count) {
  const entry = CATALOGUES[current][key] ?? CATALOGUES.en[key];
  if (entry === undefined) return key; // a visible key is a bug the i18n tests catch
  if (typeof entry === "string") return entry;
  const form = typeof count === "number" ? formatter("PluralRules").select(count) : "other";
  return entry[form] ?? entry.other;
}

function shown(value) {
  if (value === undefined || value === null) return "";
  return typeof value === "number" ? number(value) : value;
}

/** The message `key` as text and nodes: `{name}` takes params.name (a number formatted for the
 * language, a DOM node kept as it is); params.count chooses the plural form. */
export function tNodes(key, params = {}) {
  const parts = message(key, params.count).split(/\{(\w+)\}/);
  return parts.map((part, i) => (i % 2 ? shown(params[part]) : part)).filter((p) => p !== "");
}

function text(part) {
  if (typeof part === "string") return part;
  if (Array.isArray(part)) return part.map(text).join("");
  return part instanceof Node ? part.textContent : String(part);
}

/** The message `key` as text (nodes among the params give their text). */
export function t(key, params = {}) {
  return tNodes(key, params).map(text).join("");
}

export function number(value, options = {}) {
  return formatter("NumberFormat", options).format(value);
}

export function percent(share) {
  return number(share, { style: "percent", maximumFractionDigits: 0 });
}

/** A moment (ms since the epoch) with the given Intl.DateTimeFormat options. */
export function dateTime(ms, options) {
  return formatter("DateTimeFormat", options).format(new Date(ms));
}

/** "3 min ago", "in 4 min", "now"; "3分钟前", "4分钟后": the largest whole unit of `ms`
 * (negative: past). */
export function relative(ms) {
  const abs = Math.abs(ms);
  const whole = (unit) => Math.trunc(ms / unit) || 0; // never -0, which reads "0 sec ago"
  const [value, unit] =
    abs < 60_000 ? [Math.round(ms / 1000) || 0, "second"]
    : abs < 3_600_000 ? [whole(60_000), "minute"]
    : abs < 172_800_000 ? [whole(3_600_000), "hour"]
    : [whole(86_400_000), "day"]; // prettier-ignore
  return formatter("RelativeTimeFormat", { numeric: "auto", style: "short" }).format(value, unit);
}

const UNITS = [["days", 86_400_000], ["hours", 3_600_000], ["minutes", 60_000], ["seconds", 1000]];

/** A length of time in its two largest units, down to `smallest` and rounded down ("2d 4h",
 * "23h 55m", "12s"; "2天4小时", "23小时55分钟"): a deadline is never shown later than it is. */
export function duration(ms, { smallest = "seconds" } = {}) {
  const floor = UNITS.findIndex(([unit]) => unit === smallest);
  let rest = Math.max(0, ms);
  const values = {};
  for (const [unit, size] of UNITS.slice(0, floor + 1)) {
    values[unit] = Math.floor(rest / size);
    rest -= values[unit] * size;
  }
  let first = UNITS.findIndex(([unit]) => values[unit] > 0);
  if (first < 0 || first > floor) first = floor;
  const units = UNITS.slice(first, Math.min(first + 2, floor + 1)).map(([unit]) => unit);
  const value = Object.fromEntries(units.map((unit) => [unit, values[unit]]));
  if (Intl.DurationFormat) return formatter("DurationFormat", { style: "narrow" }).format(value);
  // Browsers without Intl.DurationFormat: each unit on its own, the language's way.
  return units.filter((unit, i) => i === 0 || value[unit])
    .map((unit) => number(value[unit], { style: "unit", unit: unit.slice(0, -1), unitDisplay: "narrow" }))
    .join(current === "en" ? " " : ""); // prettier-ignore
}

/** Items joined the language's way for enumerations ("A, B, C"; "A、B、C"). */
export function list(items) {
  return items.join(t("list.separator"));
}

/** Nodes or text joined like `list`, for items that are buttons or emphasis. */
export function listNodes(items) {
  return items.map((item, i) => [i ? t("list.separator") : "", item]);
}
