// Vulnerabilities: what a sector's operators are exposed to (the sector view's panel, for the
// readers the service gives coverage to: its supervisors and admins), and the evidence of one
// vulnerability warning on its card. Every value is text from the service, never markup.
import { h } from "./dom.js";
import { sectorName } from "./format.js";

const CRITICALITIES = ["critical", "high", "medium", "low", "none"];

/** A calendar day of the catalogue ("2026-02-20") as people read it, kept as it is: a KEV date
 * is a day, not an instant, so no time zone may move it. */
export function day(iso) {
  if (!iso) return "—";
  const t = Date.parse(`${iso}T00:00:00Z`);
  if (Number.isNaN(t)) return String(iso);
  const text = new Date(t).toLocaleDateString([], { day: "numeric", month: "short", year: "numeric",
    timeZone: "UTC" }); // prettier-ignore
  return h("time", { datetime: iso }, text);
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

function criticalityTag(criticality) {
  const known = CRITICALITIES.includes(criticality) ? criticality : "none";
  return h("span", { class: `crit crit-${known}` }, known === "none" ? "no rating" : known);
}

function kevTags(kev) {
  if (!kev) return null;
  return [
    h("span", { class: "vuln-tag kev-tag", title: "In CISA's Known Exploited Vulnerabilities catalog" }, "known exploited"),
    kev.ransomware ? h("span", { class: "vuln-tag ransomware-tag", title: "Known to be used in ransomware campaigns" }, "ransomware") : null,
  ]; // prettier-ignore
}

function dueDate(due) {
  if (!due) return null;
  const passed = due < today();
  return h("span", { class: passed ? "due passed" : "due" }, "due ", day(due), passed ? " (passed)" : "");
}

function plural(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}

/** The sector view's section, or null when this reader gets no coverage (and so no exposure)
 * for the sector: both name its operators, for the same readers. */
export async function vulnerabilitySection(api, sector, coverage) {
  if (!coverage) return null;
  let v;
  try {
    v = await api.get(`/v1/sectors/${encodeURIComponent(sector)}/vulnerabilities`);
  } catch (error) {
    return h("p", { class: "field-error" }, `Cannot load vulnerabilities: ${error.message}`);
  }
  const name = sectorName(v.sector);
  const who = (ids) => h("span", { class: "vuln-operators" }, ids.map((id, i) => [i ? ", " : "",
    h("strong", { "data-org": id, title: id }, v.names[id] || id)])); // prettier-ignore
  const days = plural(v.kev.days, "day");
  const kev = v.kev.entries.length
    ? h("div", { class: "table-wrap" }, h("table", { class: "kev-table" },
        h("thead", {}, h("tr", {}, ["CVE", "Vulnerability", "Added", "Operators exposed"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, v.kev.entries.map((e) => h("tr", { "data-cve": e.cve },
          h("td", {}, h("code", { class: "cve" }, e.cve.toUpperCase()), " ", e.ransomware
            ? h("span", { class: "vuln-tag ransomware-tag", title: "Known to be used in ransomware campaigns" }, "ransomware") : null),
          h("td", {}, e.name, h("br"), h("span", { class: "muted" }, `${e.vendor} ${e.product}`)),
          h("td", {}, day(e.date_added), e.due_date ? [h("br"), dueDate(e.due_date)] : null),
          h("td", {}, who(e.operators), h("br"), h("span", { class: "muted" }, plural(e.assets, "asset")))))))) // prettier-ignore
    : h("p", { class: "empty" }, `No operator of ${name} is exposed to a KEV entry added in the last ${days}.`);
  const groups = v.advisories.filter((c) => c.advisories.length);
  const counts = h("p", { class: "crit-counts" }, v.advisories.map((c) => h("span", { "data-criticality": c.criticality },
    criticalityTag(c.criticality), ` ${c.advisories.length}`))); // prettier-ignore
  const advisories = groups.length
    ? [counts, groups.map((c) => h("div", { class: "crit-group", "data-criticality": c.criticality },
        h("h5", {}, criticalityTag(c.criticality), ` ${plural(c.advisories.length, "advisory", "advisories")}, `,
          `${plural(c.exposed_operators, "operator")} exposed`),
        h("ul", { class: "advisory-list" }, c.advisories.map((a) => h("li", { "data-advisory": a.id },
          h("strong", {}, a.id), " ", a.title, h("br"),
          who(a.operators), h("span", { class: "muted" },
            ` · ${plural(a.assets, "asset")} · ${plural(a.cves, "CVE")} · published `, day(String(a.published).slice(0, 10))))))))] // prettier-ignore
    : h("p", { class: "empty" }, `No operator of ${name} is exposed to an ICS advisory.`);
  return h("div", { class: "vulnerabilities" },
    h("h4", {}, `Known exploited, added in the last ${days}`,
      v.kev.exposed_operators ? h("span", { class: "muted" }, ` · ${plural(v.kev.exposed_operators, "operator")} exposed`) : null),
    kev,
    h("h4", {}, "ICS advisories by criticality"),
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
        v.kev ? h("span", { class: "kev-dates" }, "added ", day(v.kev.date_added), v.kev.due_date ? [" · ", dueDate(v.kev.due_date)] : null) : null),
      v.kev?.name ? h("span", { class: "muted vuln-name" }, v.kev.name) : null,
      v.kev?.action ? h("span", { class: "vuln-action" }, "Required action: ", v.kev.action) : null))) : null,
    advisory ? h("div", { class: "vuln-advisory", "data-advisory": advisory.id },
      h("p", {}, criticalityTag(advisory.criticality), " ", h("strong", {}, advisory.id), " ", advisory.title,
        ev.updated ? [" ", h("span", { class: "tag" }, "updated")] : null),
      remediation.length ? [h("p", { class: "vuln-label" }, "Remediation"),
        h("ul", { class: "remediation" }, remediation.map((r) => h("li", {}, r)))] : null) : null,
    assets.length ? [h("p", { class: "vuln-label" }, "Assets concerned"),
      h("ul", { class: "vuln-assets" }, assets.map((a) => h("li", { "data-asset": a.asset_id },
        h("strong", {}, a.asset_id), " ", [a.vendor, a.product].filter(Boolean).join(" "),
        a.version ? [" ", h("span", { class: "version" }, `version ${a.version}`)] : h("span", { class: "muted" }, " (no version)"),
        (a.reasons || []).length ? h("span", { class: "muted vuln-reasons" }, ` · ${a.reasons.join("; ")}`) : null)))] : null,
  ); // prettier-ignore
}
