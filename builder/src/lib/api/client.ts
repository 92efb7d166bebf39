// The one API client: typed by src/lib/api/schema.d.ts, generated from builder/openapi.json
// (`npm run gen:api`), which tests/builder/test_api_contract.py keeps equal to the API's own.
import createClient from "openapi-fetch";

import { getKey, signOut } from "../auth";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

export const api = createClient<paths>({ baseUrl: window.location.origin });

api.use({
  onRequest({ request }) {
    const key = getKey();
    if (key) request.headers.set("Authorization", `Bearer ${key}`);
    return request;
  },
  onResponse({ response }) {
    // A revoked or mistyped key: back to the sign-in page.
    if (response.status === 401 && getKey()) signOut();
    return response;
  },
});

export interface ErrorDetail {
  path: (string | number)[];
  message: string;
  node_id?: string | null;
  code?: string | null;
}

/** An API error answer: `{"error": {"type", "message", "details"}}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly details: ErrorDetail[];

  constructor(status: number, type: string, message: string, details: ErrorDetail[]) {
    super(message);
    this.status = status;
    this.type = type;
    this.details = details;
  }

  static from(status: number, body: unknown): ApiError {
    const error = (body as { error?: { type?: string; message?: string; details?: ErrorDetail[] } })?.error;
    return new ApiError(
      status,
      error?.type ?? "http_error",
      error?.message ?? `the API answered ${status}`,
      error?.details ?? [],
    );
  }

  /** The message with each detail's field, for a person. */
  describe(): string {
    if (!this.details.length) return this.message;
    return `${this.message}: ${this.details.map((d) => `${d.path.join(".")}: ${d.message}`).join("; ")}`;
  }
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The body of a successful answer, or an ApiError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw ApiError.from(response.status, error);
  return data as T;
}
