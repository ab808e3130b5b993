// The signed-in key (this tab only) and who it belongs to.

const STORAGE = "awareness.apiKey";

export function storedKey() {
  try {
    return sessionStorage.getItem(STORAGE);
  } catch {
    return null;
  }
}

export function storeKey(key) {
  sessionStorage.setItem(STORAGE, key);
}

export function forgetKey() {
  sessionStorage.removeItem(STORAGE);
}

/** GET /v1/me: the caller's role, organization (operators), sectors (null: all), the key's
 * label (`name`) and how steps taken with it are signed (`display`). */
export function whoAmI(api) {
  return api.get("/v1/me");
}

export function capabilities(me) {
  const role = me.role;
  return {
    acknowledge: role === "supervisor" || role === "responder" || role === "admin",
    campaigns: role === "supervisor" || role === "responder" || role === "admin",
    report: role === "operator",
    alerts: role === "responder",
    // Subscriptions: admins all, supervisors their own and their sectors', responders their own.
    deliveries: role === "supervisor" || role === "responder" || role === "admin",
  };
}
