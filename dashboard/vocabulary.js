// The contract's words (levels lowest first, warning kinds, indicator types, the report forms'
// values and defaults) as the service states them at GET /v1/vocabulary, so the board copies
// no list that could drift from the server's.
import { createApi } from "./api.js";

let loaded = null;

/** Once, before the board mounts; the vocabulary needs no key. */
export async function loadVocabulary() {
  loaded = await createApi(null).get("/v1/vocabulary");
  return loaded;
}

/** The vocabulary loaded at start-up. */
export function vocabulary() {
  return loaded;
}
