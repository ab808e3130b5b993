// The sector view: why a sector is at its level, from the evidence the service keeps, and apart
// from it the impact to expect from the sectors it depends on.
import { apiError } from "./api.js";
import { campaignItem } from "./campaigns.js";
import { coverageSection } from "./coverage.js";
import { impactList, strengthWord } from "./dependencies.js";
import { $, h, replace } from "./dom.js";
import { age, clock, levelBadge, levelWord, rank, ruleName, score, sectorName, sparkline, throttle, trendLabel } from "./format.js";
import { floorText } from "./headlines.js";
import { duration, list, t } from "./i18n.js";
import { vulnerabilitySection } from "./vulnerabilities.js";

export function createSectorView(store, api) {
  const dialog = $("#sector-dialog");
  const body = h("div", { class: "dialog-body" });
  const title = h("h2", { id: "sector-dialog-title" });
  const close = h("button", { type: "button", class: "secondary close", onclick: () => dialog.close() });
  replace(dialog, h("div", { class: "dialog-head" }, title, close), body);
  dialog.setAttribute("aria-labelledby", title.id);
  let current = null;
  let opener = null;

  const reload = throttle(() => current && load(current, false), 1000);

  async function load(sector, fresh) {
    if (fresh) {
      title.textContent = sectorName(sector);
      replace(body, h("p", { class: "muted" }, t("sector.loading")));
    }
    try {
      const detail = await api.get(`/v1/sectors/${encodeURIComponent(sector)}`);
      const [coverage, exposure] = await Promise.all([
        coverageSection(api, sector, detail.coverage),
        vulnerabilitySection(api, sector, detail.coverage),
      ]);
      if (current === sector) render(detail, coverage, exposure);
    } catch (error) {
      if (current === sector && fresh) {
        replace(body, h("p", { class: "field-error" }, t("sector.cannotLoad", { sector: sectorName(sector), error: apiError(error) })));
      }
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

  /** Its words again in the language just chosen: an open view is read again and redrawn. */
  function relabel() {
    close.textContent = t("sector.close");
    if (current) load(current, false);
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
    replace(title, t("sector.title", { sector: name }), levelBadge(d.level));
    const floors = [...(ev.floors || [])].sort((a, b) => rank(b.level) - rank(a.level));
    const holding = floors.filter((f) => rank(f.level) >= rank(d.level) && d.level !== "none");
    const linkTo = (s) => h("button", { type: "button", class: "link", onclick: () => open(s) }, sectorName(s));

    replace(
      body,
      h("p", { class: "why" }, explain(d, ev, holding)),
      coverage ? section(t("sector.coverage"), coverage, "coverage-section") : null,
      h("div", { class: "detail-grid" },
        h("dl", { class: "facts" },
          h("dt", {}, t("sector.score")), h("dd", {}, score(d.score)),
          h("dt", {}, t("sector.band")), h("dd", {}, ev.band ? levelBadge(ev.band, "small") : "—"),
          h("dt", {}, t("sector.since")), h("dd", {}, d.level_since ? clock(d.level_since) : "—"),
          h("dt", {}, t("sector.evaluated")), h("dd", {}, d.updated_at ? age(d.updated_at) : t("time.never")),
          ev.half_life_hours ? [h("dt", {}, t("sector.halfLife")),
            h("dd", {}, duration(ev.half_life_hours * 3_600_000, { smallest: "hours" }))] : null),
        h("div", { class: "detail-trend" }, h("h3", {}, t("sector.trend")), sparkline(d.trend, trendLabel(d.trend)))),
      section(t("sector.rules"), floors.length
        ? h("ul", { class: "floors" }, floors.map((f) => h("li", { class: holding.includes(f) ? "holding" : "", "data-rule": f.rule },
            h("span", { class: "floor-head" }, levelBadge(f.level, "small"), h("strong", {}, ruleName(f.rule)),
              holding.includes(f) ? h("span", { class: "tag" }, t("sector.holds")) : null),
            h("p", {}, floorText(f)))))
        : h("p", { class: "muted" }, t("sector.rules.none"))),
      section(t("sector.incidents"), (ev.top_incidents || []).length
        ? table(["sector.col.incident", "sector.col.severity", "sector.col.decayed", "sector.col.contribution"],
            ev.top_incidents.map((i) => [`#${i.id}`, score(i.severity), score(i.decayed), score(i.contribution)]))
        : h("p", { class: "muted" }, t("sector.incidents.none"))),
      section(t("sector.impact"), impactList(d.sector, d.dependency_risk, linkTo), "impact-section"),
      section(t("sector.campaigns"), (d.campaigns || []).length
        ? h("ul", { class: "campaigns" }, d.campaigns.map((c) => campaignItem(c, open)))
        : h("p", { class: "muted" }, t("sector.campaigns.none"))),
      exposure ? section(t("sector.vulnerabilities"), exposure, "vulnerabilities-section") : null,
      section(t("sector.dependsOn"), dependencies(d.depends_on, linkTo)),
      section(t("sector.dependedOnBy"), dependencies(d.dependents, linkTo)),
      section(t("sector.history"), (d.history || []).length
        ? h("ol", { class: "history" }, d.history.slice(0, 10).map((c) => h("li", {},
            h("time", { datetime: c.at }, clock(c.at)), t("sector.history.at"), levelBadge(c.previous_level, "small"),
            " → ", levelBadge(c.level, "small"), t("sector.history.score", { score: score(c.score) }))))
        : h("p", { class: "muted" }, t("sector.history.none"))),
    ); // prettier-ignore
  }

  function dependencies(deps, linkTo) {
    if (!deps || !deps.length) return h("p", { class: "muted" }, t("sector.dependencies.none"));
    return h("ul", { class: "deps" }, deps.map((dep) => {
      const level = store.sectors.get(dep.sector)?.level || "none";
      return h("li", {}, linkTo(dep.sector), " ", levelBadge(level, "small"),
        h("span", { class: "muted" }, " ", strengthWord(dep.strength))); // prettier-ignore
    }));
  }

  relabel();
  return { open, relabel };
}

function explain(d, ev, holding) {
  const own = ownLevel(d, ev, holding);
  return (d.dependency_risk || []).length ? own + t("sector.why.dependencies") : own;
}

function ownLevel(d, ev, holding) {
  const sector = sectorName(d.sector);
  const level = levelWord(d.level);
  if (d.level === "none") return t("sector.why.none", { sector });
  const parts = [];
  if (holding.length) {
    const rules = [...new Set(holding.map((f) => ruleName(f.rule)))];
    parts.push(t("sector.why.rules", { sector, level, count: rules.length, rules: list(rules) }));
  }
  if (ev.band) {
    const reaches = rank(ev.band) >= rank(d.level);
    parts.push(t(reaches ? "sector.why.scoreReaches" : "sector.why.scoreWouldBe", { score: score(d.score), band: levelWord(ev.band) }));
  }
  if (ev.held_by === "hysteresis") parts.push(t("sector.why.hysteresis", { level }));
  return parts.join(t("sentence.separator")) || t("sector.why.plain", { sector, level });
}

function section(heading, content, extra = "") {
  return h("section", { class: `detail-section ${extra}`.trim() }, h("h3", {}, heading), content);
}

function table(headings, rows) {
  return h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, headings.map((key) => h("th", { scope: "col" }, t(key))))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))))); // prettier-ignore
}
