// The response to one warning: its state, assigning it (to me or to someone else), resolving it
// with a note, notes, and its timeline. The controls are built once per warning and updated in
// place, so a live update neither discards what is being typed nor moves the keyboard focus.
import { apiError } from "./api.js";
import { h, replace } from "./dom.js";
import { actorName, channelName, clock, levelBadge } from "./format.js";
import { headline } from "./headlines.js";
import { known, t, tNodes } from "./i18n.js";

const STATES = ["new", "acknowledged", "responding", "resolved"];

/** The name "Assign to me" gives, and "Mine" looks for: the key's label, else its display. */
export function myName(me) {
  return me?.name || me?.display || "";
}

/** New / Acknowledged / Responding — who / Resolved; focusable from script only, so the focus
 * has a place to go when the control that had it is gone. */
export function stateTag(w) {
  const state = STATES.includes(w.state) ? w.state : "new";
  const words = state === "responding" && w.assignee
    ? t("state.respondingBy", { assignee: w.assignee })
    : t(`state.${state}`); // prettier-ignore
  return h("span", { class: `state state-${state}`, "data-state": state, tabindex: "-1" }, words);
}

export function escalationTag(w) {
  if (!(w.escalated_tier > 1)) return null;
  return h("span", { class: "tag tag-escalated", "data-tier": String(w.escalated_tier) },
    t("response.escalatedTag", { tier: String(w.escalated_tier) })); // prettier-ignore
}

/** A button that calls the service once at a time. Not `disabled` while busy: a disabled
 * button would drop the keyboard focus. */
function busyButton(attrs, label, busyLabel, run) {
  const button = h("button", { type: "button", ...attrs }, label);
  let busy = false;
  button.addEventListener("click", async (event) => {
    if (busy) return;
    busy = true;
    button.setAttribute("aria-disabled", "true");
    button.textContent = busyLabel;
    try {
      await run(event);
    } finally {
      busy = false;
      button.removeAttribute("aria-disabled");
      button.textContent = label;
    }
  });
  return button;
}

function field(id, label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), hint, control);
}

