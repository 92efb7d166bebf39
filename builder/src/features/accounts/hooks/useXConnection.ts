import { useCallback, useRef, useState } from "react";

import { listAccounts, startXAuthorization } from "../api/accounts";

const POLL_MS = 1000;

/** Connects an X account with OAuth 2.0 + PKCE: the API makes the authorize URL (and keeps
 * the PKCE verifier); X's page opens in a window of its own, X sends the person back to the
 * API's callback, and this page sees the new account appear. */
export function useXConnection(onConnected: () => void) {
  const [state, setState] = useState<{ waiting: boolean; error: unknown }>({ waiting: false, error: null });
  const timer = useRef<number | null>(null);

  const connect = useCallback(async () => {
    setState({ waiting: true, error: null });
    // Opened before the request, in the click's gesture, so no popup blocker stops it; the
    // page it opens gets no handle back on this one.
    const popup = window.open("about:blank", "flowhold-x-connect", "popup,width=600,height=760");
    if (popup) popup.opener = null;
    try {
      // Connecting an account already known renews it: its updated_at moves.
      const known = new Map((await listAccounts()).data.map((account) => [account.id, account.updated_at]));
      const started = await startXAuthorization();
      if (popup) popup.location.href = started.authorize_url;
      else window.open(started.authorize_url, "_blank", "noopener");
      const deadline = new Date(started.expires_at).getTime();
      const poll = async () => {
        const accounts = (await listAccounts()).data;
        if (
          accounts.some((account) => account.platform === "x" && known.get(account.id) !== account.updated_at) ||
          Date.now() > deadline
        ) {
          popup?.close();
          setState({
            waiting: false,
            error: Date.now() > deadline ? new Error("X was not approved in time: start again") : null,
          });
          onConnected();
          return;
        }
        timer.current = window.setTimeout(() => void poll(), POLL_MS);
      };
      timer.current = window.setTimeout(() => void poll(), POLL_MS);
    } catch (error) {
      popup?.close();
      setState({ waiting: false, error });
    }
  }, [onConnected]);

  const stop = useCallback(() => {
    if (timer.current) window.clearTimeout(timer.current);
    setState({ waiting: false, error: null });
  }, []);

  return { ...state, connect, stop };
}
