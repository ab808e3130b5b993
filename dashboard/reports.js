// The operator's forms (incident, asset) with the service's own validation messages next to
// each field, and the organization's recent reports.
import { query } from "./api.js";
import { clockCell } from "./clocks.js";
import { h, replace } from "./dom.js";
import { clock, randomKey, sectorName } from "./format.js";
import { vocabulary } from "./vocabulary.js";

const words = (v) => v.replaceAll("_", " ");

function field(form, name, label, control, hint) {
  const id = `${form}-${name}`;
  control.id = id;
  control.name = name;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute("aria-describedby", [hintId, `${id}-error`].filter(Boolean).join(" "));
  const wide = control.tagName === "TEXTAREA" ? " wide" : "";
  if (control.type === "checkbox") {
    return h("div", { class: `field checkbox${wide}`, "data-field": name },
      h("span", {}, control, " ", h("label", { for: id }, label)),
      hint ? h("p", { class: "hint", id: hintId }, hint) : null,
      h("p", { class: "field-error", id: `${id}-error` })); // prettier-ignore
  }
  return h("div", { class: `field${wide}`, "data-field": name },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    control,
    h("p", { class: "field-error", id: `${id}-error` })); // prettier-ignore
}

/** A field's values from the vocabulary, its default chosen; without a default the caller must
 * choose, so the select starts blank. */
function select({ values, default: chosen }, blank = "Choose…") {
  return h("select", {},
    chosen === null ? h("option", { value: "" }, blank) : null,
    values.map((v) => h("option", { value: v, selected: v === chosen }, words(v)))); // prettier-ignore
}

function localNow() {
  const d = new Date();
  d.setSeconds(0, 0);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function toIso(local) {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? local : t.toISOString();
}

const list = (text) => text.split(/[\s,;]+/).map((v) => v.trim()).filter(Boolean);

function guessType(value) {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) return "ipv4";
  if (/^cve-\d{4}-\d+$/i.test(value)) return "cve";
  if (/^[a-f0-9]{64}$/i.test(value)) return "sha256";
  if (/^[a-f0-9]{40}$/i.test(value)) return "sha1";
  if (/^[a-f0-9]{32}$/i.test(value)) return "md5";
  if (value.includes("://")) return "url";
  if (value.includes("@")) return "email";
  if (value.includes(":")) return "ipv6";
  return "domain";
}

function indicators(text) {
  const types = vocabulary().indicator_types;
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
    const [first, ...rest] = line.split(/\s+/);
    if (rest.length && types.includes(first.toLowerCase())) {
      return { type: first.toLowerCase(), value: rest.join(" ") };
    }
    return { type: guessType(line), value: line };
  });
}

function reportForm({ id, heading, submitLabel, fields, collect, path, api, onSaved, describe }) {
  const summary = h("div", { class: "error-summary", tabindex: "-1", hidden: true, id: `${id}-summary` });
  const done = h("p", { class: "form-done", role: "status", id: `${id}-status` });
  const button = h("button", { type: "submit" }, submitLabel);
  const form = h("form", { id, novalidate: true, "aria-labelledby": `${id}-heading` },
    h("h3", { id: `${id}-heading` }, heading),
    summary,
    h("div", { class: "fields" }, fields),
    h("div", { class: "buttons" }, button),
    done); // prettier-ignore
  let idempotency = null;
  let lastBody = null;
  let busy = false;

  function clearErrors() {
    summary.hidden = true;
    summary.replaceChildren();
    for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  function showErrors(errors, detail) {
    const general = [];
    const listed = [];
    for (const e of errors) {
      const match = /^([A-Za-z_]+)(.*)$/.exec(e.field || "");
      const name = match?.[1];
      const control = name ? form.elements.namedItem(name) : null;
      if (!control || !(control instanceof Element)) {
        general.push(`${e.field}: ${e.message}`);
        continue;
      }
      let where = "";
      const index = /^\[(\d+)\]/.exec(match[2] || "");
      if (index) where = `${name === "indicators" ? "line" : "item"} ${Number(index[1]) + 1}: `;
      const slot = document.getElementById(`${control.id}-error`);
      slot.textContent = slot.textContent ? `${slot.textContent} ${where}${e.message}` : `${where}${e.message}`;
      control.setAttribute("aria-invalid", "true");
      listed.push([control, `${control.labels?.[0]?.textContent || name}: ${where}${e.message}`]);
    }
    replace(summary,
      h("h4", {}, `The service did not accept this ${describe}`),
      detail && !errors.length ? h("p", {}, detail) : null,
      h("ul", {},
        listed.map(([control, text]) => h("li", {}, h("a", { href: `#${control.id}`,
          onclick: (ev) => { ev.preventDefault(); control.focus(); } }, text))),
        general.map((text) => h("li", {}, text)))); // prettier-ignore
    summary.hidden = false;
    summary.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    clearErrors();
    done.textContent = "";
    const body = collect(form);
    const text = JSON.stringify(body);
    if (text !== lastBody) {
      // A retry of the same report reuses its key, so it is stored once.
      idempotency = randomKey();
      lastBody = text;
    }
    busy = true;
    button.setAttribute("aria-disabled", "true");
    try {
      const result = await api.post(path, body, { "Idempotency-Key": idempotency });
      idempotency = null;
      lastBody = null;
      done.textContent = onSaved(result, form);
    } catch (error) {
      if (error.status === 422 || error.status === 400) showErrors(error.fieldErrors, error.message);
      else showErrors([], `${error.message}${error.status ? ` (HTTP ${error.status})` : ""}; your report was not lost, send it again.`);
    } finally {
      busy = false;
      button.removeAttribute("aria-disabled");
    }
  });
  return form;
}