export function responseControls({ api, store, me, warningId, titleId, idBase, onFocusLost }) {
  const id = String(warningId);
  const base = `${idBase}-respond-${warningId}`;
  const mine = myName(me);
  const path = `/v1/warnings/${warningId}`;
  let shown = null; // the open form's name

  const done = h("span", { class: "w-done", role: "status" });
  const meError = h("span", { class: "field-error", role: "alert" });
  const assignMe = busyButton({ class: "secondary small", "aria-describedby": titleId },
    t("response.assignMe"), t("response.assigning"), async () => {
      meError.textContent = "";
      try {
        settled(await api.post(`${path}/assign`, { assignee: mine }), t("response.assigned", { assignee: mine }));
      } catch (e) {
        meError.textContent = t("response.notAssigned", { error: apiError(e) });
      }
    }); // prettier-ignore

  // Assign…, Resolve… and Add note each open a small form under the buttons.
  const forms = {};
  function disclosure(name, label, fields, submitLabel, busyLabel, submit) {
    // The form's own button says what it does, so it is never confused with the one opening it.
    const error = h("p", { class: "field-error", role: "alert" });
    const submitButton = h("button", { type: "submit" }, submitLabel);
    const cancel = h("button", { type: "button", class: "secondary", onclick: () => close(name, true) },
      t("response.cancel")); // prettier-ignore
    const form = h("form", { class: "w-form", id: `${base}-${name}-form`, hidden: true, novalidate: true,
      "aria-label": t(`response.${name}.form`, { id }) }, fields, h("div", { class: "buttons" },
      submitButton, cancel), error); // prettier-ignore
    const toggle = h("button", { type: "button", class: "secondary small", "aria-expanded": "false",
      "aria-controls": form.id, "aria-describedby": titleId,
      onclick: () => (shown === name ? close(name, true) : open(name)) }, label); // prettier-ignore
    let busy = false;
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        close(name, true);
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) return;
      error.textContent = "";
      for (const input of form.querySelectorAll("input, textarea")) input.removeAttribute("aria-invalid");
      const invalid = submit.check(form);
      if (invalid) {
        invalid.input.setAttribute("aria-invalid", "true");
        error.textContent = invalid.message;
        invalid.input.focus();
        return;
      }
      busy = true;
      submitButton.setAttribute("aria-disabled", "true");
      submitButton.textContent = busyLabel;
      try {
        const [view, message] = await submit.send(form);
        form.reset();
        close(name, true);
        settled(view, message);
      } catch (e) {
        error.textContent = t(submit.failed, { error: apiError(e) });
      } finally {
        busy = false;
        submitButton.removeAttribute("aria-disabled");
        submitButton.textContent = submitLabel;
      }
    });
    forms[name] = { form, toggle, error };
    return toggle;
  }

  const assigneeInput = h("input", { type: "text", id: `${base}-assignee`, name: "assignee",
    autocomplete: "off", list: `${idBase}-assignees`, maxlength: "200", required: true }); // prettier-ignore
  const assignNote = h("textarea", { id: `${base}-assign-note`, name: "note", rows: "2", maxlength: "10000" });
  const assignToggle = disclosure("assign", t("response.assign.open"),
    [field(assigneeInput.id, t("response.assignee"), assigneeInput),
     field(assignNote.id, t("response.assign.note"), assignNote)],
    t("response.assign.submit"), t("response.assigning"), {
      failed: "response.notAssigned",
      check: () => (assigneeInput.value.trim() ? null
        : { input: assigneeInput, message: t("response.assign.missing") }),
      send: async () => {
        const assignee = assigneeInput.value.trim();
        const note = assignNote.value.trim();
        const view = await api.post(`${path}/assign`, note ? { assignee, note } : { assignee });
        return [view, t("response.assigned", { assignee })];
      },
    }); // prettier-ignore

  const resolution = h("textarea", { id: `${base}-resolution`, name: "note", rows: "2",
    maxlength: "10000", required: true, "aria-describedby": `${base}-resolution-hint` }); // prettier-ignore
  const resolveToggle = disclosure("resolve", t("response.resolve.open"),
    [field(resolution.id, t("response.resolution"), resolution,
      h("p", { class: "hint", id: `${base}-resolution-hint` }, t("response.resolution.hint")))],
    t("response.resolve.submit"), t("response.resolving"), {
      failed: "response.notResolved",
      check: () => (resolution.value.trim() ? null
        : { input: resolution, message: t("response.resolve.missing") }),
      send: async () => [await api.post(`${path}/resolve`, { note: resolution.value.trim() }), t("response.resolved")],
    }); // prettier-ignore

  const noteText = h("textarea", { id: `${base}-note`, name: "text", rows: "2", maxlength: "10000",
    required: true }); // prettier-ignore
  const noteToggle = disclosure("note", t("response.note.open"), [field(noteText.id, t("response.note"), noteText)],
    t("response.note.submit"), t("response.saving"), {
      failed: "response.notAdded",
      check: () => (noteText.value.trim() ? null : { input: noteText, message: t("response.note.missing") }),
      send: async () => [await api.post(`${path}/notes`, { text: noteText.value.trim() }), t("response.noteAdded")],
    }); // prettier-ignore

  function open(name) {
    if (shown) close(shown, false);
    const { form, toggle } = forms[name];
    shown = name;
    form.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    done.textContent = "";
    form.querySelector("input, textarea")?.focus();
  }

  function close(name, giveFocusBack) {
    const { form, toggle, error } = forms[name];
    form.hidden = true;
    error.textContent = "";
    toggle.setAttribute("aria-expanded", "false");
    if (shown === name) shown = null;
    if (giveFocusBack && !toggle.hidden) toggle.focus();
  }

  // The timeline, fetched when opened and again after each step taken on the warning.
  const timelineList = h("ol", { class: "timeline", id: `${base}-timeline-list` });
  const timelineStatus = h("p", { class: "muted", role: "status" });
  const timeline = h("div", { class: "w-timeline", id: `${base}-timeline`, hidden: true },
    timelineStatus, timelineList); // prettier-ignore
  const timelineToggle = h("button", { type: "button", class: "link disclosure", "aria-expanded": "false",
    "aria-controls": timeline.id, "aria-describedby": titleId },
    h("span", { class: "disclosure-mark", "aria-hidden": "true" }), t("response.timeline")); // prettier-ignore
  timelineToggle.addEventListener("click", () => {
    const opening = timeline.hidden;
    timeline.hidden = !opening;
    timelineToggle.setAttribute("aria-expanded", String(opening));
    if (opening) loadTimeline();
  });
  let asked = 0;
  async function loadTimeline() {
    const ticket = ++asked;
    if (!timelineList.children.length) timelineStatus.textContent = t("response.timeline.loading");
    try {
      const entries = await api.get(`${path}/timeline`);
      if (ticket !== asked) return; // a later answer is coming
      timelineStatus.textContent = entries.length ? "" : t("response.timeline.empty");
      timelineStatus.removeAttribute("role");
      replace(timelineList, entries.map((e) => timelineEntry(e, store.warnings.get(warningId))));
    } catch (e) {
      if (ticket !== asked) return;
      timelineStatus.setAttribute("role", "alert");
      timelineStatus.textContent = t("response.timeline.cannotLoad", { error: apiError(e) });
    }
  }

  function settled(view, message) {
    store.upsertWarning(view);
    done.textContent = message;
    if (!timeline.hidden) loadTimeline();
  }

  const el = h("div", { class: "w-response" },
    h("div", { class: "w-actions", role: "group", "aria-label": t("response.group", { id }) },
      assignMe, meError, assignToggle, resolveToggle, noteToggle, done),
    Object.values(forms).map((f) => f.form), h("div", { class: "w-timeline-bar" }, timelineToggle),
    timeline); // prettier-ignore

  /** Shows the controls this state allows; the focus, if it was on one now hidden, goes to
   * the warning's state. */
  function update(w) {
    const hadFocus = el.contains(document.activeElement) ? document.activeElement : null;
    const resolved = w.state === "resolved";
    assignMe.hidden = resolved || !mine || w.assignee === mine;
    assignToggle.hidden = resolved;
    resolveToggle.hidden = resolved;
    if (resolved) {
      for (const name of ["assign", "resolve"]) if (shown === name) close(name, false);
    }
    if (hadFocus && !hadFocus.getClientRects().length) onFocusLost?.();
  }

  return {
    el,
    update,
    refreshTimeline: () => !timeline.hidden && loadTimeline(),
  };
}

