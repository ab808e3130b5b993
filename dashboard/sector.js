// The sector view: why a sector is at its level, from the evidence the service keeps, and apart
// from it the impact to expect from the sectors it depends on.
import { $, h, replace } from "./dom.js";
import { campaignItem } from "./campaigns.js";
import { coverageSection } from "./coverage.js";
import { impactList } from "./dependencies.js";
import { vulnerabilitySection } from "./vulnerabilities.js";
import { age, clock, levelBadge, rank, ruleName, score, sectorName, sparkline, throttle, trendLabel } from "./format.js";

export function createSectorView(store, api) {
  const dialog = $("#sector-dialog");
  const body = h("div", { class: "dialog-body" });
  const title = h("h2", { id: "sector-dialog-title" });
  const close = h("button", { type: "button", class: "secondary close", onclick: () => dialog.close() },
    "Close"); // prettier-ignore
  replace(dialog, h("div", { class: "dialog-head" }, title, close), body);
  dialog.setAttribute("aria-labelledby", title.id);
  let current = null;
  let opener = null;

  const reload = throttle(() => current && load(current, false), 1000);

  async function load(sector, fresh) {
    if (fresh) {
      title.textContent = sectorName(sector);
      replace(body, h("p", { class: "muted" }, "Loading the evidence…"));
    }
    try {
      const detail = await api.get(`/v1/sectors/${encodeURIComponent(sector)}`);
      const [coverage, exposure] = await Promise.all([
        coverageSection(api, sector, detail.coverage),
        vulnerabilitySection(api, sector, detail.coverage),
      ]);
      if (current === sector) render(detail, coverage, exposure);
    } catch (error) {
      if (current === sector && fresh) replace(body, h("p", { class: "field-error" }, `Cannot load ${sectorName(sector)}: ${error.message}`));
    }
  }

  function open(sector) {
    if (!dialog.open) opener = document.activeElement;
    current = sector;
    dialog.dataset.sector = sector;
    if (!dialog.open) dialog.showModal();
    close.focus();
    load(sector, true);
  }

  dialog.addEventListener("close", () => {
    current = null;
    if (opener && document.contains(opener)) opener.focus();
  });

  store.addEventListener("sectors", (event) => {
    const changed = event.detail?.changed;
    if (current && (changed === current || changed === null)) reload();
  });

  function render(d, coverage, exposure) {
    const ev = d.evidence || {};
    const name = sectorName(d.sector);
    replace(title, `${name}: `, levelBadge(d.level));
    const floors = [...(ev.floors || [])].sort((a, b) => rank(b.level) - rank(a.level));
    const holding = floors.filter((f) => rank(f.level) >= rank(d.level) && d.level !== "none");
    const linkTo = (s) => h("button", { type: "button", class: "link", onclick: () => open(s) }, sectorName(s));

    replace(
      body,
      h("p", { class: "why" }, explain(d, ev, holding)),
      coverage ? section("Coverage", coverage, "coverage-section") : null,
      h("div", { class: "detail-grid" },
        h("dl", { class: "facts" },
          h("dt", {}, "Score"), h("dd", {}, score(d.score)),
          h("dt", {}, "Score alone"), h("dd", {}, ev.band ? levelBadge(ev.band, "small") : "—"),
          h("dt", {}, "Level since"), h("dd", {}, d.level_since ? clock(d.level_since) : "—"),
          h("dt", {}, "Evaluated"), h("dd", {}, d.updated_at ? age(d.updated_at) : "never"),
          ev.half_life_hours ? [h("dt", {}, "Half-life"), h("dd", {}, `${ev.half_life_hours} h`)] : null),
        h("div", { class: "detail-trend" }, h("h3", {}, "Last 24 hours"), sparkline(d.trend, trendLabel(d.trend)))),
      section("Rules", floors.length
        ? h("ul", { class: "floors" }, floors.map((f) => h("li", { class: holding.includes(f) ? "holding" : "" },
            h("span", { class: "floor-head" }, levelBadge(f.level, "small"), h("strong", {}, ruleName(f.rule)),
              holding.includes(f) ? h("span", { class: "tag" }, "holds the level") : null),
            h("p", {}, f.detail))))
        : h("p", { class: "muted" }, "No rule sets a floor for this sector.")),
      section("Top incidents", (ev.top_incidents || []).length
        ? table(["Incident", "Severity", "Now (decayed)", "Adds to score"], ev.top_incidents.map((i) => [
            `#${i.id}`, score(i.severity), score(i.decayed), score(i.contribution)]))
        : h("p", { class: "muted" }, "No incident counts towards the score.")),
      section("Impact from dependencies", impactList(d.sector, d.dependency_risk, linkTo), "impact-section"),
      section("Campaigns touching this sector", (d.campaigns || []).length
        ? h("ul", { class: "campaigns" }, d.campaigns.map((c) => campaignItem(c, open)))
        : h("p", { class: "muted" }, "None active.")),
      exposure ? section("Vulnerabilities", exposure, "vulnerabilities-section") : null,
      section("Depends on", dependencies(d.depends_on, linkTo)),
      section("Depended on by", dependencies(d.dependents, linkTo)),
      section("Recent level changes", (d.history || []).length
        ? h("ol", { class: "history" }, d.history.slice(0, 10).map((c) => h("li", {},
            h("time", { datetime: c.at }, clock(c.at)), ": ", levelBadge(c.previous_level, "small"),
            " → ", levelBadge(c.level, "small"), ` (score ${score(c.score)})`)))
        : h("p", { class: "muted" }, "No change recorded.")),
    ); // prettier-ignore
  }

  function dependencies(list, linkTo) {
    if (!list || !list.length) return h("p", { class: "muted" }, "None.");
    return h("ul", { class: "deps" }, list.map((dep) => {
      const level = store.sectors.get(dep.sector)?.level || "none";
      return h("li", {}, linkTo(dep.sector), " ", levelBadge(level, "small"), h("span", { class: "muted" }, ` ${dep.strength}`));
    })); // prettier-ignore
  }

  return { open };
}

function explain(d, ev, holding) {
  const own = ownLevel(d, ev, holding);
  return (d.dependency_risk || []).length
    ? `${own} Sectors it depends on are at risk: see “Impact from dependencies”; they never raise its level.`
    : own;
}

function ownLevel(d, ev, holding) {
  const name = sectorName(d.sector);
  if (d.level === "none") return `${name} is at level none: nothing reported raises it.`;
  const parts = [];
  if (holding.length) {
    const rules = [...new Set(holding.map((f) => ruleName(f.rule)))];
    parts.push(`${name} is ${d.level} because ${rules.length === 1 ? "this rule holds" : "these rules hold"} it there: ${rules.join(", ")}.`);
  }
  if (ev.band && rank(ev.band) >= rank(d.level)) {
    parts.push(`Its score ${score(d.score)} alone reaches ${ev.band}.`);
  } else if (ev.band) {
    parts.push(`Its score ${score(d.score)} alone would be ${ev.band}.`);
  }
  if (ev.held_by === "hysteresis") {
    parts.push(`It stays ${d.level} by hysteresis: a level comes down only after the evidence has stayed lower for a while.`);
  }
  return parts.join(" ") || `${name} is ${d.level}.`;
}

function section(heading, content, extra = "") {
  return h("section", { class: `detail-section ${extra}`.trim() }, h("h3", {}, heading), content);
}

function table(headings, rows) {
  return h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, headings.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))))); // prettier-ignore
}
