// Responder alerts for orange and red warnings: a generated beep (Web Audio) and a browser
// notification when the user allowed it. Both are switched on by a click, as browsers require.
// Made once per sign-in and kept across a change of language (`relabel`), so the sound the user
// switched on stays on.
import { h } from "./dom.js";
import { clock, kindName, levelWord, rank, sectorName } from "./format.js";
import { headline } from "./headlines.js";
import { locale, t } from "./i18n.js";

export function createAlerts() {
  let audio = null;
  let muted = false;
  let lastBeep = 0;
  let lastAlert = null; // { at, warning, how } of the last alert, to say it again in another language
  const state = h("p", { class: "muted", id: "alert-state", role: "status" });
  const last = h("p", { class: "muted", id: "alert-last" });
  const enable = h("button", { type: "button", id: "enable-alerts" });
  const mute = h("button", { type: "button", class: "secondary", id: "mute-alerts", "aria-pressed": "false", hidden: true }); // prettier-ignore

  const notifications = () => ("Notification" in window ? Notification.permission : "unsupported");

  function describe() {
    const sound = t(audio ? (muted ? "alerts.sound.muted" : "alerts.sound.on") : "alerts.sound.off");
    const perm = notifications();
    const note = t(`alerts.notifications.${["granted", "denied", "default"].includes(perm) ? perm : "unsupported"}`);
    state.textContent = t("alerts.state", { sound, notifications: note });
  }

  function describeLast() {
    if (!lastAlert) {
      last.textContent = t("alerts.none");
      return;
    }
    const { at, warning, how } = lastAlert;
    const means = how.length ? how.map((m) => t(`alerts.how.${m}`)).join(t("alerts.how.and")) : t("alerts.how.screen");
    last.textContent = t("alerts.last", { time: clock(at), level: levelWord(warning.level), id: String(warning.id),
      kind: kindName(warning.kind).toLocaleLowerCase(locale()), how: means }); // prettier-ignore
  }

  function relabel() {
    enable.textContent = t("alerts.enable");
    mute.textContent = t(muted ? "alerts.unmute" : "alerts.mute");
    describe();
    describeLast();
  }

  enable.addEventListener("click", async () => {
    try {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (Context && !audio) audio = new Context();
      await audio?.resume();
    } catch {
      audio = null;
    }
    if ("Notification" in window && Notification.permission === "default") {
      try {
        await Notification.requestPermission();
      } catch {
        /* the browser said no */
      }
    }
    mute.hidden = !audio;
    enable.hidden = Boolean(audio) && notifications() !== "default";
    describe();
  });

  mute.addEventListener("click", () => {
    muted = !muted;
    mute.setAttribute("aria-pressed", String(muted));
    mute.textContent = t(muted ? "alerts.unmute" : "alerts.mute");
    describe();
  });

  function beep(level) {
    if (!audio || muted || audio.state !== "running") return false;
    const now = audio.currentTime;
    const tones = level === "red" ? [880, 660, 880] : [660];
    tones.forEach((frequency, i) => {
      const start = now + i * 0.22;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(start);
      osc.stop(start + 0.2);
    });
    return true;
  }

  function notify(warning) {
    if (rank(warning.level) < rank("orange")) return;
    const now = Date.now();
    let sounded = false;
    if (now - lastBeep > 1000) {
      sounded = beep(warning.level);
      if (sounded) lastBeep = now;
    }
    let shown = false;
    if ("Notification" in window && Notification.permission === "granted") {
      try {
        const title = t(warning.kind === "dependency" ? "alerts.notification.dependency" : "alerts.notification",
          { level: levelWord(warning.level).toLocaleUpperCase(), sector: sectorName(warning.sector) }); // prettier-ignore
        new Notification(title, { body: headline(warning), tag: `awareness-warning-${warning.id}` });
        shown = true;
      } catch {
        /* some platforms allow notifications only from a service worker */
      }
    }
    lastAlert = { at: now, warning, how: [sounded ? "sound" : null, shown ? "notification" : null].filter(Boolean) };
    describeLast();
    last.dataset.warning = String(warning.id);
  }

  relabel();
  return {
    controls: h("div", { class: "alert-controls" }, h("div", { class: "buttons" }, enable, " ", mute), state, last),
    notify,
    relabel,
  };
}
