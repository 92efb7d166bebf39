import { useState } from "react";

import { ErrorMessage } from "../../../components/ui/feedback";
import { formatTime } from "../../../lib/format";
import { useAsync } from "../../../lib/useAsync";
import { decide, getCurrentKey, sendEvent, type Run } from "../api/runs";

type Waiting = NonNullable<Run["waiting_for"]>[number];

/** What the run waits for, with the controls to answer: approve or reject an approval, send
 * the event a wait listens for. A key bound to a person decides as that person, so nobody
 * types who they are; a key of no one must say it (recorded unverified). */
export function WaitingActions({ runId, waiting }: { runId: string; waiting: Waiting[] }) {
  const currentKey = useAsync(getCurrentKey, []);
  const person = currentKey.data?.person ?? null;
  const [by, setBy] = useState("builder");
  const decider = person === null ? { by } : {};
  const [comment, setComment] = useState("");
  const [payload, setPayload] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState("");

  const act = async (what: string, call: () => Promise<unknown>) => {
    setError(null);
    try {
      await call();
      setDone(what);
    } catch (failure) {
      setError(failure);
    }
  };

  if (!waiting.length) return null;
  return (
    <section className="waiting" aria-label="Waiting">
      <h3>Waiting</h3>
      {waiting.map((wait) => (
        <div key={`${wait.node_id}-${wait.kind}`} className="card">
          <p>
            <strong>{wait.node_id}</strong> waits for{" "}
            {wait.kind === "event"
              ? `the event “${wait.event}”`
              : wait.kind === "approval"
                ? "a decision"
                : `a moment (${formatTime(wait.until)})`}
            {wait.approvers?.length ? ` from ${wait.approvers.join(", ")}` : ""}
          </p>
          {wait.kind === "approval" && (
            <div className="toolbar">
              {person !== null ? (
                <p className="muted" data-testid="decider">
                  Deciding as {person}
                </p>
              ) : (
                <label className="field field--inline">
                  <span>By</span>
                  <input className="input" value={by} onChange={(event) => setBy(event.target.value)} />
                </label>
              )}
              <label className="field field--inline">
                <span>Comment</span>
                <input className="input" value={comment} onChange={(event) => setComment(event.target.value)} />
              </label>
              <button
                type="button"
                className="button button--primary"
                onClick={() =>
                  act(`Approved ${wait.node_id}`, () =>
                    decide(runId, { node_id: wait.node_id, approved: true, comment, ...decider }),
                  )
                }
              >
                Approve {wait.node_id}
              </button>
              <button
                type="button"
                className="button button--danger"
                onClick={() =>
                  act(`Rejected ${wait.node_id}`, () =>
                    decide(runId, { node_id: wait.node_id, approved: false, comment, ...decider }),
                  )
                }
              >
                Reject {wait.node_id}
              </button>
            </div>
          )}
          {wait.kind === "event" && wait.event && (
            <form
              className="toolbar"
              onSubmit={(event) => {
                event.preventDefault();
                const name = wait.event ?? "";
                let body: unknown = null;
                try {
                  body = JSON.parse(payload[wait.node_id] || "null");
                } catch {
                  setError(new Error("the payload is not valid JSON"));
                  return;
                }
                void act(`Sent ${name}`, () => sendEvent(runId, { name, payload: body }));
              }}
            >
              <label className="field field--inline">
                <span>Payload (JSON)</span>
                <input
                  className="input input--code"
                  value={payload[wait.node_id] ?? ""}
                  placeholder="{}"
                  onChange={(event) => setPayload((all) => ({ ...all, [wait.node_id]: event.target.value }))}
                />
              </label>
              <button type="submit" className="button button--primary">
                Send “{wait.event}”
              </button>
            </form>
          )}
        </div>
      ))}
      <ErrorMessage error={error} />
      {done && <p role="status">{done}</p>}
    </section>
  );
}
