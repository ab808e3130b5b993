// Coverage: how much of a sector the board hears from. A tile's mark when fewer than half its
// operators reported (so a calm level on little data reads as such), and the sector view's
// section naming the silent operators. Only readers the service gives coverage to see either:
// the sector list carries `coverage` for a sector's supervisors and admins, null for others.
import { apiError } from "./api.js";
import { h } from "./dom.js";
import { age } from "./format.js";
import { t } from "./i18n.js";

/** "7 of 9 reporting, 2 silent" (or that nobody is registered). */
export function coverageText(c) {
  if (!c.operators) return t("coverage.noOperators");
  const silent = typeof c.silent === "number" ? c.silent : c.silent.length;
  return t("coverage.counts", { reporting: c.reporting, operators: c.operators, silent });
}

function lowWords(c) {
  return c.operators ? t("coverage.low") : t("coverage.none");
}

/** The tile's line: nothing when coverage is unknown to this reader or sufficient. */
export function coverageMark(c) {
  if (!c || !c.low_coverage) return null;
  return h("span", { class: "tile-coverage", "data-coverage": "low",
                     title: t("coverage.lowTitle", { counts: coverageText(c) }) }, lowWords(c)); // prettier-ignore
}

/** The sector view's section, or null when this reader gets no coverage for the sector. */
export async function coverageSection(api, sector, summary) {
  if (!summary) return null;
  let c;
  try {
    c = await api.get(`/v1/sectors/${encodeURIComponent(sector)}/coverage`);
  } catch (error) {
    return h("p", { class: "field-error" }, t("coverage.cannotLoad", { error: apiError(error) }));
  }
  const silent = c.silent.length
    ? h("ul", { class: "silent-list" }, c.silent.map((s) => h("li", { "data-org": s.org_id },
        h("strong", {}, s.name), h("span", { class: "muted" }, t("coverage.orgId", { id: s.org_id })), " · ",
        s.last_report_at ? age(s.last_report_at, "coverage.lastReport") : t("coverage.neverReported"), " · ",
        s.last_inventory_at ? age(s.last_inventory_at, "coverage.inventory") : t("coverage.noInventory")))) // prettier-ignore
    : null;
  return h("div", { class: `coverage${c.low_coverage ? " low" : ""}`, "data-low": String(c.low_coverage) },
    h("p", { class: "coverage-counts" }, h("strong", {}, coverageText(c)),
      c.low_coverage ? h("span", { class: "tile-coverage" }, lowWords(c)) : null),
    h("p", { class: "muted" }, t("coverage.explained", { inventory: c.with_inventory, operators: c.operators,
      inventoryDays: c.inventory_days, reportDays: c.report_days })),
    silent ? [h("h4", {}, t("coverage.silent", { count: c.silent.length })), silent] : null); // prettier-ignore
}
