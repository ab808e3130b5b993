// Coverage: how much of a sector the board hears from. A tile's mark when fewer than half its
// operators reported (so a calm level on little data reads as such), and the sector view's
// section naming the silent operators. Only readers the service gives coverage to see either:
// the sector list carries `coverage` for a sector's supervisors and admins, null for others.
import { h } from "./dom.js";
import { age } from "./format.js";

/** "7 of 9 reporting, 2 silent" (or that nobody is registered). */
export function coverageText(c) {
  if (!c.operators) return "no operators registered";
  const silent = typeof c.silent === "number" ? c.silent : c.silent.length;
  return `${c.reporting} of ${c.operators} reporting, ${silent} silent`;
}

/** The tile's line: nothing when coverage is unknown to this reader or sufficient. */
export function coverageMark(c) {
  if (!c || !c.low_coverage) return null;
  const text = c.operators ? "low coverage" : "no operators";
  return h("span", { class: "tile-coverage", "data-coverage": "low",
                     title: `Low coverage: ${coverageText(c)}` }, text); // prettier-ignore
}

/** The sector view's section, or null when this reader gets no coverage for the sector. */
export async function coverageSection(api, sector, summary) {
  if (!summary) return null;
  let c;
  try {
    c = await api.get(`/v1/sectors/${encodeURIComponent(sector)}/coverage`);
  } catch (error) {
    return h("p", { class: "field-error" }, `Cannot load coverage: ${error.message}`);
  }
  const silent = c.silent.length
    ? h("ul", { class: "silent-list" }, c.silent.map((s) => h("li", { "data-org": s.org_id },
        h("strong", {}, s.name), h("span", { class: "muted" }, ` (${s.org_id})`), " · ",
        s.last_report_at ? age(s.last_report_at, "last report ") : "never reported", " · ",
        s.last_inventory_at ? age(s.last_inventory_at, "inventory ") : "no inventory"))) // prettier-ignore
    : null;
  return h("div", { class: `coverage${c.low_coverage ? " low" : ""}`, "data-low": String(c.low_coverage) },
    h("p", { class: "coverage-counts" }, h("strong", {}, coverageText(c)),
      c.low_coverage ? h("span", { class: "tile-coverage" }, c.operators ? "low coverage" : "no operators") : null),
    h("p", { class: "muted" },
      `${c.with_inventory} of ${c.operators} with an asset inventory updated in the last ${c.inventory_days} days; ` +
      `reporting: any report in the last ${c.report_days} days; silent: neither.`),
    silent ? [h("h4", {}, `Silent operators (${c.silent.length})`), silent] : null); // prettier-ignore
}
