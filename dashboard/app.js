// The page: sign-in, the view for the caller's role, and the live state that keeps it current.
// A change of language redraws the views from the state the board holds (nothing is signed in
// or subscribed again), keeping what was typed in them.
import { createAlerts } from "./alerts.js";
import { apiError, createApi } from "./api.js";
import { mountCampaigns } from "./campaigns.js";
import { mountOverdue } from "./clocks.js";
import { mountDeliveries } from "./deliveries.js";
import { $, h, replace } from "./dom.js";
import { levels, levelWord, refreshAges, roleName, sectorName } from "./format.js";
import { CATALOGUES, LOCALES, list, locale, onLocaleChange, setLocale, t } from "./i18n.js";
import { startLive } from "./live.js";
import { mountReports } from "./reports.js";
import { createSectorView } from "./sector.js";
import { capabilities, forgetKey, storeKey, storedKey, whoAmI } from "./session.js";
import { createStatus } from "./status.js";
import { Store } from "./store.js";
import { mountTiles } from "./tiles.js";
import { loadVocabulary } from "./vocabulary.js";
import { mountWarnings } from "./warnings.js";

const status = createStatus();
let session = null;
let signInMessage = null; // [key, params] of the sign-in form's message, to word it again
let startError = null; // why the board could not start, while it says so

function panel(id, headingKey, ...content) {
  return h("section", { class: `panel ${id}`, id, "aria-labelledby": `${id}-heading` },
    h("h2", { id: `${id}-heading` }, t(headingKey)), ...content); // prettier-ignore
}

function describe(me) {
  const scope = me.org_id
    ? t("app.who.org", { org: me.org_id, sector: sectorName(me.org_sector || "") })
    : me.sectors ? list(me.sectors.map(sectorName)) : t("app.who.allSectors"); // prettier-ignore
  const role = roleName(me.role);
  return me.name ? t("app.who.named", { name: me.name, role, scope }) : t("app.who", { role, scope });
}

function layout(me, caps, store, api, sectorView, alerts) {
  const view = $("#view");
  const open = (sector) => sectorView.open(sector);
  const parts = [];
  const only = me.role === "operator" ? [me.org_sector] : me.sectors;

  if (me.role === "operator") {
    const sectors = panel("sectors-panel", "app.panel.yourSector");
    const warnings = panel("warnings-panel", "app.panel.yourWarnings",
      h("p", { class: "muted" }, t("app.panel.yourWarnings.hint"))); // prettier-ignore
    const reports = h("div", { class: "reports" });
    replace(view, h("div", { class: "layout operator" }, sectors, warnings, reports));
    parts.push(mountTiles(sectors, store, { onOpen: open, only }));
    parts.push(mountWarnings(warnings, store, { api, caps, me, mode: "operator", only, orgId: me.org_id,
      onOpenSector: open, labelledBy: "warnings-panel-heading" })); // prettier-ignore
    parts.push(mountReports(reports, { api, me }));
  } else {
    const responder = me.role === "responder";
    const sectors = panel("sectors-panel", "app.panel.sectors");
    const warnings = panel("warnings-panel", responder ? "app.panel.alertStream" : "app.panel.warnings");
    const campaigns = panel("campaigns-panel", "app.panel.campaigns");
    const deliveries = caps.deliveries ? panel("deliveries-panel", "app.panel.deliveries") : null;
    const overdue = responder ? null : panel("overdue-panel", "app.panel.overdue");
    if (alerts) warnings.append(alerts.controls);
    replace(view, h("div", { class: `layout ${responder ? "responder" : "board"}` },
      responder ? [warnings, sectors, campaigns] : [sectors, campaigns, warnings], overdue, deliveries)); // prettier-ignore
    parts.push(mountTiles(sectors, store, { onOpen: open, only, compact: responder }));
    parts.push(mountWarnings(warnings, store, { api, caps, me, mode: responder ? "stream" : "board",
      only, onOpenSector: open, labelledBy: "warnings-panel-heading" })); // prettier-ignore
    parts.push(mountCampaigns(campaigns, store, { onOpenSector: open }));
    if (deliveries) parts.push(mountDeliveries(deliveries, { api, role: me.role }));
    if (overdue) parts.push(mountOverdue(overdue, { api }));
  }
  return parts;
}

function titleFromLevels(store) {
  const counts = {};
  for (const s of store.sectors.values()) counts[s.level] = (counts[s.level] || 0) + 1;
  const worst = [...levels()].reverse().filter((l) => l !== "none" && counts[l]).slice(0, 2);
  document.title = worst.length
    ? t("app.title.levels", { levels: list(worst.map((l) => t("app.title.level", { count: counts[l], level: levelWord(l) }))) })
    : t("app.title"); // prettier-ignore
}

/** What is typed or chosen in the views, by element id, to put back once they are redrawn. */
function fieldValues(root) {
  const values = new Map();
  for (const el of root.querySelectorAll("input[id], select[id], textarea[id]")) {
    values.set(el.id, el.type === "checkbox" ? el.checked : el.value);
  }
  return values;
}

