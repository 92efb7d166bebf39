import { useEffect, useState } from "react";

import { readEventStream } from "../../../lib/sse";
import { getRun, streamUrl, type Run } from "../api/runs";
import { applyStreamEvent, streamError } from "../utils/streamEvents";

export interface RunStream {
  run: Run | null;
  live: boolean;
  updates: number;
  error: unknown;
}

const REDRAW_MS = 50;

/** A run's state, followed live from its stream until it ends (reconnecting when the
 * connection drops: each connection starts with the whole state, then sends only what
 * changed, `utils/streamEvents.ts`). Updates that arrive
 * faster than the page redraws are drawn together, at most 20 times a second. */
export function useRunStream(runId: string): RunStream {
  const [state, setState] = useState<RunStream>({ run: null, live: false, updates: 0, error: null });
  useEffect(() => {
    const controller = new AbortController();
    let ended = false;
    let view: Run | null = null;
    let received = 0;
    let redraw: number | null = null;
    const draw = () => {
      redraw = null;
      const run = view;
      const updates = received;
      setState((previous) => ({ ...previous, run, updates, error: null }));
    };
    const follow = async () => {
      try {
        const first = await getRun(runId);
        view = first;
        setState((previous) => ({ ...previous, run: first, error: null }));
        if (first.status !== "running") return;
      } catch (error) {
        setState((previous) => ({ ...previous, error }));
        return;
      }
      for (let attempt = 0; !ended && !controller.signal.aborted; attempt += 1) {
        try {
          setState((previous) => ({ ...previous, live: true }));
          await readEventStream(
            streamUrl(runId),
            (event) => {
              if (event.event === "end") {
                ended = true;
                return;
              }
              if (event.event === "error") {
                // The stream stopped for good (its key was revoked or expired): reconnecting
                // would be refused.
                ended = true;
                setState((previous) => ({ ...previous, error: new Error(streamError(event.data)) }));
                return;
              }
              const next = applyStreamEvent(view, event.event, event.data);
              if (next === view) return;
              view = next;
              received += 1;
              redraw ??= window.setTimeout(draw, REDRAW_MS);
            },
            controller.signal,
          );
        } catch (error) {
          if (controller.signal.aborted) return;
          setState((previous) => ({ ...previous, live: false, error }));
        }
        if (!ended) await new Promise((resolve) => window.setTimeout(resolve, Math.min(5000, 500 * 2 ** attempt)));
      }
      if (redraw !== null) window.clearTimeout(redraw);
      draw();
      setState((previous) => ({ ...previous, live: false }));
    };
    void follow();
    return () => {
      controller.abort();
      if (redraw !== null) window.clearTimeout(redraw);
    };
  }, [runId]);
  return state;
}
