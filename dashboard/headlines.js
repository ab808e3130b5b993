// One line per warning, and one per rule holding a sector's level, built in the board's
// language from their structured fields (kind, sector, level, evidence), never from the
// English the service writes in `title` and `detail`: a warning reads right in either language.
// The service's text is the last resort, for a kind or a rule this board does not know.
import { levelWord, rank, ruleName, score, sectorName } from "./format.js";
import { known, list, number, percent, t } from "./i18n.js";

/** A warning's headline (`dependency`, `campaign`… each from its own evidence). */
export function headline(w) {
  const build = BY_KIND[w.kind];
  return (build && build(w, w.evidence || {})) || w.title || "";
}

const BY_KIND = {
  sector_level: sectorLevelHeadline,
  campaign: campaignHeadline,
  exposure: exposureHeadline,
  dependency: dependencyHeadline,
  vulnerability: vulnerabilityHeadline,
};

/** An indicator type as the board writes it ("IPV4", "域名"). */
export function indicatorType(type) {
  const key = `indicator.${type}`;
  return known(key) ? t(key) : String(type).toUpperCase();
}

export function tlpLabel(tlp) {
  const key = `tlp.${tlp}`;
  return known(key) ? t(key) : `TLP:${String(tlp).toUpperCase()}`;
}

/** The TLP a withheld item of this type is held under, from the warning's `withheld` list. */
function withheldTlp(w, type) {
  const item = (w.withheld || []).find((x) => x.type === type) || (w.withheld || [])[0];
  return item?.tlp || "red";
}

/** What the reader is told of an item withheld under TLP ("an indicator withheld under
 * TLP:RED"), with how many reported it when that is known. */
export function withheldText(type, tlp, organizations = null) {
  const what = t(type === "product" ? "withheld.product" : "withheld.indicator", { tlp: tlpLabel(tlp) });
  return organizations === null ? what : t("withheld.reported", { what, count: organizations });
}

function indicatorText(indicator, w) {
  if (!indicator) return null;
  if (indicator.withheld !== undefined) return withheldText(indicator.type, withheldTlp(w, indicator.type));
  return `${indicatorType(indicator.type)} ${indicator.value}`;
}

function sectorLevelHeadline(w, ev) {
  const level = ev.level || w.level;
  const holding = (ev.floors || []).filter((f) => rank(f.level) >= rank(level));
  const rules = [...new Set(holding.map((f) => ruleName(f.rule)))];
  const reason = rules.length
    ? t("headline.sectorLevel.rules", { rules: list(rules), score: score(ev.score) })
    : t("headline.sectorLevel.score", { score: score(ev.score) });
  const params = { sector: sectorName(w.sector), level: levelWord(level), reason };
  return ev.previous_level
    ? t("headline.sectorLevel", { ...params, previous: levelWord(ev.previous_level) })
    : t("headline.sectorLevel.to", params);
}

/** "IPV4 1.2.3.4 and 2 more indicators reported by 3 organizations in Energy, Water over 90
 * days": what a campaign's evidence (a warning's or a floor's) says of it. */
export function campaignFacts(ev, w = {}) {
  const indicators = ev.indicators?.length ? ev.indicators : ev.indicator ? [ev.indicator] : [];
  const sectors = list((ev.sectors || []).map(sectorName));
  const over = ev.pace === "slow" && ev.window_hours
    ? t("campaign.over", { days: Math.round(ev.window_hours / 24) }) : ""; // prettier-ignore
  if (!indicators.length || ev.indicators_withheld) {
    return t("campaign.factsWithheld", { count: ev.organizations ?? 0, sectors, over });
  }
  const more = indicators.length - 1;
  const named = indicatorText(ev.indicator || indicators[0], w) +
    (more ? t("campaign.moreIndicators", { count: more }) : ""); // prettier-ignore
  return t("campaign.facts", { named, count: ev.organizations ?? 0, sectors, over });
}

function campaignHeadline(w, ev) {
  const reasons = ev.reasons || [];
  const reached = /^reached_(\d+)_orgs$/.exec(reasons.at(-1) || "");
  let head;
  if (reasons[0] === "detected") {
    head = t((ev.pace || w.pace) === "slow" ? "headline.campaign.detectedSlow" : "headline.campaign.detected");
  } else if (reasons[0] === "accelerated") head = t("headline.campaign.accelerated");
  else if (reasons[0] === "new_sector") head = t("headline.campaign.spreads");
  else if (reached) head = t("headline.campaign.reached", { count: Number(reached[1]) });
  else head = t("headline.campaign.seen");
  return t("headline.campaign", { head, facts: campaignFacts(ev, w) });
}

function exposureHeadline(w, ev) {
  if (!ev.matched_on) return null;
  const hidden = (w.withheld || []).some((x) => x.type === ev.matched_on);
  const name = hidden
    ? withheldText(ev.matched_on, withheldTlp(w, ev.matched_on))
    : ev.matched_on === "product"
      ? [ev.vendor, ev.product].filter(Boolean).join(" ")
      : String(ev.key).toUpperCase(); // prettier-ignore
  // An operator sees only itself among the addressees, and how many others there are.
  const others = Object.values(ev.other_targets || {}).reduce((n, c) => n + c, 0);
  const count = (w.target_orgs || []).length + others;
  const text = t("headline.exposure", { name, sector: sectorName(ev.source_sector || w.sector),
    severity: score(ev.source_severity), count }); // prettier-ignore
  const exploited = (ev.known_exploited || []).map((k) => String(k.cve).toUpperCase());
  return exploited.length ? text + t("headline.exposure.exploited", { cves: list(exploited) }) : text;
}

