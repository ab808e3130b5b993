// Vulnerabilities: what a sector's operators are exposed to (the sector view's panel, for the
// readers the service gives coverage to: its supervisors and admins), and the evidence of one
// vulnerability warning on its card. Every value is text from the service, never markup.
import { apiError } from "./api.js";
import { h } from "./dom.js";
import { sectorName } from "./format.js";
import { dateTime, listNodes, t, tNodes } from "./i18n.js";

const CRITICALITIES = ["critical", "high", "medium", "low", "none"];

/** A calendar day of the catalogue ("2026-02-20") as people read it, kept as it is: a KEV date
 * is a day, not an instant, so no time zone may move it. */
export function day(iso) {
  if (!iso) return "—";
  const at = Date.parse(`${iso}T00:00:00Z`);
  if (Number.isNaN(at)) return String(iso);
  return h("time", { datetime: iso }, dateTime(at, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }));
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

function criticalityTag(criticality) {
  const known = CRITICALITIES.includes(criticality) ? criticality : "none";
  return h("span", { class: `crit crit-${known}`, "data-criticality": known }, t(`advisory.criticality.${known}`));
}

function ransomwareTag() {
  return h("span", { class: "vuln-tag ransomware-tag", title: t("vulns.ransomware.title") }, t("vulns.ransomware"));
}

function kevTags(kev) {
  if (!kev) return null;
  return [
    h("span", { class: "vuln-tag kev-tag", title: t("vulns.kev.title") }, t("vulns.kev")),
    kev.ransomware ? ransomwareTag() : null,
  ];
}

function dueDate(due) {
  if (!due) return null;
  const passed = due < today();
  return h("span", { class: passed ? "due passed" : "due" },
    tNodes(passed ? "vulns.duePassed" : "vulns.due", { day: day(due) })); // prettier-ignore
}

// The service's reasons for a match (scoring/advisories.py), read back into their data so the
// board can word them: [pattern, message, names of the captured parts].
const REASONS = [
  [/^version (.+) in (.+)$/, "vulns.reason.version", ["version", "range"]],
  [/^every version of (.+) affected$/, "vulns.reason.every", ["product"]],
  [/^CVE listed on the asset$/, "vulns.reason.listed", []],
  [/^known exploited; affected per (.+)$/, "vulns.reason.perAdvisory", ["advisory"]],
  [/^product (.+) in KEV$/, "vulns.reason.kevProduct", ["product"]],
];

/** Why an asset matched, in the board's words ("version 2.9 in vers:generic/<3.1"); a form the
 * board does not know is shown as the service wrote it. */
export function matchReason(reason) {
  for (const [pattern, key, names] of REASONS) {
    const match = pattern.exec(reason);
    if (match) return t(key, Object.fromEntries(names.map((name, i) => [name, match[i + 1]])));
  }
  return reason;
}

/** The sector view's section, or null when this reader gets no coverage (and so no exposure)
 * for the sector: both name its operators, for the same readers. */
