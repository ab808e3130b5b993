// The response to one warning: its state, assigning it (to me or to someone else), resolving it
// with a note, notes, and its timeline. The controls are built once per warning and updated in
// place, so a live update neither discards what is being typed nor moves the keyboard focus.
import { h, replace } from "./dom.js";
import { channelName, clock, levelBadge } from "./format.js";

const STATE_WORDS = { new: "New", acknowledged: "Acknowledged", responding: "Responding",
  resolved: "Resolved" }; // prettier-ignore
const KIND_WORDS = { raised: "Raised", acknowledged: "Acknowledged", assigned: "Assigned",
  resolved: "Resolved", note: "Note", escalated: "Escalated", delivery: "Delivery" }; // prettier-ignore

/** The name "Assign to me" gives, and "Mine" looks for: the key's label, else its display. */
export function myName(me) {
  return me?.name || me?.display || "";
}

/** New / Acknowledged / Responding — who / Resolved; focusable from script only, so the focus
 * has a place to go when the control that had it is gone. */
export function stateTag(w) {
  const state = STATE_WORDS[w.state] ? w.state : "new";
  const words = state === "responding" && w.assignee ? `Responding — ${w.assignee}` : STATE_WORDS[state];
  return h("span", { class: `state state-${state}`, "data-state": state, tabindex: "-1" }, words);
}

export function escalationTag(w) {
  if (!(w.escalated_tier > 1)) return null;
  return h("span", { class: "tag tag-escalated", "data-tier": String(w.escalated_tier) },
    `escalated to tier ${w.escalated_tier}`); // prettier-ignore
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
  const base = `${idBase}-respond-${warningId}`;
  const mine = myName(me);
  const path = `/v1/warnings/${warningId}`;
  let shown = null; // the open form's name

  const done = h("span", { class: "w-done", role: "status" });
  const meError = h("span", { class: "field-error", role: "alert" });
  const assignMe = busyButton({ class: "secondary small", "aria-describedby": titleId },
    "Assign to me", "Assigning…", async () => {
      meError.textContent = "";
      try {
        settled(await api.post(`${path}/assign`, { assignee: mine }), `Assigned to ${mine}.`);
      } catch (e) {
        meError.textContent = `Not assigned: ${e.message}`;
      }
    }); // prettier-ignore

  // Assign…, Resolve… and Add note each open a small form under the buttons.
  const forms = {};
  function disclosure(name, label, fields, submitLabel, busyLabel, submit) {
    // The form's own button says what it does, so it is never confused with the one opening it.
    const error = h("p", { class: "field-error", role: "alert" });
    const submitButton = h("button", { type: "submit" }, submitLabel);
    const cancel = h("button", { type: "button", class: "secondary", onclick: () => close(name, true) },
      "Cancel"); // prettier-ignore
    const form = h("form", { class: "w-form", id: `${base}-${name}-form`, hidden: true, novalidate: true,
      "aria-label": `${label.replace("…", "")}: warning #${warningId}` }, fields, h("div", { class: "buttons" },
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
        error.textContent = `${submit.failed}: ${e.message}`;
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
  const assignToggle = disclosure("assign", "Assign…",
    [field(assigneeInput.id, "Assignee", assigneeInput),
     field(assignNote.id, "Note (optional)", assignNote)],
    "Assign", "Assigning…", {
      failed: "Not assigned",
      check: () => (assigneeInput.value.trim() ? null
        : { input: assigneeInput, message: "Enter who responds." }),
      send: async () => {
        const assignee = assigneeInput.value.trim();
        const note = assignNote.value.trim();
        const view = await api.post(`${path}/assign`, note ? { assignee, note } : { assignee });
        return [view, `Assigned to ${assignee}.`];
      },
    }); // prettier-ignore

  const resolution = h("textarea", { id: `${base}-resolution`, name: "note", rows: "2",
    maxlength: "10000", required: true, "aria-describedby": `${base}-resolution-hint` }); // prettier-ignore
  const resolveToggle = disclosure("resolve", "Resolve…",
    [field(resolution.id, "Resolution note", resolution,
      h("p", { class: "hint", id: `${base}-resolution-hint` },
        "How it was resolved. Required; a resolved warning takes notes, not assignments."))],
    "Resolve", "Resolving…", {
      failed: "Not resolved",
      check: () => (resolution.value.trim() ? null
        : { input: resolution, message: "Say how it was resolved." }),
      send: async () => [await api.post(`${path}/resolve`, { note: resolution.value.trim() }), "Resolved."],
    }); // prettier-ignore

  const noteText = h("textarea", { id: `${base}-note`, name: "text", rows: "2", maxlength: "10000",
    required: true }); // prettier-ignore
  const noteToggle = disclosure("note", "Add note", [field(noteText.id, "Note", noteText)],
    "Save note", "Saving…", {
      failed: "Not added",
      check: () => (noteText.value.trim() ? null : { input: noteText, message: "Write the note first." }),
      send: async () => [await api.post(`${path}/notes`, { text: noteText.value.trim() }), "Note added."],
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
    h("span", { class: "disclosure-mark", "aria-hidden": "true" }), "Timeline"); // prettier-ignore
  timelineToggle.addEventListener("click", () => {
    const opening = timeline.hidden;
    timeline.hidden = !opening;
    timelineToggle.setAttribute("aria-expanded", String(opening));
    if (opening) loadTimeline();
  });
  let asked = 0;
  async function loadTimeline() {
    const ticket = ++asked;
    if (!timelineList.children.length) timelineStatus.textContent = "Loading the timeline…";
    try {
      const entries = await api.get(`${path}/timeline`);
      if (ticket !== asked) return; // a later answer is coming
      timelineStatus.textContent = entries.length ? "" : "Nothing yet.";
      timelineStatus.removeAttribute("role");
      replace(timelineList, entries.map(timelineEntry));
    } catch (e) {
      if (ticket !== asked) return;
      timelineStatus.setAttribute("role", "alert");
      timelineStatus.textContent = `Cannot load the timeline: ${e.message}`;
    }
  }

  function settled(view, message) {
    store.upsertWarning(view);
    done.textContent = message;
    if (!timeline.hidden) loadTimeline();
  }

  const el = h("div", { class: "w-response" },
    h("div", { class: "w-actions", role: "group", "aria-label": `Respond to warning #${warningId}` },
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

function timelineEntry(e) {
  const words = KIND_WORDS[e.kind] || e.kind;
  let what = null;
  if (e.kind === "raised") what = [levelBadge(e.level, "small"), " ", e.title];
  else if (e.kind === "assigned") what = ["to ", h("strong", {}, e.assignee)];
  else if (e.kind === "escalated") what = `to tier ${e.tier}`;
  else if (e.kind === "delivery") {
    what = [
      "to ", h("strong", {}, e.subscription), ` (${channelName(e.channel)}), attempt ${e.attempt}: `,
      h("span", { class: `outcome outcome-${e.outcome}` }, e.outcome),
      e.status_code ? ` (HTTP ${e.status_code})` : "", e.error ? `, ${e.error}` : "",
    ]; // prettier-ignore
  }
  return h("li", { class: `tl tl-${e.kind}`, "data-kind": e.kind },
    h("time", { datetime: e.at }, clock(e.at)),
    h("span", { class: "tl-what" }, h("strong", { class: "tl-kind" }, words), what ? " " : "", what,
      h("span", { class: "muted" }, ` · by ${e.actor}`)),
    e.note ? h("p", { class: "tl-text" }, e.note) : null); // prettier-ignore
}
