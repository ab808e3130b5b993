// Active campaigns: the indicators of one intrusion set seen at several organizations, how fast
// and how far it has spread.
import { h, replace } from "./dom.js";
import { age, clock, levelBadge, score, sectorName } from "./format.js";
import { indicatorType, tlpLabel, withheldText } from "./headlines.js";
import { duration, listNodes, t, tNodes } from "./i18n.js";

/** The campaign's pace: a "slow campaign" tag that stands out, "fast campaign" in small words. */
export function paceTag(pace, windowHours = null) {
  if (!pace) return null;
  const known = pace === "fast" || pace === "slow";
  const hint = known ? t(`pace.${pace}.hint`) : pace;
  const over = windowHours ? t("pace.window", { window: duration(windowHours * 3_600_000, { smallest: "hours" }) }) : "";
  return h("span", { class: `pace pace-${pace}`, "data-pace": pace, title: hint + over },
    known ? t(`pace.${pace}`) : pace); // prettier-ignore
}

/** The TLP 2.0 label a reader holds something under, in FIRST's colours. */
export function tlpTag(tlp) {
  return tlp ? h("span", { class: `tlp tlp-${tlp.replace("+", "-")}`, "data-tlp": tlp }, tlpLabel(tlp)) : null; // prettier-ignore
}

/** Every indicator the reader may see, the one that opened the campaign first, each value in
 * full with its TLP; then each one withheld under its reporters' TLP, with the reason. */
export function indicatorList(indicators, withheld = []) {
  const all = indicators || [];
  const hidden = withheld || [];
  const count = all.length + hidden.length;
  if (!count) return null;
  return h("ul", { class: "indicators", "aria-label": t("campaign.indicators", { count }) },
    all.map((i) => h("li", { "data-type": i.type, "data-value": i.value },
      h("span", { class: "ind-type" }, indicatorType(i.type)), " ",
      h("code", { class: "indicator" }, i.value), " ", tlpTag(i.tlp))),
    hidden.map((w) => h("li", { class: "withheld", "data-type": w.type, "data-tlp": w.tlp },
      h("span", { class: "ind-type" }, indicatorType(w.type)), " ",
      tlpTag(w.tlp), " ", h("span", { class: "muted" }, withheldText(w.type, w.tlp, w.organizations))))); // prettier-ignore
}

export function campaignItem(c, onOpenSector) {
  const sectors = c.sectors || [];
  const indicators = c.indicators?.length ? c.indicators : c.indicator ? [c.indicator] : [];
  const total = indicators.length + (c.withheld || []).length;
  const named = sectors.map((s) => onOpenSector
    ? h("button", { type: "button", class: "link", onclick: () => onOpenSector(s) }, sectorName(s))
    : sectorName(s)); // prettier-ignore
  return h("li", { class: `campaign level-${c.level}`, "data-campaign": String(c.id),
                   "data-indicator": c.indicator?.value, "data-pace": c.pace }, // prettier-ignore
    h("div", { class: "w-head" },
      levelBadge(c.level),
      paceTag(c.pace),
      h("span", { class: "kind" }, t("campaign.indicators", { count: total }))),
    indicatorList(indicators, c.withheld),
    h("p", { class: "spread" }, tNodes("campaign.spread", {
      organizations: h("strong", {}, t("campaign.organizations", { count: c.organizations })),
      sectors: listNodes(named).flat(), count: sectors.length })),
    h("p", { class: "muted" },
      tNodes("campaign.seen", { severity: score(Number(c.max_severity)), first: clock(c.first_seen),
        last: age(c.last_seen) })), // prettier-ignore
  );
}

export function mountCampaigns(container, store, { onOpenSector }) {
  const list = h("ul", { class: "campaigns", id: "campaigns-list" });
  const empty = h("p", { class: "empty" }, t("campaign.empty"));
  container.append(list, empty);
  function render() {
    replace(list, store.campaigns.map((c) => campaignItem(c, onOpenSector)));
    empty.hidden = store.campaigns.length > 0;
  }
  store.addEventListener("campaigns", render);
  render();
  return { dispose: () => store.removeEventListener("campaigns", render) };
}