export function mountReports(container, { api, me }) {
  const { incident, asset } = vocabulary();
  const incidents = h("div", { class: "table-wrap", id: "own-incidents" });
  const assets = h("div", { class: "table-wrap", id: "own-assets" });

  async function loadReports() {
    try {
      const [i, a] = await Promise.all([
        api.get(`/v1/incidents${query({ limit: 10 })}`),
        api.get(`/v1/assets${query({ limit: 10 })}`),
      ]);
      replace(incidents, incidentTable(i.items));
      replace(assets, assetTable(a.items));
    } catch (error) {
      replace(incidents, h("p", { class: "field-error" }, `Cannot load reports: ${error.message}`));
    }
  }

  const incidentForm = reportForm({
    id: "incident-form",
    heading: "Report an incident",
    submitLabel: "Submit incident",
    describe: "incident",
    path: "/v1/incidents",
    api,
    fields: [
      field("incident", "detected_at", "Detected at", h("input", { type: "datetime-local", value: localNow(), step: "1" }), "Your local time; required."),
      field("incident", "occurred_at", "Occurred at", h("input", { type: "datetime-local", step: "1" }), "Optional; not after detection."),
      field("incident", "category", "Category", select(incident.category, "Choose a category")),
      field("incident", "functional_impact", "Functional impact", select(incident.functional_impact, "Choose the impact")),
      field("incident", "information_impact", "Information impact", select(incident.information_impact)),
      field("incident", "recoverability", "Recoverability", select(incident.recoverability)),
      field("incident", "location", "Location", select(incident.location)),
      field("incident", "tlp", "TLP", select(incident.tlp)),
      field("incident", "affected_assets", "Affected assets", h("input", { type: "text", autocomplete: "off" }), "Your asset IDs, separated by commas."),
      field("incident", "reference", "Your reference", h("input", { type: "text", autocomplete: "off" })),
      field("incident", "indicators", "Indicators", h("textarea", { rows: 3, spellcheck: "false" }), "One per line, e.g. “ipv4 185.220.101.47”; the type may be left out."),
      field("incident", "summary", "Summary", h("textarea", { rows: 3 })),
    ], // prettier-ignore
    collect(form) {
      const v = (name) => form.elements.namedItem(name).value.trim();
      const body = {
        detected_at: toIso(v("detected_at")),
        occurred_at: toIso(v("occurred_at")),
        category: v("category") || undefined,
        functional_impact: v("functional_impact") || undefined,
        information_impact: v("information_impact"),
        recoverability: v("recoverability"),
        location: v("location"),
        tlp: v("tlp"),
        affected_assets: list(v("affected_assets")),
        indicators: indicators(v("indicators")),
        summary: v("summary") || undefined,
        reference: v("reference") || undefined,
      };
      return JSON.parse(JSON.stringify(body));
    },
    onSaved(result, form) {
      for (const name of ["occurred_at", "affected_assets", "reference", "indicators", "summary"]) {
        form.elements.namedItem(name).value = "";
      }
      form.elements.namedItem("detected_at").value = localNow();
      loadReports();
      return `Incident #${result.id} recorded at ${clock(result.received_at)}.`;
    },
  });

  const assetForm = reportForm({
    id: "asset-form",
    heading: "Report an asset",
    submitLabel: "Save asset",
    describe: "asset",
    path: "/v1/assets",
    api,
    fields: [
      field("asset", "asset_id", "Asset ID", h("input", { type: "text", autocomplete: "off" }), "Your own identifier; the same ID updates the asset."),
      field("asset", "name", "Name", h("input", { type: "text", autocomplete: "off" })),
      field("asset", "kind", "Kind", select(asset.kind)),
      field("asset", "criticality", "Criticality", select(asset.criticality)),
      field("asset", "vendor", "Vendor", h("input", { type: "text", autocomplete: "off" })),
      field("asset", "product", "Product", h("input", { type: "text", autocomplete: "off" })),
      field("asset", "version", "Version", h("input", { type: "text", autocomplete: "off" })),
      field("asset", "location", "Location", select(asset.location)),
      field("asset", "cves", "CVEs", h("input", { type: "text", autocomplete: "off" }), "Separated by commas, e.g. CVE-2022-38465."),
      field("asset", "internet_exposed", "Reachable from the internet", h("input", { type: "checkbox" })),
    ], // prettier-ignore
    collect(form) {
      const v = (name) => form.elements.namedItem(name).value.trim();
      const body = {
        asset_id: v("asset_id"),
        name: v("name") || undefined,
        kind: v("kind"),
        criticality: v("criticality"),
        vendor: v("vendor") || undefined,
        product: v("product") || undefined,
        version: v("version") || undefined,
        location: v("location"),
        cves: list(v("cves")),
        internet_exposed: form.elements.namedItem("internet_exposed").checked,
      };
      return JSON.parse(JSON.stringify(body));
    },
    onSaved(result) {
      loadReports();
      return `Asset ${result.asset_id} ${result.created ? "added" : "updated"} at ${clock(result.updated_at)}.`;
    },
  });

  container.append(
    h("section", { class: "panel", "aria-labelledby": "forms-heading" },
      h("h2", { id: "forms-heading" }, `Report for ${me.org_id || "your organization"}`,
        me.org_sector ? h("span", { class: "muted" }, ` (${sectorName(me.org_sector)})`) : null),
      h("div", { class: "forms" }, incidentForm, assetForm)),
    h("section", { class: "panel", "aria-labelledby": "own-heading" },
      h("h2", { id: "own-heading" }, "Your recent reports"),
      h("h3", {}, "Incidents"), incidents,
      h("h3", {}, "Assets"), assets),
  ); // prettier-ignore
  loadReports();
  return { reload: loadReports };
}

