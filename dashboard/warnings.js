// The live warning list, newest first: filters by sector, kind, acknowledgement and the state of
// the response, who acknowledged, and the response itself. Items are kept by id, so a live
// update never steals the keyboard focus.
import { apiError, query } from "./api.js";
import { indicatorList, paceTag } from "./campaigns.js";
import { dependencyDetails } from "./dependencies.js";
import { h, replace } from "./dom.js";
import { actorName, age, clock, kindName, levelBadge, sectorName } from "./format.js";
import { headline } from "./headlines.js";
import { list as join, t, tNodes } from "./i18n.js";
import { escalationTag, myName, responseControls, stateTag } from "./response.js";
import { vocabulary } from "./vocabulary.js";
import { vulnerabilityDetails } from "./vulnerabilities.js";

const PAGE = 25;

export function mountWarnings(container, store, options) {
  const { api, caps, me = null, mode = "board", only = null, onOpenSector, orgId = null } = options;
  const idBase = `warnings-${mode}`;
  const mine = myName(me);
  const sectorSelect = h("select", { id: `${idBase}-sector`, name: "sector" },
    h("option", { value: "" }, t("warnings.allSectors"))); // prettier-ignore
  const kindSelect = h("select", { id: `${idBase}-kind`, name: "kind" },
    h("option", { value: "" }, t("warnings.allKinds")),
    vocabulary().warning_kinds.map((k) => h("option", { value: k }, kindName(k)))); // prettier-ignore
  const openOnly = h("input", { type: "checkbox", id: `${idBase}-open`, name: "open" });
  const mineOnly = h("input", { type: "checkbox", id: `${idBase}-mine`, name: "mine" });
  const unassigned = h("input", { type: "checkbox", id: `${idBase}-unassigned`, name: "unassigned" });
  const unresolved = h("input", { type: "checkbox", id: `${idBase}-unresolved`, name: "unresolved" });
  const check = (input, label, title) =>
    h("span", { class: "field-inline", title }, input, h("label", { for: input.id }, label));
  const filters = h("div", { class: "filters", role: "group", "aria-label": t("warnings.filters") },
    h("span", { class: "field-inline" }, h("label", { for: sectorSelect.id }, t("warnings.sector")), sectorSelect),
    h("span", { class: "field-inline" }, h("label", { for: kindSelect.id }, t("warnings.kind")), kindSelect),
    check(openOnly, t("warnings.unacknowledged")),
    caps.acknowledge && mine ? check(mineOnly, t("warnings.mine"), t("warnings.mine.title", { name: mine })) : null,
    check(unassigned, t("warnings.unassigned"), t("warnings.unassigned.title")),
    check(unresolved, t("warnings.open"), t("warnings.open.title")),
  ); // prettier-ignore
  // The names already assigned, offered when assigning someone.
  const assignees = h("datalist", { id: `${idBase}-assignees` });
  const count = h("p", { class: "muted count", id: `${idBase}-count` });
  const list = h("ol", { class: `warnings ${mode}`, id: `${idBase}-list`, "aria-labelledby": options.labelledBy });
  const empty = h("p", { class: "empty", hidden: true }, t("warnings.none"));
  let shownCount = PAGE;
  const more = h("button", { type: "button", class: "secondary more", hidden: true,
    onclick: () => { shownCount += PAGE; render(); } }); // prettier-ignore
  container.append(filters, count, list, more, empty, assignees);

  const items = new Map(); // id -> { el, view, controls, key }

  function wanted() {
    const sector = sectorSelect.value;
    const kind = kindSelect.value;
    let all = store.newestFirst().filter(
      (w) =>
        (!sector || w.sector === sector || (w.sectors || []).includes(sector)) &&
        (!kind || w.kind === kind) &&
        (!openOnly.checked || !w.acknowledged_at) &&
        (!mineOnly.checked || w.assignee === mine) &&
        (!unassigned.checked || w.state === "new" || w.state === "acknowledged") &&
        (!unresolved.checked || w.state !== "resolved"),
    );
    if (mode === "operator") {
      // Exposure and vulnerability warnings first: they name something the organization runs.
      const runs = (w) => w.kind === "exposure" || w.kind === "vulnerability";
      all = [...all.filter(runs), ...all.filter((w) => !runs(w))];
    }
    return all;
  }

  function render() {
    const all = wanted();
    const shown = all.slice(0, shownCount);
    const keep = new Set(shown.map((w) => w.id));
    for (const [id, entry] of items) {
      if (!keep.has(id)) {
        entry.el.remove();
        items.delete(id);
      }
    }
    shown.forEach((warning, index) => {
      let entry = items.get(warning.id);
      const key = [warning.acknowledged_at, warning.level, store.marks.get(warning.id), warning.state,
        warning.assignee, warning.resolved_at, warning.escalated_tier].join("|"); // prettier-ignore
      if (!entry) {
        entry = create(warning);
        items.set(warning.id, entry);
      }
      if (entry.key !== key) {
        // Only the part showing the warning is built again; the response controls (and what
        // is typed in them) stay, and are updated in place.
        const hadFocus = entry.view.contains(document.activeElement);
        fill(entry, warning);
        entry.key = key;
        if (hadFocus) entry.view.querySelector(".ack-status, .ack-button")?.focus();
        entry.controls?.update(warning);
      }
      if (list.children[index] !== entry.el) list.insertBefore(entry.el, list.children[index] || null);
    });
    const known = [...store.warnings.values()];
    const total = known.length;
    const open = known.filter((w) => !w.acknowledged_at).length;
    const unsettled = known.filter((w) => w.state !== "resolved").length;
    const params = { count: total, shown: all.length, open, unsettled };
    count.textContent = t(all.length === total ? "warnings.count" : "warnings.countFiltered", params);
    const names = [...new Set([mine, ...known.map((w) => w.assignee)].filter(Boolean))].sort();
    if (assignees.dataset.names !== names.join("\n")) {
      assignees.dataset.names = names.join("\n");
      replace(assignees, names.map((name) => h("option", { value: name })));
    }
    empty.hidden = shown.length > 0;
    more.hidden = all.length <= shown.length;
    more.textContent = t("warnings.more", { count: Math.min(PAGE, all.length - shown.length) });
  }

  function create(w) {
    const view = h("div", { class: "w-view" });
    const el = h("li", {}, view);
    const titleId = `${idBase}-title-${w.id}`;
    const controls = caps.acknowledge
      ? responseControls({ api, store, me, warningId: w.id, titleId, idBase,
          onFocusLost: () => view.querySelector(".state")?.focus() }) // prettier-ignore
      : null;
    if (controls) el.append(controls.el);
    return { el, view, controls, key: null };
  }

  function fill(entry, w) {
    const li = entry.el;
    const mark = store.marks.get(w.id);
    li.className = `warning level-${w.level}${w.acknowledged_at ? " acknowledged" : ""}${
      w.state === "resolved" ? " resolved" : ""}${mark ? ` ${mark}` : ""}`; // prettier-ignore
    li.dataset.id = String(w.id);
    li.dataset.seq = String(w.seq);
    li.dataset.kind = w.kind;
    li.dataset.sector = w.sector;
    li.dataset.state = w.state || "new";
    const titleId = `${idBase}-title-${w.id}`;
    // A dependency warning lists its dependents itself, by strength.
    const others = w.kind === "dependency" ? [] : (w.sectors || []).filter((s) => s !== w.sector);
    const sectorButton = h("button", { type: "button", class: "link",
      onclick: () => onOpenSector?.(w.sector) }, sectorName(w.sector)); // prettier-ignore
    replace(
      entry.view,
      h("div", { class: "w-head" },
        levelBadge(w.level),
        stateTag(w),
        escalationTag(w),
        h("span", { class: `kind kind-${w.kind}` }, kindName(w.kind)),
        w.kind === "campaign" ? paceTag(w.pace, w.evidence?.window_hours) : null,
        onOpenSector ? sectorButton : h("span", {}, sectorName(w.sector)),
        others.length ? h("span", { class: "muted" }, t("warnings.also", { sectors: join(others.map(sectorName)) })) : null,
        w.target_orgs && orgId && w.target_orgs.includes(orgId)
          ? h("span", { class: "tag" }, t("warnings.addressed")) : null,
        mark === "replayed" ? h("span", { class: "tag" }, t("warnings.offline")) : null,
        mark === "live" ? h("span", { class: "tag tag-new" }, t("warnings.new")) : null,
      ), // prettier-ignore
      h("p", { class: "w-title", id: titleId }, headline(w)),
      details(w),
      w.kind === "exposure" && orgId && w.evidence?.matches?.[orgId]
        ? h("p", { class: "w-assets" }, tNodes("warnings.yourAssets", {
            assets: h("strong", {}, join(w.evidence.matches[orgId])) })) : null, // prettier-ignore
      h("div", { class: "w-foot" },
        h("span", { class: "muted" }, tNodes("warnings.foot", { time: h("time", { datetime: w.created_at }, clock(w.created_at)),
          age: age(w.created_at), id: String(w.id), seq: String(w.seq) })),
        ackArea(w, titleId),
      ), // prettier-ignore
    );
  }

  function details(w) {
    if (w.kind === "dependency") return dependencyDetails(w, only);
    if (w.kind === "vulnerability") return vulnerabilityDetails(w);
    if (w.kind === "campaign") {
      const ev = w.evidence || {};
      const indicators = w.indicators || ev.indicators || (ev.indicator ? [ev.indicator] : []);
      const list = indicatorList(indicators, w.withheld);
      return list ? h("div", { class: "w-details" }, list) : null;
    }
    return null;
  }

  function ackArea(w, titleId) {
    if (w.state === "resolved" && w.resolved_at) {
      return h("span", { class: "ack-status", tabindex: "-1" },
        t("warnings.resolvedAt", { time: clock(w.resolved_at) }),
        w.acknowledged_by ? tNodes("warnings.resolvedAck", { who: h("strong", {}, actorName(w.acknowledged_by)) }) : null); // prettier-ignore
    }
    if (w.acknowledged_at) {
      return h("span", { class: "ack-status", tabindex: "-1" },
        tNodes("warnings.acknowledgedBy", { who: h("strong", {}, actorName(w.acknowledged_by)),
          time: clock(w.acknowledged_at) })); // prettier-ignore
    }
    if (!caps.acknowledge) return h("span", { class: "ack-none" }, t("warnings.notAcknowledged"));
    const error = h("span", { class: "field-error", role: "alert" });
    const button = h("button", { type: "button", class: "ack-button", "aria-describedby": titleId },
      t("warnings.acknowledge")); // prettier-ignore
    let busy = false;
    button.addEventListener("click", async () => {
      if (busy) return;
      busy = true; // not `disabled`: a disabled button would drop the keyboard focus
      button.setAttribute("aria-disabled", "true");
      button.textContent = t("warnings.acknowledging");
      error.textContent = "";
      try {
        const view = await api.post(`/v1/warnings/${w.id}/ack`);
        store.upsertWarning(view);
      } catch (e) {
        busy = false;
        button.removeAttribute("aria-disabled");
        button.textContent = t("warnings.acknowledge");
        error.textContent = t("warnings.notAcknowledgedError", { error: apiError(e) });
      }
    });
    return h("span", { class: "ack" }, button, " ", error);
  }

  function wantedStates() {
    let states = null; // null: any
    const keep = (allowed) => {
      states = (states || allowed).filter((state) => allowed.includes(state));
    };
    if (unassigned.checked) keep(["new", "acknowledged"]);
    if (unresolved.checked) keep(["new", "acknowledged", "responding"]);
    return states;
  }

  async function backfill() {
    // The store holds the newest warnings; a filter may want older ones too.
    const sector = sectorSelect.value;
    const kind = kindSelect.value;
    const states = wantedStates();
    const assignee = mineOnly.checked ? mine : "";
    if (!sector && !kind && !openOnly.checked && !states && !assignee) return;
    if (states && !states.length) return; // filters that exclude each other: nothing to ask
    try {
      const page = await api.get(`/v1/warnings${query({ order: "desc", limit: 100, sector, kind,
        acknowledged: openOnly.checked ? "false" : "", state: states || [], assignee })}`); // prettier-ignore
      store.mergeWarnings(page.items);
    } catch {
      /* the list still shows what is known */
    }
  }

  if (only && only.length === 1) sectorSelect.parentElement.hidden = true;
  for (const control of [sectorSelect, kindSelect, openOnly, mineOnly, unassigned, unresolved]) {
    control.addEventListener("change", () => {
      shownCount = PAGE;
      render();
      backfill();
    });
  }
  function sectorOptions() {
    // The sectors come with the first snapshot; the filter lists them once they are known.
    const names = [...store.sectors.keys()].filter((s) => !only || only.includes(s));
    if (sectorSelect.options.length - 1 === names.length) return;
    const chosen = sectorSelect.value;
    replace(sectorSelect, h("option", { value: "" }, t("warnings.allSectors")),
      names.map((s) => h("option", { value: s, selected: s === chosen }, sectorName(s)))); // prettier-ignore
  }

  function changed(event) {
    render();
    // A step taken on a warning (here or on another board) belongs on its open timeline.
    const id = event.detail?.responded ?? event.detail?.acked;
    if (id !== undefined) items.get(id)?.controls?.refreshTimeline();
  }

  store.addEventListener("warnings", changed);
  store.addEventListener("sectors", sectorOptions);
  sectorOptions();
  render();
  return {
    dispose: () => {
      store.removeEventListener("warnings", changed);
      store.removeEventListener("sectors", sectorOptions);
    },
  };
}