/** A delivery attempt's outcome ("delivered", "failed", "disabled") in the board's words. */
export function outcomeWord(outcome) {
  return known(`outcome.${outcome}`) ? t(`outcome.${outcome}`) : outcome;
}

/** One step of the timeline; `warning` (as the board holds it) gives a raised warning its
 * headline, the service's title standing in while the board has not loaded it. */
function timelineEntry(e, warning) {
  const words = known(`timeline.${e.kind}`) ? t(`timeline.${e.kind}`) : e.kind;
  let what = null;
  if (e.kind === "raised") {
    what = [levelBadge(e.level, "small"), " ", warning ? headline({ ...warning, level: e.level }) : e.title];
  } else if (e.kind === "assigned") what = tNodes("timeline.to", { who: h("strong", {}, e.assignee) });
  else if (e.kind === "escalated") what = t("timeline.toTier", { tier: String(e.tier) });
  else if (e.kind === "delivery") {
    what = tNodes("timeline.delivery.what", {
      subscription: h("strong", {}, e.subscription), channel: channelName(e.channel),
      attempt: String(e.attempt),
      outcome: h("span", { class: `outcome outcome-${e.outcome}`, "data-outcome": e.outcome }, outcomeWord(e.outcome)),
      status: e.status_code ? t("timeline.status", { status: String(e.status_code) }) : "",
      error: e.error ? t("timeline.error", { error: e.error }) : "",
    }); // prettier-ignore
  }
  return h("li", { class: `tl tl-${e.kind}`, "data-kind": e.kind },
    h("time", { datetime: e.at }, clock(e.at)),
    h("span", { class: "tl-what" }, h("strong", { class: "tl-kind" }, words), what ? " " : "", what,
      h("span", { class: "muted" }, t("timeline.by", { actor: actorName(e.actor) }))),
    e.note ? h("p", { class: "tl-text" }, e.note) : null); // prettier-ignore
}
