// The header's connection indicator and seq, the stale banner and the reconnection notice.
import { $, h, replace } from "./dom.js";
import { clock, duration } from "./format.js";

export function createStatus() {
  const indicator = $("#connection");
  const label = $("#connection-text");
  const seq = $("#seq-status");
  const banner = $("#stale-banner");
  const notice = $("#notice");
  let lastState = null;
  let lastStale = null;
  let reconnectButton = null;

  function render(feed) {
    const now = Date.now();
    const stale = feed.isStale(now);
    const words = {
      idle: "Not connected",
      connecting: feed.attempts ? "Reconnecting…" : "Connecting…",
      live: stale ? "Live feed silent" : "Live",
      waiting: "Disconnected",
      stopped: "Not connected",
    };
    const state = feed.state === "live" && stale ? "silent" : feed.state;
    if (state !== lastState) {
      indicator.dataset.state = state;
      label.textContent = words[feed.state] || feed.state;
      lastState = state;
    }
    const behind = feed.behind();
    const parts = [];
    parts.push(`seq ${feed.lastSeq ?? "—"}`);
    if (feed.head !== null) {
      if (feed.state === "live" && !stale) {
        parts.push(`head ${feed.head}`);
        parts.push(behind ? `${behind} behind` : "up to date");
      } else {
        parts.push(`head ${feed.head} when last heard`);
      }
    }
    if (feed.lastFrameAt) parts.push(`last message ${duration(now - feed.lastFrameAt)} ago`);
    // Warnings come from the correlator: when it is behind, they may be late.
    if (feed.lag) {
      parts.push(feed.lag.reports
        ? `warnings ${duration(feed.lag.seconds * 1000)} behind (${feed.lag.reports.toLocaleString()} reports to correlate)`
        : "warnings current"); // prettier-ignore
    }
    seq.textContent = parts.join(" · ");
    seq.dataset.lagReports = String(feed.lag?.reports ?? "");
    seq.dataset.behind = String(behind ?? "");
    seq.dataset.seq = String(feed.lastSeq ?? "");

    if (stale && feed.state !== "idle" && feed.state !== "stopped" && !firstConnect(feed)) {
      const since = feed.disconnectedAt ?? feed.lastFrameAt ?? now;
      const silent = feed.state === "live";
      const headline = silent
        ? "Stale: the live feed has gone quiet."
        : "Stale: disconnected from the live feed.";
      let detail;
      if (silent) {
        detail = `No message from the service for ${duration(now - feed.lastFrameAt)} (expected every ${feed.keepalive.toFixed(0)} s); what you see may be out of date.`;
      } else {
        const retry = feed.state === "connecting"
          ? "reconnecting now"
          : `next attempt in ${duration(Math.max(0, (feed.retryAt ?? now) - now))}`;
        detail = `Showing data as of ${clock(since)} (${duration(now - since)} ago; ${feed.lastError || "connection lost"}); ${retry}.`;
      }
      if (!reconnectButton) {
        reconnectButton = h("button", { type: "button", class: "secondary",
          onclick: () => feed.reconnectNow() }, "Reconnect now"); // prettier-ignore
      }
      if (lastStale !== headline) {
        // Only the headline is announced (role=alert); the ticking detail is not.
        replace(
          banner,
          h("strong", { class: "banner-title", role: "alert" }, headline),
          " ",
          h("span", { class: "banner-detail" }, detail),
          " ",
          reconnectButton,
        );
        banner.hidden = false;
      } else {
        banner.querySelector(".banner-detail").textContent = detail;
      }
      reconnectButton.hidden = feed.state === "connecting";
      lastStale = headline;
    } else if (lastStale !== false) {
      banner.hidden = true;
      banner.replaceChildren();
      lastStale = false;
    }
  }

  function showNotice(message) {
    notice.hidden = false;
    notice.dataset.kind = message.kind;
    const dismiss = h("button", { type: "button", class: "secondary",
      onclick: () => { notice.hidden = true; } }, "Dismiss"); // prettier-ignore
    replace(notice, h("span", {}, message.text), " ", dismiss);
  }

  function reset() {
    indicator.dataset.state = "idle";
    label.textContent = "Not signed in";
    seq.textContent = "";
    banner.hidden = true;
    notice.hidden = true;
    lastState = null;
    lastStale = null;
  }

  return { render, showNotice, reset };
}

function firstConnect(feed) {
  // Before the very first connection the page has nothing to be stale about yet.
  return feed.state === "connecting" && feed.connectedAt === null && feed.lastClose === null;
}
