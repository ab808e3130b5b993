// Responder alerts for orange and red warnings: a generated beep (Web Audio) and a browser
// notification when the user allowed it. Both are switched on by a click, as browsers require.
import { dependencyHeadline } from "./dependencies.js";
import { h } from "./dom.js";
import { clock, kindName, rank, sectorName } from "./format.js";

export function createAlerts() {
  let audio = null;
  let muted = false;
  let lastBeep = 0;
  const state = h("p", { class: "muted", id: "alert-state", role: "status" });
  const last = h("p", { class: "muted", id: "alert-last" }, "No alert yet.");
  const enable = h("button", { type: "button", id: "enable-alerts" }, "Enable sound and notifications");
  const mute = h("button", { type: "button", class: "secondary", id: "mute-alerts", "aria-pressed": "false", hidden: true }, "Mute sound"); // prettier-ignore

  const notifications = () => ("Notification" in window ? Notification.permission : "unsupported");

  function describe() {
    const sound = audio ? (muted ? "sound muted" : "sound on") : "sound off until enabled";
    const perm = notifications();
    const note = { granted: "notifications on", denied: "notifications blocked by the browser",
      default: "notifications not yet allowed", unsupported: "notifications not supported" }[perm]; // prettier-ignore
    state.textContent = `Alerts for orange and red warnings: ${sound}, ${note}.`;
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
    mute.textContent = muted ? "Unmute sound" : "Mute sound";
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
        const about = warning.kind === "dependency" ? " (dependency)" : "";
        new Notification(`${warning.level.toUpperCase()}: ${sectorName(warning.sector)}${about}`, {
          body: warning.kind === "dependency" ? dependencyHeadline(warning) : warning.title,
          tag: `awareness-warning-${warning.id}`,
        });
        shown = true;
      } catch {
        /* some platforms allow notifications only from a service worker */
      }
    }
    const how = [sounded ? "sound" : null, shown ? "notification" : null].filter(Boolean);
    last.textContent = `Last alert at ${clock(now)}: ${warning.level} warning #${warning.id}, ${kindName(warning.kind).toLowerCase()} (${how.length ? how.join(" and ") : "on screen only"}).`;
    last.dataset.warning = String(warning.id);
  }

  describe();
  return {
    controls: h("div", { class: "alert-controls" }, h("div", { class: "buttons" }, enable, " ", mute), state, last),
    notify,
  };
}
