// The operator's forms (incident, asset) with the service's own validation messages next to
// each field (English, as the API writes them, inside the board's sentences), and the
// organization's recent reports.
import { apiError, query } from "./api.js";
import { clockCell } from "./clocks.js";
import { h, replace } from "./dom.js";
import { clock, randomKey, sectorName, valueLabel } from "./format.js";
import { indicatorType, tlpLabel } from "./headlines.js";
import { list as join, t } from "./i18n.js";
import { vocabulary } from "./vocabulary.js";

/** A report field's value in the board's words; TLP keeps its standard labels. */
function words(field, value) {
  return field === "tlp" ? tlpLabel(value) : valueLabel(field, value);
}

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
 * choose, so the select starts blank. `field` names the values' words in the catalogue. */
function select(field, { values, default: chosen }, blank = t("form.choose")) {
  return h("select", {},
    chosen === null ? h("option", { value: "" }, blank) : null,
    values.map((v) => h("option", { value: v, selected: v === chosen }, words(field, v)))); // prettier-ignore
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
      if (index) where = t(name === "indicators" ? "form.line" : "form.item", { n: Number(index[1]) + 1 });
      const slot = document.getElementById(`${control.id}-error`);
      slot.textContent = slot.textContent ? `${slot.textContent} ${where}${e.message}` : `${where}${e.message}`;
      control.setAttribute("aria-invalid", "true");
      listed.push([control, `${control.labels?.[0]?.textContent || name}: ${where}${e.message}`]);
    }
    replace(summary,
      h("h4", {}, t(`form.refused.${describe}`)),
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
      if (error.status === 422 || error.status === 400) showErrors(error.fieldErrors, apiError(error));
      else showErrors([], t("form.notSent", { error: apiError(error) }));
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
      replace(incidents, h("p", { class: "field-error" }, t("reports.cannotLoad", { error: apiError(error) })));
    }
  }

  const incidentForm = reportForm({
    id: "incident-form",
    heading: t("form.incident.heading"),
    submitLabel: t("form.incident.submit"),
    describe: "incident",
    path: "/v1/incidents",
    api,
    fields: [
      field("incident", "detected_at", t("form.detected_at"), h("input", { type: "datetime-local", value: localNow(), step: "1" }), t("form.detected_at.hint")),
      field("incident", "occurred_at", t("form.occurred_at"), h("input", { type: "datetime-local", step: "1" }), t("form.occurred_at.hint")),
      field("incident", "category", t("form.category"), select("category", incident.category, t("form.category.choose"))),
      field("incident", "functional_impact", t("form.functional_impact"), select("functional_impact", incident.functional_impact, t("form.functional_impact.choose"))),
      field("incident", "information_impact", t("form.information_impact"), select("information_impact", incident.information_impact)),
      field("incident", "recoverability", t("form.recoverability"), select("recoverability", incident.recoverability)),
      field("incident", "location", t("form.location"), select("location", incident.location)),
      field("incident", "tlp", t("form.tlp"), select("tlp", incident.tlp)),
      field("incident", "affected_assets", t("form.affected_assets"), h("input", { type: "text", autocomplete: "off" }), t("form.affected_assets.hint")),
      field("incident", "reference", t("form.reference"), h("input", { type: "text", autocomplete: "off" })),
      field("incident", "indicators", t("form.indicators"), h("textarea", { rows: 3, spellcheck: "false" }), t("form.indicators.hint")),
      field("incident", "summary", t("form.summary"), h("textarea", { rows: 3 })),
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
      return t("form.incident.saved", { id: String(result.id), time: clock(result.received_at) });
    },
  });

  const assetForm = reportForm({
    id: "asset-form",
    heading: t("form.asset.heading"),
    submitLabel: t("form.asset.submit"),
    describe: "asset",
    path: "/v1/assets",
    api,
    fields: [
      field("asset", "asset_id", t("form.asset_id"), h("input", { type: "text", autocomplete: "off" }), t("form.asset_id.hint")),
      field("asset", "name", t("form.name"), h("input", { type: "text", autocomplete: "off" })),
      field("asset", "kind", t("form.kind"), select("asset_kind", asset.kind)),
      field("asset", "criticality", t("form.criticality"), select("criticality", asset.criticality)),
      field("asset", "vendor", t("form.vendor"), h("input", { type: "text", autocomplete: "off" })),
      field("asset", "product", t("form.product"), h("input", { type: "text", autocomplete: "off" })),
      field("asset", "version", t("form.version"), h("input", { type: "text", autocomplete: "off" })),
      field("asset", "location", t("form.location"), select("location", asset.location)),
      field("asset", "cves", t("form.cves"), h("input", { type: "text", autocomplete: "off" }), t("form.cves.hint")),
      field("asset", "internet_exposed", t("form.internet_exposed"), h("input", { type: "checkbox" })),
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
      return t(result.created ? "form.asset.added" : "form.asset.updated", { id: result.asset_id, time: clock(result.updated_at) });
    },
  });

  container.append(
    h("section", { class: "panel", "aria-labelledby": "forms-heading" },
      h("h2", { id: "forms-heading" }, me.org_id ? t("reports.heading", { org: me.org_id }) : t("reports.headingYours"),
        me.org_sector ? h("span", { class: "muted" }, t("reports.sector", { sector: sectorName(me.org_sector) })) : null),
      h("div", { class: "forms" }, incidentForm, assetForm)),
    h("section", { class: "panel", "aria-labelledby": "own-heading" },
      h("h2", { id: "own-heading" }, t("reports.recent")),
      h("h3", {}, t("reports.incidents")), incidents,
      h("h3", {}, t("reports.assets")), assets),
  ); // prettier-ignore
  loadReports();
  return { reload: loadReports };
}

