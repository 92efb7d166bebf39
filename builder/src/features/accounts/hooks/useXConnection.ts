import { useCallback, useState } from "react";

import { BASE } from "../../../lib/router";
import { startXAuthorization } from "../api/accounts";

/** Where X's callback sends the browser back: this page, which reads the outcome. */
export const RETURN_TO = `${BASE}/accounts`;

/** Connects an X account with OAuth 2.0 + PKCE without leaving the builder for good: the API
 * makes the authorize URL (and keeps the PKCE verifier), this tab goes to X, X sends it to
 * the API's callback, and the callback sends it back to `RETURN_TO` with
 * `?connected=acc_…` or `?error=…&message=…` (read by `xOutcome`). The API key stays in the
 * tab's session storage meanwhile. */
export function useXConnection() {
  const [state, setState] = useState<{ waiting: boolean; error: unknown }>({ waiting: false, error: null });

  const connect = useCallback(async () => {
    setState({ waiting: true, error: null });
    try {
      const started = await startXAuthorization(RETURN_TO);
      window.location.assign(started.authorize_url);
    } catch (error) {
      setState({ waiting: false, error });
    }
  }, []);

  return { ...state, connect };
}

export type XOutcome = { connected: string } | { error: string; message: string } | null;

/** What X's callback sent this page back with, if anything. */
export function xOutcome(query: URLSearchParams): XOutcome {
  const connected = query.get("connected");
  if (connected) return { connected };
  const error = query.get("error");
  if (error) return { error, message: query.get("message") ?? error };
  return null;
}
