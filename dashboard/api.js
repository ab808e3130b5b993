// HTTP calls to the service with the signed-in key; errors keep the server's own words, which
// stay English (the API's language) and are shown inside the board's own sentence (`apiError`).
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body, fallback) {
    const detail = body && typeof body.detail === "string" ? body.detail : null;
    super(detail ?? fallback);
    this.status = status; // 0: the service could not be reached
    this.detail = detail;
    this.body = body;
    this.fieldErrors = Array.isArray(body?.errors) ? body.errors : [];
    this.retryAfter = null;
  }
}

/** `key` null: calls that need no key (the vocabulary, before sign-in). */
export function createApi(key) {
  const auth = key ? { Authorization: `Bearer ${key}` } : {};
  async function call(method, path, body, headers = {}) {
    const init = {
      method,
      headers: { ...auth, Accept: "application/json", ...headers },
      cache: "no-store",
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, null, "the service cannot be reached");
    }
    let data = null;
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const error = new ApiError(response.status, data, `HTTP ${response.status}`);
      error.retryAfter = Number(response.headers.get("Retry-After")) || null;
      throw error;
    }
    return data;
  }
  return {
    get: (path) => call("GET", path),
    post: (path, body, headers) => call("POST", path, body, headers),
  };
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of [value].flat()) {
      if (item !== undefined && item !== null && item !== "") search.append(name, String(item));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** An error as the board says it: the service's words (`detail`) inside a sentence of the
 * board's language, or the board's own words when the service said none. */
export function apiError(error) {
  if (error?.status === 0) return t("api.unreachable");
  if (error?.detail) return t("api.refused", { detail: error.detail });
  if (error?.status) return t("api.status", { status: String(error.status) });
  return t("api.failed");
}