function incidentTable(items) {
  if (!items.length) return h("p", { class: "muted" }, "No incident reported yet.");
  return h("table", {},
    h("thead", {}, h("tr", {}, ["#", "Detected", "Category", "Functional impact", "Location", "Indicators", "TLP", "Reporting clocks"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, items.map((i) => h("tr", { "data-incident": String(i.id) },
      h("td", {}, String(i.id)), h("td", {}, clock(i.detected_at)), h("td", {}, words(i.category)),
      h("td", {}, words(i.functional_impact)), h("td", {}, words(i.location)),
      h("td", {}, indicatorCell(i.indicators)),
      h("td", {}, i.tlp.toUpperCase()), h("td", {}, clockCell(i.clocks)))))); // prettier-ignore
}

/** Each indicator on its line; one on a known-benign list says which, as it never makes a
 * campaign or an exposure warning. */
function indicatorCell(indicators) {
  if (!indicators.length) return "—";
  return h("ul", { class: "own-indicators" }, indicators.map((x) => h("li", { "data-value": x.value },
    `${x.type} `, h("code", {}, x.value),
    x.known_benign ? [" ", h("span", { class: "benign", title: "On this known-benign list (MISP warninglist) when reported: it never makes a campaign or an exposure warning." },
      "known benign: ", x.known_benign)] : null))); // prettier-ignore
}

function assetTable(items) {
  if (!items.length) return h("p", { class: "muted" }, "No asset reported yet.");
  return h("table", {},
    h("thead", {}, h("tr", {}, ["Asset", "Kind", "Product", "Criticality", "Internet", "CVEs", "Updated"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, items.map((a) => h("tr", { "data-asset": a.asset_id },
      h("td", {}, a.asset_id, a.name ? h("span", { class: "muted" }, ` ${a.name}`) : null),
      h("td", {}, words(a.kind)),
      h("td", {}, [a.vendor, a.product, a.version].filter(Boolean).join(" ") || "—"),
      h("td", {}, a.criticality), h("td", {}, a.internet_exposed ? "exposed" : "no"),
      h("td", {}, a.cves.join(", ") || "—"), h("td", {}, clock(a.updated_at)))))); // prettier-ignore
}
