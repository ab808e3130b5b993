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

/** The TLP 2.0 label a reader holds something under, in FIRST's colours. */
export function tlpTag(tlp) {
  return tlp ? h("span", { class: `tlp tlp-${tlp.replace("+", "-")}`, "data-tlp": tlp }, `TLP:${tlp.toUpperCase()}`) : null; // prettier-ignore
}

/** Every indicator the reader may see, the one that opened the campaign first, each value in
 * full with its TLP; then each one withheld under its reporters' TLP, with the reason. */
export function indicatorList(indicators, withheld = []) {
  const all = indicators || [];
  const hidden = withheld || [];
  const count = all.length + hidden.length;
  if (!count) return null;
  return h("ul", { class: "indicators", "aria-label": `${count} indicator${count === 1 ? "" : "s"}` },
    all.map((i) => h("li", { "data-type": i.type, "data-value": i.value },
      h("span", { class: "ind-type" }, String(i.type).toUpperCase()), " ",
      h("code", { class: "indicator" }, i.value), " ", tlpTag(i.tlp))),
    hidden.map((w) => h("li", { class: "withheld", "data-type": w.type, "data-tlp": w.tlp },
      h("span", { class: "ind-type" }, String(w.type).toUpperCase()), " ",
      tlpTag(w.tlp), " ", h("span", { class: "muted" }, w.reason)))); // prettier-ignore
}

export function campaignItem(c, onOpenSector) {
  const sectors = c.sectors || [];
  const indicators = c.indicators?.length ? c.indicators : c.indicator ? [c.indicator] : [];
  const total = indicators.length + (c.withheld || []).length;
  return h("li", { class: `campaign level-${c.level}`, "data-campaign": String(c.id),
                   "data-indicator": c.indicator?.value, "data-pace": c.pace }, // prettier-ignore
    h("div", { class: "w-head" },
      levelBadge(c.level),
      paceTag(c.pace),
      h("span", { class: "kind" }, `${total} indicator${total === 1 ? "" : "s"}`)), // prettier-ignore
    indicatorList(indicators, c.withheld),
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
