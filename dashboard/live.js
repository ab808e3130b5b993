// Keeps the store current: a snapshot over HTTP once the feed is subscribed, then frames;
// after a reconnection only what was missed is replayed by the feed (no reload).
import { query } from "./api.js";
import { Feed } from "./feed.js";
import { debounce, throttle } from "./format.js";
import { dateTime, duration, known, list, t } from "./i18n.js";

const PERIODIC_MS = 30_000; // scores decay and grow without level changes: refresh now and then
const SNAPSHOT_FALLBACK_MS = 5_000;
const LEVEL_CHANGE_QUIET_MS = 300;
const LEVEL_CHANGE_MAX_WAIT_MS = 1_000;

export function startLive({ api, caps, store, onStatus, onNotice, onAlert, onAuthFailure }) {
  let snapshotReady = false;
  let loading = null;
  let buffered = [];
  let catchUp = null; // what the last reconnection replayed
  const timers = [];

  let sectorsAsked = 0;
  let sectorsApplied = 0;
  async function loadSectors() {
    const asked = ++sectorsAsked;
    try {
      const { items } = await api.get("/v1/sectors");
      if (asked < sectorsApplied) return; // a later answer is already shown
      sectorsApplied = asked;
      store.setSectors(items);
    } catch (error) {
      if (error.status === 401) onAuthFailure(error);
    }
  }
  const refreshSectors = throttle(loadSectors, 1000);
  // A level change changes the dependency risk of the sectors that depend on it, and no frame
  // comes for them: the list is read again once a burst of changes has passed.
  const afterLevelChange = debounce(loadSectors, LEVEL_CHANGE_QUIET_MS, LEVEL_CHANGE_MAX_WAIT_MS);

  // A replay arrives in a burst: the notice (a live region) is rewritten 4 times a second at most.
  const showCatchUp = throttle(() => catchUp && onNotice(reconnectNotice(catchUp)), 250);

  const refreshCampaigns = throttle(async () => {
    if (!caps.campaigns) return;
    try {
      store.setCampaigns((await api.get(`/v1/campaigns${query({ active: true })}`)).items);
    } catch (error) {
      if (error.status === 401) onAuthFailure(error);
    }
  }, 1000);

  async function loadSnapshot() {
    if (loading) return loading;
    snapshotReady = false;
    loading = (async () => {
      try {
        const [sectors, warnings, campaigns] = await Promise.all([
          api.get("/v1/sectors"),
          api.get(`/v1/warnings${query({ order: "desc", limit: 200 })}`),
          caps.campaigns ? api.get(`/v1/campaigns${query({ active: true })}`) : { items: [] },
        ]);
        store.setSectors(sectors.items);
        store.resetWarnings(warnings.items);
        store.setCampaigns(campaigns.items);
        snapshotReady = true;
        const pending = buffered;
        buffered = [];
        for (const [frame, meta] of pending) apply(frame, meta);
      } catch (error) {
        if (error.status === 401) onAuthFailure(error);
        else timers.push(setTimeout(() => feed.state === "live" && loadSnapshot(), 2000));
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  function apply(frame, meta) {
    const data = frame.data || {};
    if (meta.replayed && catchUp) {
      catchUp.count += 1;
      catchUp.types[frame.type] = (catchUp.types[frame.type] || 0) + 1;
      showCatchUp();
    }
    switch (frame.type) {
      case "warning":
        store.upsertWarning(data, meta.replayed ? "replayed" : "live");
        if (data.kind === "campaign") refreshCampaigns();
        onAlert?.(data, meta);
        break;
      case "sector_level":
        store.applySectorLevel(data);
        afterLevelChange();
        refreshCampaigns();
        break;
      case "ack":
        store.applyAck(data);
        break;
      case "response":
        store.applyResponse(data);
        break;
      default:
        break;
    }
  }

  const feed = new Feed({
    api,
    onStatus,
    onAuthFailure,
    onFrame(frame, meta) {
      if (snapshotReady) apply(frame, meta);
      else buffered.push([frame, meta]);
    },
    onConnected({ resumed, downSince, now, after, head }) {
      if (!resumed || !snapshotReady) {
        catchUp = null;
        loadSnapshot();
        return;
      }
      catchUp = { at: now, downFor: downSince ? now - downSince : 0, after, head, count: 0,
                  types: {} }; // prettier-ignore
      onNotice(reconnectNotice(catchUp));
      refreshSectors();
      refreshCampaigns();
    },
    onGap(frame) {
      // The service's detail stays as it wrote it; the sentence around it is the board's.
      onNotice({ kind: "gap", text: () => (frame.detail ? t("live.gap", { detail: frame.detail }) : t("live.gap.plain")) });
      loadSnapshot();
    },
  });

  feed.start();
  timers.push(
    setTimeout(() => {
      if (!snapshotReady && !loading) loadSnapshot();
    }, SNAPSHOT_FALLBACK_MS),
  );
  const periodic = setInterval(() => {
    if (feed.state !== "live") return;
    refreshSectors();
    refreshCampaigns();
  }, PERIODIC_MS);

  return {
    feed,
    store,
    refreshSectors,
    stop() {
      feed.stop();
      clearInterval(periodic);
      refreshSectors.cancel();
      afterLevelChange.cancel();
      refreshCampaigns.cancel();
      showCatchUp.cancel();
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

/** What a reconnection brought back, worded when shown (and again in another language): the
 * counts keep growing while the replay arrives. */
function reconnectNotice(c) {
  const text = () => {
    const parts = Object.entries(c.types).map(([type, count]) =>
      known(`live.event.${type}`) ? t(`live.event.${type}`, { count }) : t("live.event.other", { type, count }));
    const missed = c.count
      ? t("live.caughtUp", { count: c.count, types: list(parts) })
      : t("live.nothingMissed");
    const down = c.downFor ? t("live.downFor", { duration: duration(Math.max(1000, c.downFor)) }) : "";
    const when = dateTime(c.at, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    return t("live.reconnected", { time: when, down, seq: String(c.after), missed });
  };
  return { kind: "reconnected", text };
}