function restoreFields(root, values) {
  for (const el of root.querySelectorAll("input[id], select[id], textarea[id]")) {
    if (!values.has(el.id)) continue;
    const value = values.get(el.id);
    const checkbox = el.type === "checkbox";
    if ((checkbox ? el.checked : el.value) === value) continue;
    if (checkbox) el.checked = value;
    else el.value = value;
    // Filters act on change: the list is narrowed again as it was.
    if (el.tagName === "SELECT" || checkbox) el.dispatchEvent(new Event("change"));
  }
}

function start(api, me) {
  $("#sign-in").hidden = true;
  $("#sign-out").hidden = false;
  $("#who").textContent = describe(me);
  const caps = capabilities(me);
  const store = new Store();
  const sectorView = createSectorView(store, api);
  // Made once: the sound a responder switched on must survive a change of language.
  const alerts = me.role === "responder" ? createAlerts() : null;
  let parts = layout(me, caps, store, api, sectorView, alerts);
  const onTitle = () => titleFromLevels(store);
  store.addEventListener("sectors", onTitle);
  const live = startLive({
    api,
    caps,
    store,
    onStatus: status.render,
    onNotice: status.showNotice,
    onAlert: alerts ? (warning) => alerts.notify(warning) : null,
    onAuthFailure: () => signOut("app.keyRevoked"),
  });
  const ages = setInterval(() => refreshAges(document), 5000);
  session = {
    live,
    relabel() {
      $("#who").textContent = describe(me);
      const values = fieldValues($("#view"));
      for (const part of parts) part.dispose?.();
      parts = layout(me, caps, store, api, sectorView, alerts);
      restoreFields($("#view"), values);
      sectorView.relabel();
      alerts?.relabel();
      onTitle();
    },
    stop() {
      live.stop();
      clearInterval(ages);
      for (const part of parts) part.dispose?.();
      store.removeEventListener("sectors", onTitle);
      const dialog = $("#sector-dialog");
      if (dialog.open) dialog.close();
    },
  };
}

function showSignInMessage() {
  $("#sign-in-error").textContent = signInMessage ? t(...signInMessage) : "";
}

function showSignIn(key = null, params = {}) {
  $("#sign-in").hidden = false;
  $("#sign-out").hidden = true;
  $("#who").textContent = "";
  $("#view").replaceChildren();
  signInMessage = key ? [key, params] : null;
  showSignInMessage();
  document.title = t("app.title");
}

function cannotStart(error) {
  startError = error;
  replace($("#view"), h("section", { class: "panel sign-in", id: "start-error", role: "alert" },
    h("h1", {}, t("app.cannotStart")),
    h("p", {}, t("app.cannotStart.detail", { error: apiError(error) })))); // prettier-ignore
}

function signOut(key = null) {
  session?.stop();
  session = null;
  forgetKey();
  status.reset();
  showSignIn(key);
  $("#api-key").value = "";
  $("#api-key").focus();
}

async function signIn(key, { automatic = false } = {}) {
  const api = createApi(key);
  let me;
  try {
    me = await whoAmI(api);
  } catch (error) {
    if (error.status === 401) {
      forgetKey();
      showSignIn("signIn.refused");
    } else if (error.status === 0 && automatic) {
      showSignIn("signIn.unreachable");
      setTimeout(() => storedKey() === key && !session && signIn(key, { automatic }), 3000);
    } else {
      showSignIn("signIn.failed", { error: apiError(error) });
    }
    return;
  }
  storeKey(key);
  $("#api-key").value = "";
  signInMessage = null;
  showSignInMessage();
  start(api, me);
  $("#main").focus({ preventScroll: true });
}

/** The page's own words (marked data-i18n) in the board's language. */
function labelPage() {
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  const select = $("#language");
  select.value = locale();
  if (!session && !startError) document.title = t("app.title");
}

function languageSwitch() {
  const select = $("#language");
  // Each language is named in itself, so a reader finds their own whatever is shown.
  replace(select, LOCALES.map((tag) => h("option", { value: tag, lang: tag }, CATALOGUES[tag]["language.name"])));
  select.value = locale();
  select.addEventListener("change", () => setLocale(select.value));
}

onLocaleChange(() => {
  labelPage();
  status.relabel();
  if (session) session.relabel();
  else if (startError) cannotStart(startError);
  else showSignInMessage();
});

$("#sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("#api-key").value.trim();
  if (!key) {
    signInMessage = ["signIn.missing", {}];
    showSignInMessage();
    $("#api-key").focus();
    return;
  }
  signIn(key);
});

$("#sign-out").addEventListener("click", () => signOut("signIn.signedOut"));

languageSwitch();
labelPage();
status.reset();

// Forms, filters and levels are built from the service's vocabulary: it comes first, and
// without it the page says what to do instead of showing a half-built board.
const remembered = storedKey();
loadVocabulary().then(
  () => (remembered ? signIn(remembered, { automatic: true }) : showSignIn()),
  cannotStart,
);
