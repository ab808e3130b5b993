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

/** GET /v1/me; a service without it is probed instead (operators may not list campaigns,
 * responders may not list incidents). */
export async function whoAmI(api) {
  try {
    return await api.get("/v1/me");
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  const refused = async (path) => {
    try {
      await api.get(path);
      return false;
    } catch (error) {
      if (error.status === 403) return true;
      throw error;
    }
  };
  if (await refused("/v1/campaigns?limit=1")) {
    return { role: "operator", org_id: null, org_sector: null, sectors: null, name: null };
  }
  const role = (await refused("/v1/incidents?limit=1")) ? "responder" : "supervisor";
  return { role, org_id: null, org_sector: null, sectors: null, name: null };
}

export function capabilities(me) {
  const role = me.role;
  return {
    acknowledge: role === "supervisor" || role === "responder" || role === "admin",
    campaigns: role === "supervisor" || role === "responder" || role === "admin",
    report: role === "operator",
    alerts: role === "responder",
  };
}