const INCIDENT_COLUMNS = ["id", "detected", "category", "functional_impact", "location", "indicators", "tlp", "clocks"];

function incidentTable(items) {
  if (!items.length) return h("p", { class: "muted" }, t("reports.incidents.none"));
  return h("table", {},
    h("thead", {}, h("tr", {}, INCIDENT_COLUMNS.map((c) => h("th", { scope: "col" }, t(`reports.col.${c}`))))),
    h("tbody", {}, items.map((i) => h("tr", { "data-incident": String(i.id) },
      h("td", {}, String(i.id)), h("td", {}, clock(i.detected_at)), h("td", {}, words("category", i.category)),
      h("td", {}, words("functional_impact", i.functional_impact)), h("td", {}, words("location", i.location)),
      h("td", {}, indicatorCell(i.indicators)),
      h("td", {}, tlpLabel(i.tlp)), h("td", {}, clockCell(i.clocks)))))); // prettier-ignore
}

/** Each indicator on its line; one on a known-benign list says which, as it never makes a
 * campaign or an exposure warning. */
function indicatorCell(indicators) {
  if (!indicators.length) return "—";
  return h("ul", { class: "own-indicators" }, indicators.map((x) => h("li", { "data-value": x.value },
    `${indicatorType(x.type)} `, h("code", {}, x.value),
    x.known_benign ? [" ", h("span", { class: "benign", title: t("reports.benign.title") },
      t("reports.benign", { list: x.known_benign }))] : null))); // prettier-ignore
}

const ASSET_COLUMNS = ["asset", "kind", "product", "criticality", "internet", "cves", "updated"];

function assetTable(items) {
  if (!items.length) return h("p", { class: "muted" }, t("reports.assets.none"));
  return h("table", {},
    h("thead", {}, h("tr", {}, ASSET_COLUMNS.map((c) => h("th", { scope: "col" }, t(`reports.col.${c}`))))),
    h("tbody", {}, items.map((a) => h("tr", { "data-asset": a.asset_id },
      h("td", {}, a.asset_id, a.name ? h("span", { class: "muted" }, ` ${a.name}`) : null),
      h("td", {}, words("asset_kind", a.kind)),
      h("td", {}, [a.vendor, a.product, a.version].filter(Boolean).join(" ") || "—"),
      h("td", {}, words("criticality", a.criticality)),
      h("td", {}, t(a.internet_exposed ? "reports.internet.exposed" : "reports.internet.no")),
      h("td", {}, join(a.cves) || "—"), h("td", {}, clock(a.updated_at)))))); // prettier-ignore
}
