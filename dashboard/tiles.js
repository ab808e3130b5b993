// Sector tiles: name, level as a word and a colour, score, the dependencies at risk beneath the
// level (impact, never the tile's level or colour), 24-hour trend, age of the data.
import { coverageMark, coverageText } from "./coverage.js";
import { riskLines, riskText, strongFirst } from "./dependencies.js";
import { h, replace } from "./dom.js";
import { age, levelBadge, levels, levelWord, rank, score, sectorName, sparkline, trendLabel } from "./format.js";
import { t, tNodes } from "./i18n.js";

export function mountTiles(container, store, { onOpen, only = null, compact = false }) {
  const summary = h("p", { class: "level-summary", id: "level-summary" });
  const list = h("ul", { class: `tiles${compact ? " compact" : ""}`, id: "tiles",
                         "aria-label": t("tiles.label") }); // prettier-ignore
  container.append(summary, list);
  const tiles = new Map();

  function visible() {
    return [...store.sectors.values()].filter((s) => !only || only.includes(s.sector));
  }

  function render(event) {
    const sectors = visible();
    const changed = event?.detail?.changed;
    for (const sector of sectors) {
      let entry = tiles.get(sector.sector);
      if (!entry) {
        const button = h("button", { type: "button", class: "tile", "data-sector": sector.sector,
                                     onclick: () => onOpen(sector.sector) }); // prettier-ignore
        entry = { item: h("li", {}, button), button, key: "" };
        tiles.set(sector.sector, entry);
      }
      const key = JSON.stringify([sector.level, sector.score, sector.updated_at, sector.trend,
                                  sector.dependency_risk, sector.coverage]); // prettier-ignore
      if (key !== entry.key) {
        fill(entry.button, sector);
        entry.key = key;
      }
      if (changed === sector.sector) flash(entry.button);
    }
    // Keep the configured order; append any new tile at its place.
    sectors.forEach((sector, index) => {
      const el = tiles.get(sector.sector).item;
      if (list.children[index] !== el) list.insertBefore(el, list.children[index] || null);
    });
    renderSummary(sectors);
  }

  function renderSummary(sectors) {
    const counts = Object.fromEntries(levels().map((l) => [l, 0]));
    for (const s of sectors) counts[s.level] = (counts[s.level] || 0) + 1;
    const parts = [...levels()].reverse().filter((l) => counts[l]);
    replace(
      summary,
      t("tiles.summary", { count: sectors.length }),
      ...parts.flatMap((l, i) => [i ? t("list.separator") : "", levelBadge(l, "small"), ` ${counts[l]}`]),
    );
  }

  store.addEventListener("sectors", render);
  render();
  return { dispose: () => store.removeEventListener("sectors", render) };
}

function fill(button, sector) {
  const level = levels().includes(sector.level) ? sector.level : "none";
  button.dataset.level = level;
  button.className = `tile level-${level}`;
  const name = sectorName(sector.sector);
  const word = levelWord(level);
  replace(
    button,
    h("span", { class: "tile-name" }, name),
    h("span", { class: "tile-level" }, levelBadge(level),
      h("span", { class: "tile-score" }, tNodes("tiles.score", { score: h("strong", {}, score(sector.score)) }))), // prettier-ignore
    riskLines(sector.dependency_risk),
    coverageMark(sector.coverage),
    sparkline(sector.trend, trendLabel(sector.trend)),
    h("span", { class: "tile-age" }, sector.updated_at ? age(sector.updated_at, "tiles.updated") : t("tiles.noReports")),
    h("span", { class: "visually-hidden" }, t("tiles.show", { sector: name, level: word })),
  );
  const risks = strongFirst(sector.dependency_risk).map(riskText);
  const coverage = sector.coverage ? [t("tiles.coverage", { counts: coverageText(sector.coverage) })] : [];
  button.title = [t("tiles.why", { sector: name, level: word }), ...risks, ...coverage].join("\n");
  button.dataset.rank = String(rank(level));
}

function flash(el) {
  el.classList.remove("changed");
  void el.offsetWidth; // restart the animation
  el.classList.add("changed");
}
