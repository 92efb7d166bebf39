import { useState } from "react";

import { Dialog } from "../../../components/ui/Dialog";
import { ErrorMessage, Loading } from "../../../components/ui/feedback";
import { formatTime } from "../../../lib/format";
import { useAsync } from "../../../lib/useAsync";
import { listSchedules, listWebhooks, newWebhookSecret, triggerSchedule } from "../api/workflows";

/** The saved workflow's webhook URLs (and their secrets) and schedules (next fire times). */
export function TriggersPanel({ workflowId, version }: { workflowId: string; version: number }) {
  const webhooks = useAsync(() => listWebhooks(workflowId), [workflowId, version]);
  const schedules = useAsync(() => listSchedules(workflowId), [workflowId, version]);
  const [secret, setSecret] = useState<{ node: string; value: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState("");

  const rotate = async (nodeId: string) => {
    setError(null);
    try {
      const answer = await newWebhookSecret(workflowId, nodeId);
      if (answer.secret) setSecret({ node: nodeId, value: answer.secret });
      webhooks.reload();
    } catch (failure) {
      setError(failure);
    }
  };

  const fire = async (nodeId: string) => {
    setError(null);
    try {
      await triggerSchedule(workflowId, nodeId);
      setMessage(`Schedule ${nodeId} triggered`);
      schedules.reload();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <section className="panel" aria-label="Triggers">
      <h2>Webhooks</h2>
      {webhooks.loading && !webhooks.data && <Loading what="webhooks" />}
      <ErrorMessage error={webhooks.error} />
      {webhooks.data?.data.length === 0 && <p className="muted">No webhook trigger in this version.</p>}
      <ul className="plain-list">
        {webhooks.data?.data.map((hook) => (
          <li key={hook.node_id} className="card">
            <strong>{hook.node_id}</strong> · {hook.method} · {hook.authentication}
            <input
              className="input input--code"
              readOnly
              value={hook.url}
              aria-label={`URL of webhook ${hook.node_id}`}
            />
            <p className="muted small">
              {hook.secret_set
                ? "A secret is set (it is never shown again)."
                : "No secret yet: deliveries are refused."}
            </p>
            <button type="button" className="button" onClick={() => rotate(hook.node_id)}>
              {hook.secret_set ? "Rotate secret" : "Generate secret"}
            </button>
          </li>
        ))}
      </ul>
      <h2>Schedules</h2>
      {schedules.loading && !schedules.data && <Loading what="schedules" />}
      <ErrorMessage error={schedules.error} />
      {schedules.data?.data.length === 0 && (
        <p className="muted">No schedule trigger, or the workflow was never activated.</p>
      )}
      <ul className="plain-list">
        {schedules.data?.data.map((schedule) => (
          <li key={schedule.node_id} className="card">
            <strong>{schedule.node_id}</strong> {schedule.paused ? "· paused" : "· running"} · {schedule.action_count}{" "}
            runs
            <p className="small">Next: {schedule.next_fire_times.slice(0, 3).map(formatTime).join(", ") || "—"}</p>
            <button type="button" className="button" onClick={() => fire(schedule.node_id)}>
              Trigger now
            </button>
          </li>
        ))}
      </ul>
      <ErrorMessage error={error} />
      {message && <p role="status">{message}</p>}
      {secret && (
        <Dialog title={`Secret of webhook ${secret.node}`} onClose={() => setSecret(null)}>
          <p>Copy it now: it is shown this once.</p>
          <input className="input input--code" readOnly value={secret.value} aria-label="Webhook secret" />
        </Dialog>
      )}
    </section>
  );
}