export async function vulnerabilitySection(api, sector, coverage) {
  if (!coverage) return null;
  let v;
  try {
    v = await api.get(`/v1/sectors/${encodeURIComponent(sector)}/vulnerabilities`);
  } catch (error) {
    return h("p", { class: "field-error" }, t("vulns.cannotLoad", { error: apiError(error) }));
  }
  const name = sectorName(v.sector);
  const who = (ids) => h("span", { class: "vuln-operators" }, listNodes(ids.map((id) =>
    h("strong", { "data-org": id, title: id }, v.names[id] || id)))); // prettier-ignore
  const days = t("time.days", { count: v.kev.days });
  const kev = v.kev.entries.length
    ? h("div", { class: "table-wrap" }, h("table", { class: "kev-table" },
        h("thead", {}, h("tr", {}, ["vulns.col.cve", "vulns.col.name", "vulns.col.added", "vulns.col.operators"]
          .map((key) => h("th", { scope: "col" }, t(key))))),
        h("tbody", {}, v.kev.entries.map((e) => h("tr", { "data-cve": e.cve },
          h("td", {}, h("code", { class: "cve" }, e.cve.toUpperCase()), " ", e.ransomware ? ransomwareTag() : null),
          h("td", {}, e.name, h("br"), h("span", { class: "muted" }, `${e.vendor} ${e.product}`)),
          h("td", {}, day(e.date_added), e.due_date ? [h("br"), dueDate(e.due_date)] : null),
          h("td", {}, who(e.operators), h("br"), h("span", { class: "muted" }, t("vulns.assets", { count: e.assets })))))))) // prettier-ignore
    : h("p", { class: "empty" }, t("vulns.kev.none", { sector: name, days }));
  const groups = v.advisories.filter((c) => c.advisories.length);
  const counts = h("p", { class: "crit-counts" }, v.advisories.map((c) => h("span", { "data-criticality": c.criticality },
    criticalityTag(c.criticality), ` ${c.advisories.length}`))); // prettier-ignore
  const advisories = groups.length
    ? [counts, groups.map((c) => h("div", { class: "crit-group", "data-criticality": c.criticality },
        h("h5", {}, criticalityTag(c.criticality), " ",
          t("vulns.group", { advisories: t("vulns.advisories", { count: c.advisories.length }),
            operators: t("vulns.operators", { count: c.exposed_operators }) })),
        h("ul", { class: "advisory-list" }, c.advisories.map((a) => h("li", { "data-advisory": a.id },
          h("strong", {}, a.id), " ", a.title, h("br"),
          who(a.operators), h("span", { class: "muted" }, " · ",
            tNodes("vulns.advisory.facts", { assets: t("vulns.assets", { count: a.assets }),
              cves: t("vulns.cves", { count: a.cves }), published: day(String(a.published).slice(0, 10)) })))))))] // prettier-ignore
    : h("p", { class: "empty" }, t("vulns.advisories.none", { sector: name }));
  return h("div", { class: "vulnerabilities" },
    h("h4", {}, t("vulns.kev.heading", { days }),
      v.kev.exposed_operators ? h("span", { class: "muted" }, t("vulns.kev.exposed", { operators: t("vulns.operators", { count: v.kev.exposed_operators }) })) : null),
    kev,
    h("h4", {}, t("vulns.advisories.heading")),
    advisories); // prettier-ignore
}

/** A vulnerability warning's evidence on its card: each CVE with what the catalogue says of it,
 * the advisory with its remediation, and the assets concerned. */
export function vulnerabilityDetails(w) {
  const ev = w.evidence || {};
  const cves = Array.isArray(ev.vulnerabilities) ? ev.vulnerabilities : [];
  const assets = Array.isArray(ev.assets) ? ev.assets : [];
  const advisory = ev.advisory || null;
  const remediation = Array.isArray(advisory?.remediation) ? advisory.remediation : [];
  return h("div", { class: "w-details vuln-details" },
    cves.length ? h("ul", { class: "vuln-cves" }, cves.map((v) => h("li", { "data-cve": String(v.cve).toUpperCase() },
      h("span", { class: "vuln-head" }, h("code", { class: "cve" }, String(v.cve).toUpperCase()), kevTags(v.kev),
        v.kev ? h("span", { class: "kev-dates" }, tNodes("vulns.added", { day: day(v.kev.date_added) }),
          v.kev.due_date ? [" · ", dueDate(v.kev.due_date)] : null) : null),
      v.kev?.name ? h("span", { class: "muted vuln-name" }, v.kev.name) : null,
      v.kev?.action ? h("span", { class: "vuln-action" }, t("vulns.action"), v.kev.action) : null))) : null,
    advisory ? h("div", { class: "vuln-advisory", "data-advisory": advisory.id },
      h("p", {}, criticalityTag(advisory.criticality), " ", h("strong", {}, advisory.id), " ", advisory.title,
        ev.updated ? [" ", h("span", { class: "tag" }, t("vulns.updated"))] : null),
      remediation.length ? [h("p", { class: "vuln-label" }, t("vulns.remediation")),
        h("ul", { class: "remediation" }, remediation.map((r) => h("li", {}, r)))] : null) : null,
    assets.length ? [h("p", { class: "vuln-label" }, t("vulns.assetsConcerned")),
      h("ul", { class: "vuln-assets" }, assets.map((a) => h("li", { "data-asset": a.asset_id },
        h("strong", {}, a.asset_id), " ", [a.vendor, a.product].filter(Boolean).join(" "),
        a.version ? [" ", h("span", { class: "version" }, t("vulns.version", { version: a.version }))]
          : h("span", { class: "muted" }, t("vulns.noVersion")),
        (a.reasons || []).length ? h("span", { class: "muted vuln-reasons" }, " · ", a.reasons.map(matchReason).join(t("list.clauses"))) : null)))] : null,
  ); // prettier-ignore
}
