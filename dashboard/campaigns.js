// Active campaigns: one indicator seen at several organizations, and how far it has spread.
import { h, replace } from "./dom.js";
import { age, clock, levelBadge, sectorName } from "./format.js";

export function campaignItem(c, onOpenSector) {
  const sectors = c.sectors || [];
  return h("li", { class: `campaign level-${c.level}`, "data-campaign": String(c.id),
                   "data-indicator": c.indicator?.value }, // prettier-ignore
    h("div", { class: "w-head" },
      levelBadge(c.level),
      h("span", { class: "kind" }, c.indicator?.type?.toUpperCase() || "indicator"),
      h("code", { class: "indicator" }, c.indicator?.value || "—")), // prettier-ignore
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
