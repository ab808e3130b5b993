// Active campaigns: the indicators of one intrusion set seen at several organizations, how fast
// and how far it has spread.
import { h, replace } from "./dom.js";
import { age, clock, levelBadge, sectorName } from "./format.js";

const PACE_HINT = {
  fast: "Fast: reported by several organizations within days.",
  slow: "Slow: reported by several organizations only over weeks, never within days (a staged " +
    "intrusion); on its own it holds its sectors at a low level.",
}; // prettier-ignore

/** The campaign's pace: a "slow campaign" tag that stands out, "fast campaign" in small words. */
export function paceTag(pace, windowHours = null) {
  if (!pace) return null;
  const days = windowHours >= 7 * 24 ? `${Math.round(windowHours / 24)} days` : `${windowHours} h`;
  const over = windowHours ? ` Window: ${days}.` : "";
  return h("span", { class: `pace pace-${pace}`, "data-pace": pace, title: (PACE_HINT[pace] || pace) + over },
    `${pace} campaign`); // prettier-ignore
}

/** Every indicator, the one that opened the campaign first; each value in full. */
export function indicatorList(indicators) {
  const all = indicators || [];
  if (!all.length) return null;
  return h("ul", { class: "indicators", "aria-label": `${all.length} indicator${all.length === 1 ? "" : "s"}` },
    all.map((i) => h("li", { "data-type": i.type, "data-value": i.value },
      h("span", { class: "ind-type" }, String(i.type).toUpperCase()), " ",
      h("code", { class: "indicator" }, i.value)))); // prettier-ignore
}

export function campaignItem(c, onOpenSector) {
  const sectors = c.sectors || [];
  const indicators = c.indicators?.length ? c.indicators : c.indicator ? [c.indicator] : [];
  return h("li", { class: `campaign level-${c.level}`, "data-campaign": String(c.id),
                   "data-indicator": c.indicator?.value, "data-pace": c.pace }, // prettier-ignore
    h("div", { class: "w-head" },
      levelBadge(c.level),
      paceTag(c.pace),
      h("span", { class: "kind" }, `${indicators.length} indicator${indicators.length === 1 ? "" : "s"}`)), // prettier-ignore
    indicatorList(indicators),
    h("p", { class: "spread" },
      h("strong", {}, `${c.organizations} organization${c.organizations === 1 ? "" : "s"}`),
      ` in ${sectors.length} sector${sectors.length === 1 ? "" : "s"}: `,
      sectors.map((s, i) => [i ? ", " : "", onOpenSector
        ? h("button", { type: "button", class: "link", onclick: () => onOpenSector(s) }, sectorName(s))
        : sectorName(s)])), // prettier-ignore
    h("p", { class: "muted" },
      `max severity ${Number(c.max_severity).toFixed(1)} · first seen ${clock(c.first_seen)} · last seen `,
      age(c.last_seen)), // prettier-ignore
  );
}

export function mountCampaigns(container, store, { onOpenSector }) {
  const list = h("ul", { class: "campaigns", id: "campaigns-list" });
  const empty = h("p", { class: "empty" }, "No active campaign.");
  container.append(list, empty);
  function render() {
    replace(list, store.campaigns.map((c) => campaignItem(c, onOpenSector)));
    empty.hidden = store.campaigns.length > 0;
  }
  store.addEventListener("campaigns", render);
  render();
  return { dispose: () => store.removeEventListener("campaigns", render) };
}
