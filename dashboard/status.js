// The header's connection indicator and seq, the stale banner and the reconnection notice.
import { apiError } from "./api.js";
import { $, h, replace } from "./dom.js";
import { clock, duration } from "./format.js";
import { relative, t } from "./i18n.js";

/** Why the feed is down, in the board's words (the feed keeps it as `{key, …}`). */
function feedError(e) {
  if (!e) return t("status.connectionLost");
  const text = t(e.key, { code: e.code, error: e.error ? apiError(e.error) : "" });
  return e.reason ? t("feed.reason", { text, reason: e.reason }) : text;
}

export function createStatus() {
  const indicator = $("#connection");
  const label = $("#connection-text");
  const seq = $("#seq-status");
  const banner = $("#stale-banner");
  const notice = $("#notice");
  let lastState = null;
  let lastStale = null;
  let reconnectButton = null;
  let lastFeed = null;
  let lastNotice = null;

  function render(feed) {
    lastFeed = feed;
    const now = Date.now();
    const stale = feed.isStale(now);
    const words = {
      idle: "status.idle",
      connecting: feed.attempts ? "status.reconnecting" : "status.connecting",
      live: stale ? "status.silent" : "status.live",
      waiting: "status.waiting",
      stopped: "status.idle",
    };
    const state = feed.state === "live" && stale ? "silent" : feed.state;
    if (state !== lastState) {
      indicator.dataset.state = state;
      label.textContent = words[feed.state] ? t(words[feed.state]) : feed.state;
      lastState = state;
    }
    const behind = feed.behind();
    const parts = [];
    parts.push(t("status.seq", { seq: feed.lastSeq === null ? "—" : String(feed.lastSeq) }));
    if (feed.head !== null) {
      if (feed.state === "live" && !stale) {
        parts.push(t("status.head", { head: String(feed.head) }));
        parts.push(behind ? t("status.behind", { count: behind }) : t("status.upToDate"));
      } else {
        parts.push(t("status.headWhenHeard", { head: String(feed.head) }));
      }
    }
    if (feed.lastFrameAt) parts.push(t("status.lastMessage", { ago: relative(Math.min(0, feed.lastFrameAt - now)) }));
    // Warnings come from the correlator: when it is behind, they may be late.
    if (feed.lag) {
      parts.push(feed.lag.reports
        ? t("status.lag", { duration: duration(feed.lag.seconds * 1000), count: feed.lag.reports })
        : t("status.warningsCurrent")); // prettier-ignore
    }
    seq.textContent = parts.join(" · ");
    seq.dataset.lagReports = String(feed.lag?.reports ?? "");
    seq.dataset.behind = String(behind ?? "");
    seq.dataset.seq = String(feed.lastSeq ?? "");

    if (stale && feed.state !== "idle" && feed.state !== "stopped" && !firstConnect(feed)) {
      const since = feed.disconnectedAt ?? feed.lastFrameAt ?? now;
      const silent = feed.state === "live";
      const headline = t(silent ? "status.stale.silent" : "status.stale.disconnected");
      let detail;
      if (silent) {
        detail = t("status.stale.silentDetail", { duration: duration(now - feed.lastFrameAt),
          expected: duration(feed.keepalive * 1000) }); // prettier-ignore
      } else {
        const retry = feed.state === "connecting"
          ? t("status.stale.reconnectingNow")
          : t("status.stale.nextAttempt", { in: duration(Math.max(0, (feed.retryAt ?? now) - now)) });
        detail = t("status.stale.disconnectedDetail", { time: clock(since), ago: duration(now - since),
          why: feedError(feed.lastError), retry }); // prettier-ignore
      }
      if (!reconnectButton) {
        reconnectButton = h("button", { type: "button", class: "secondary",
          onclick: () => lastFeed?.reconnectNow() }); // prettier-ignore
      }
      reconnectButton.textContent = t("status.reconnectNow");
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

  /** `message`: {kind, text: () => string}, worded when shown and again in another language. */
  function showNotice(message) {
    lastNotice = message;
    notice.hidden = false;
    notice.dataset.kind = message.kind;
    const dismiss = h("button", { type: "button", class: "secondary",
      onclick: () => { notice.hidden = true; } }, t("status.dismiss")); // prettier-ignore
    replace(notice, h("span", {}, message.text()), " ", dismiss);
  }

  /** Everything said again in the language just chosen. */
  function relabel() {
    lastState = null;
    lastStale = null;
    if (lastFeed) render(lastFeed);
    else label.textContent = t("status.signedOut");
    if (lastNotice && !notice.hidden) showNotice(lastNotice);
  }

  function reset() {
    indicator.dataset.state = "idle";
    label.textContent = t("status.signedOut");
    seq.textContent = "";
    banner.hidden = true;
    notice.hidden = true;
    lastState = null;
    lastStale = null;
    lastFeed = null;
    lastNotice = null;
  }

  return { render, showNotice, relabel, reset };
}

function firstConnect(feed) {
  // Before the very first connection the page has nothing to be stale about yet.
  return feed.state === "connecting" && feed.connectedAt === null && feed.lastClose === null;
}
