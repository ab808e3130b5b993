// Dependencies as impact: the upstream sectors at orange or red that a sector leans on, and the
// `dependency` warning's dependents. Never a sector's own level or colour: that comes only
// from its own reports.
import { h } from "./dom.js";
import { levelMark, levelWord, ruleName, score, sectorName } from "./format.js";
import { dependentsByStrength } from "./headlines.js";
import { known, list, listNodes, locale, t, tNodes } from "./i18n.js";

const STRENGTHS = ["strong", "moderate"];

/** "strong", "moderate" in the board's words. */
export function strengthWord(strength) {
  return known(`strength.${strength}`) ? t(`strength.${strength}`) : strength;
}

/** Strong dependencies first; the service's order (the higher level first) within each. */
export function strongFirst(risks) {
  const order = (r) => (STRENGTHS.includes(r.strength) ? STRENGTHS.indexOf(r.strength) : STRENGTHS.length);
  return [...(risks || [])].sort((a, b) => order(a) - order(b));
}

/** "depends on energy: red, strong". */
export function riskText(risk) {
  return t("deps.risk", { sector: sectorName(risk.sector).toLocaleLowerCase(locale()),
    level: levelWord(risk.level), strength: strengthWord(risk.strength) }); // prettier-ignore
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
    rest ? h("span", { class: "tile-dep more" }, t("deps.more", { count: rest })) : null); // prettier-ignore
}

function dependentWord(strength) {
  const key = `deps.dependent.${strength}`;
  return known(key) ? t(key) : strength;
}

/** "Strongly dependent (8): " before a dependency warning's dependents of one strength. */
function dependentsHeading(strength, count) {
  const key = `deps.dependents.${strength}`;
  return known(key) ? t(key, { count }) : t("deps.dependents.other", { strength, count });
}

/** The sector view's own part for it, apart from the reasons of the level. */
export function impactList(sector, risks, linkTo) {
  const all = strongFirst(risks);
  const name = sectorName(sector);
  if (!all.length) return h("p", { class: "muted" }, t("deps.impact.none", { sector: name }));
  return [
    h("p", { class: "muted" }, t("deps.impact.intro", { sector: name })),
    h("ul", { class: "impact" }, all.map((r) => h("li", { "data-upstream": r.sector, "data-strength": r.strength },
      levelMark(r.level),
      tNodes("deps.impact.item", { sector: linkTo(r.sector), level: levelWord(r.level),
        dependent: h("strong", {}, dependentWord(r.strength)) })))), // prettier-ignore
  ];
}

/** A `dependency` warning's facts: why the upstream is at its level, who depends on it, by
 * strength; the reader's own sectors (`mine`) stand out. */
export function dependencyDetails(w, mine = null) {
  const ev = w.evidence || {};
  if (!ev.upstream) return null;
  const rules = (ev.upstream_rules || []).map(ruleName);
  const own = [
    typeof ev.upstream_score === "number" ? t("deps.own.score", { score: score(ev.upstream_score) }) : null,
    rules.length ? t("deps.own.rules", { count: rules.length, rules: list(rules) }) : null,
  ].filter(Boolean);
  return h("div", { class: "w-details" },
    own.length ? h("p", { class: "muted" }, t("deps.own", { sector: sectorName(ev.upstream), facts: own.join(t("list.clauses")) })) : null,
    dependentsByStrength(ev.dependents).map(([strength, sectors]) => h("p", { class: "dependents", "data-strength": strength },
      h("strong", {}, dependentsHeading(strength, sectors.length)),
      listNodes(sectors.map((s) =>
        mine && mine.includes(s) ? h("strong", { class: "mine" }, sectorName(s)) : sectorName(s)))))); // prettier-ignore
}
