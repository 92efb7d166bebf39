import { api, unwrap, type Schemas } from "../../../lib/api/client";

/** The organization the key belongs to, or an ApiError (401 for a wrong key). */
export function checkKey(key: string): Promise<Schemas["OrganizationPublic"]> {
  return unwrap(api.GET("/organization", { headers: { Authorization: `Bearer ${key}` } }));
}