const STRENGTHS = ["strong", "moderate"];

/** A dependency warning's dependents by strength, strong first: [[strength, sectors]…]. */
export function dependentsByStrength(dependents) {
  const groups = new Map(STRENGTHS.map((s) => [s, []]));
  for (const d of dependents || []) {
    if (!groups.has(d.strength)) groups.set(d.strength, []);
    groups.get(d.strength).push(d.sector);
  }
  return [...groups].filter(([, sectors]) => sectors.length);
}

/** "Energy is red; dependent sectors: 8 strongly, 7 moderately". */
export function dependencyHeadline(w, ev = w.evidence || {}) {
  if (!ev.upstream) return null;
  const counts = dependentsByStrength(ev.dependents).map(([strength, sectors]) =>
    t(known(`deps.count.${strength}`) ? `deps.count.${strength}` : "deps.count.other",
      { count: sectors.length, strength })); // prettier-ignore
  const upstream = t("headline.dependency", { sector: sectorName(ev.upstream), level: levelWord(ev.level || w.level) });
  return counts.length ? t("headline.dependency.dependents", { upstream, counts: list(counts) }) : upstream;
}

const ASSETS_NAMED = 3; // as the service's own titles: the card lists every one

function vulnerabilityHeadline(w, ev) {
  const vulns = Array.isArray(ev.vulnerabilities) ? ev.vulnerabilities : [];
  const assets = Array.isArray(ev.assets) ? [...ev.assets] : [];
  if (!vulns.length && !assets.length) return null;
  const cve = (v) => String(v.cve).toUpperCase();
  const exploited = vulns.filter((v) => v.kev)
    .sort((a, b) => `${b.kev.date_added} ${cve(b)}`.localeCompare(`${a.kev.date_added} ${cve(a)}`)); // prettier-ignore
  let what;
  if (exploited.length) {
    what = t("headline.vulnerability.exploited", { cve: cve(exploited[0]) });
    if (exploited.length > 1) what += t("headline.vulnerability.moreExploited", { count: exploited.length - 1 });
    if (exploited.some((v) => v.kev.ransomware)) what += t("headline.vulnerability.ransomware");
    const others = vulns.length - exploited.length;
    if (others) what += t("headline.vulnerability.moreCves", { count: others });
  } else if (vulns.length === 1) {
    what = t("headline.vulnerability.one", { cve: cve(vulns[0]) });
  } else {
    what = t("headline.vulnerability.many", { count: vulns.length });
  }
  assets.sort((a, b) => String(a.asset_id).localeCompare(String(b.asset_id)));
  const withProduct = assets.find((a) => a.product);
  const product = withProduct
    ? [withProduct.vendor, withProduct.product].filter(Boolean).join(" ")
    : t("headline.vulnerability.yourAssets"); // prettier-ignore
  const ids = assets.map((a) => a.asset_id);
  const named = list(ids.slice(0, ASSETS_NAMED)) + (ids.length > ASSETS_NAMED ? t("headline.vulnerability.andMore") : "");
  let text = t("headline.vulnerability", { what, product, assets: named, count: ids.length });
  if (ev.advisory?.id) {
    text += t("headline.vulnerability.advisory", { id: ev.advisory.id, title: ev.advisory.title || "" }).trimEnd();
  }
  return ev.updated ? t("headline.vulnerability.updated", { text }) : text;
}

/** Why a rule holds a sector's level, from the rule's evidence; the service's sentence for a
 * rule the board does not know. */
export function floorText(f) {
  const ev = f.evidence || {};
  const worst = (ev.incidents || [])[0];
  switch (f.rule) {
    case "severe_incident":
    case "significant_incident":
      if (typeof ev.organizations !== "number") break;
      return t(worst ? "floor.incidents.strongest" : "floor.incidents", { count: ev.organizations,
        threshold: number(ev.threshold), id: String(worst?.id ?? ""), severity: score(worst?.severity) }); // prettier-ignore
    case "breadth":
    case "breadth_wide":
      if (typeof ev.organizations !== "number") break;
      return t("floor.breadth", { count: ev.organizations, total: ev.sector_organizations ?? ev.organizations,
        threshold: number(ev.threshold), share: percent(ev.share ?? 1) }); // prettier-ignore
    case "campaign": {
      if (typeof ev.organizations !== "number") break;
      const facts = t("floor.campaign", { facts: campaignFacts(ev) });
      const more = (ev.campaigns || 1) - 1;
      const withheld = ev.indicators_withheld ? t("floor.campaign.withheld") : "";
      return facts + withheld + (more > 0 ? t("floor.campaign.more", { count: more }) : "");
    }
    default:
      break;
  }
  return f.detail || "";
}
