// The page: sign-in, the view for the caller's role, and the live state that keeps it current.
import { createAlerts } from "./alerts.js";
import { createApi } from "./api.js";
import { mountCampaigns } from "./campaigns.js";
import { mountOverdue } from "./clocks.js";
import { mountDeliveries } from "./deliveries.js";
import { $, h, replace } from "./dom.js";
import { levels, refreshAges, sectorName } from "./format.js";
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

function panel(id, heading, ...content) {
  return h("section", { class: `panel ${id}`, id, "aria-labelledby": `${id}-heading` },
    h("h2", { id: `${id}-heading` }, heading), ...content); // prettier-ignore
}

function describe(me) {
  const scope = me.org_id
    ? `${me.org_id} (${sectorName(me.org_sector || "")})`
    : me.sectors ? me.sectors.map(sectorName).join(", ") : "all sectors"; // prettier-ignore
  return `${me.name ? `${me.name} · ` : ""}${me.role} · ${scope}`;
}

function layout(me, caps, store, api, sectorView) {
  const view = $("#view");
  const open = (sector) => sectorView.open(sector);
  const parts = [];
  const only = me.role === "operator" ? [me.org_sector] : me.sectors;
  let alerts = null;

  if (me.role === "operator") {
    const sectors = panel("sectors-panel", "Your sector");
    const warnings = panel("warnings-panel", "Warnings for your organization",
      h("p", { class: "muted" }, "Exposure and vulnerability warnings (something you run is involved) come first.")); // prettier-ignore
    const reports = h("div", { class: "reports" });
    replace(view, h("div", { class: "layout operator" }, sectors, warnings, reports));
    parts.push(mountTiles(sectors, store, { onOpen: open, only }));
    parts.push(mountWarnings(warnings, store, { api, caps, me, mode: "operator", only, orgId: me.org_id,
      onOpenSector: open, labelledBy: "warnings-panel-heading" })); // prettier-ignore
    mountReports(reports, { api, me });
  } else {
    const responder = me.role === "responder";
    const sectors = panel("sectors-panel", "Sectors");
    const warnings = panel("warnings-panel", responder ? "Alert stream" : "Warnings");
    const campaigns = panel("campaigns-panel", "Active campaigns");
    const deliveries = caps.deliveries ? panel("deliveries-panel", "Deliveries") : null;
    const overdue = responder ? null : panel("overdue-panel", "Overdue reports");
    if (responder) {
      alerts = createAlerts();
      warnings.append(alerts.controls);
    }
    replace(view, h("div", { class: `layout ${responder ? "responder" : "board"}` },
      responder ? [warnings, sectors, campaigns] : [sectors, campaigns, warnings], overdue, deliveries)); // prettier-ignore
    parts.push(mountTiles(sectors, store, { onOpen: open, only, compact: responder }));
    parts.push(mountWarnings(warnings, store, { api, caps, me, mode: responder ? "stream" : "board",
      only, onOpenSector: open, labelledBy: "warnings-panel-heading" })); // prettier-ignore
    parts.push(mountCampaigns(campaigns, store, { onOpenSector: open }));
    if (deliveries) parts.push(mountDeliveries(deliveries, { api, role: me.role }));
    if (overdue) mountOverdue(overdue, { api });
  }
  return { parts, alerts };
}

function titleFromLevels(store) {
  const counts = {};
  for (const s of store.sectors.values()) counts[s.level] = (counts[s.level] || 0) + 1;
  const worst = [...levels()].reverse().filter((l) => l !== "none" && counts[l]).slice(0, 2);
  document.title = worst.length
    ? `awareness · ${worst.map((l) => `${counts[l]} ${l}`).join(", ")}`
    : "awareness";
}

function start(api, me) {
  $("#sign-in").hidden = true;
  $("#sign-out").hidden = false;
  $("#who").textContent = describe(me);
  const caps = capabilities(me);
  const store = new Store();
  const sectorView = createSectorView(store, api);
  const { parts, alerts } = layout(me, caps, store, api, sectorView);
  const onTitle = () => titleFromLevels(store);
  store.addEventListener("sectors", onTitle);
  const live = startLive({
    api,
    caps,
    store,
    onStatus: status.render,
    onNotice: status.showNotice,
    onAlert: alerts ? (warning) => alerts.notify(warning) : null,
    onAuthFailure: () => signOut("Your API key is no longer accepted. Sign in again."),
  });
  const ages = setInterval(() => refreshAges(document), 5000);
  session = {
    live,
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

function showSignIn(message = "") {
  $("#sign-in").hidden = false;
  $("#sign-out").hidden = true;
  $("#who").textContent = "";
  $("#view").replaceChildren();
  $("#sign-in-error").textContent = message;
  document.title = "awareness";
}

function cannotStart(error) {
  const detail = `${error.message}${error.status ? ` (HTTP ${error.status})` : ""}`;
  replace($("#view"), h("section", { class: "panel sign-in", id: "start-error", role: "alert" },
    h("h1", {}, "The board cannot start"),
    h("p", {}, `Cannot load the board from the service: ${detail}. Reload the page.`))); // prettier-ignore
}

function signOut(message = "") {
  session?.stop();
  session = null;
  forgetKey();
  status.reset();
  showSignIn(message);
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
      showSignIn("This API key is not accepted (unknown or revoked).");
    } else if (error.status === 0 && automatic) {
      showSignIn("The service cannot be reached; trying again in a few seconds…");
      setTimeout(() => storedKey() === key && !session && signIn(key, { automatic }), 3000);
    } else {
      showSignIn(`Cannot sign in: ${error.message}.`);
    }
    return;
  }
  storeKey(key);
  $("#api-key").value = "";
  $("#sign-in-error").textContent = "";
  start(api, me);
  $("#main").focus({ preventScroll: true });
}

$("#sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("#api-key").value.trim();
  if (!key) {
    $("#sign-in-error").textContent = "Enter your API key.";
    $("#api-key").focus();
    return;
  }
  signIn(key);
});

$("#sign-out").addEventListener("click", () => signOut("Signed out. The key was removed from this tab."));

// Forms, filters and levels are built from the service's vocabulary: it comes first, and
// without it the page says what to do instead of showing a half-built board.
const remembered = storedKey();
loadVocabulary().then(
  () => (remembered ? signIn(remembered, { automatic: true }) : showSignIn()),
  cannotStart,
);
