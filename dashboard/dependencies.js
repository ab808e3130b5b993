// Dependencies as impact: the upstream sectors at orange or red that a sector leans on, and the
// `dependency` warning's dependents. Never a sector's own level or colour: that comes only
// from its own reports.
import { h } from "./dom.js";
import { levelMark, ruleName, score, sectorName } from "./format.js";

const STRENGTHS = ["strong", "moderate"];
const ADVERBS = { strong: "strongly", moderate: "moderately" };
const adverb = (strength) => ADVERBS[strength] || strength;

/** Strong dependencies first; the service's order (the higher level first) within each. */
export function strongFirst(risks) {
  const order = (r) => (STRENGTHS.includes(r.strength) ? STRENGTHS.indexOf(r.strength) : STRENGTHS.length);
  return [...(risks || [])].sort((a, b) => order(a) - order(b));
}

const lower = (sector) => sectorName(sector).toLowerCase();

export function riskText(risk) {
  return `depends on ${lower(risk.sector)}: ${risk.level}, ${risk.strength}`;
}

/** The tile's lines under its level: at most `max`, then how many more. */
export function riskLines(risks, max = 2) {
  const all = strongFirst(risks);
  if (!all.length) return null;
  const shown = all.length > max ? all.slice(0, max - 1) : all;
  const rest = all.length - shown.length;
  return h("span", { class: "tile-deps" },
    shown.map((r) => h("span", { class: "tile-dep", "data-upstream": r.sector, "data-level": r.level,
                                 "data-strength": r.strength }, levelMark(r.level), riskText(r))),
    rest ? h("span", { class: "tile-dep more" }, `and ${rest} more dependenc${rest === 1 ? "y" : "ies"} at risk`) : null); // prettier-ignore
}

/** The sector view's own part for it, apart from the reasons of the level. */
export function impactList(sector, risks, linkTo) {
  const all = strongFirst(risks);
  const name = sectorName(sector);
  if (!all.length) {
    return h("p", { class: "muted" }, `No sector ${name} depends on is at orange or red.`);
  }
  return [
    h("p", { class: "muted" },
      `Sectors ${name} depends on that are at orange or red by their own reports: expect impact. `,
      `They never raise ${name}'s own level.`), // prettier-ignore
    h("ul", { class: "impact" }, all.map((r) => h("li", { "data-upstream": r.sector, "data-strength": r.strength },
      levelMark(r.level), linkTo(r.sector), ` is ${r.level}; `,
      h("strong", {}, adverb(r.strength)), " dependent"))), // prettier-ignore
  ];
}

function grouped(dependents) {
  const groups = new Map(STRENGTHS.map((s) => [s, []]));
  for (const d of dependents || []) {
    if (!groups.has(d.strength)) groups.set(d.strength, []);
    groups.get(d.strength).push(d.sector);
  }
  return [...groups].filter(([, sectors]) => sectors.length);
}

/** One line for a `dependency` warning: its upstream, level and how many depend on it. */
export function dependencyHeadline(w) {
  const ev = w.evidence || {};
  if (!ev.upstream) return w.title;
  const counts = grouped(ev.dependents).map(([strength, sectors]) => `${sectors.length} ${adverb(strength)}`);
  return `${sectorName(ev.upstream)} is ${ev.level || w.level}${counts.length ? `; dependent sectors: ${counts.join(", ")}` : ""}`;
}

/** A `dependency` warning's facts: why the upstream is at its level, who depends on it, by
 * strength; the reader's own sectors (`mine`) stand out. */
export function dependencyDetails(w, mine = null) {
  const ev = w.evidence || {};
  if (!ev.upstream) return null;
  const rules = (ev.upstream_rules || []).map(ruleName);
  const own = [
    typeof ev.upstream_score === "number" ? `score ${score(ev.upstream_score)}` : null,
    rules.length ? `${rules.length === 1 ? "rule" : "rules"}: ${rules.join(", ")}` : null,
  ].filter(Boolean);
  return h("div", { class: "w-details" },
    own.length ? h("p", { class: "muted" }, `${sectorName(ev.upstream)} by its own reports: ${own.join("; ")}.`) : null,
    grouped(ev.dependents).map(([strength, sectors]) => h("p", { class: "dependents", "data-strength": strength },
      h("strong", {}, `${sectorName(adverb(strength))} dependent (${sectors.length}): `),
      sectors.map((s, i) => [i ? ", " : "",
        mine && mine.includes(s) ? h("strong", { class: "mine" }, sectorName(s)) : sectorName(s)])))); // prettier-ignore
}
