import { useState } from "react";

import { ErrorMessage, Loading } from "../../../components/ui/feedback";
import { formatDuration, formatTime } from "../../../lib/format";
import { Link } from "../../../lib/router";
import { useAsync } from "../../../lib/useAsync";
import { listRuns, type RunFilters } from "../api/runs";

const STATUSES = ["running", "succeeded", "failed", "cancelled"] as const;
const TRIGGERS = ["manual", "schedule", "webhook", "sub_workflow"] as const;

function isoOrUndefined(local: string): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

/** Runs of the organization, newest first, with the API's filters (Temporal visibility). */
export function RunsList({ workflowId }: { workflowId?: string }) {
  const [filters, setFilters] = useState({
    workflow_id: workflowId ?? "",
    status: "",
    trigger: "",
    after: "",
    before: "",
  });
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const pageToken = pages[pages.length - 1];
  const query: RunFilters = {
    page_size: 50,
    ...(filters.workflow_id ? { workflow_id: filters.workflow_id } : {}),
    ...(filters.status ? { status: filters.status as RunFilters["status"] } : {}),
    ...(filters.trigger ? { trigger: filters.trigger as RunFilters["trigger"] } : {}),
    ...(filters.after ? { started_after: isoOrUndefined(filters.after) } : {}),
    ...(filters.before ? { started_before: isoOrUndefined(filters.before) } : {}),
    ...(pageToken ? { page_token: pageToken } : {}),
  };
  const runs = useAsync(() => listRuns(query), [JSON.stringify(query)]);
  const set = (key: keyof typeof filters) => (value: string) => {
    setFilters((previous) => ({ ...previous, [key]: value }));
    setPages([undefined]);
  };

  return (
    <main className="page">
      <header className="page__header">
        <h1>Runs</h1>
        <button type="button" className="button" onClick={runs.reload}>
          Refresh
        </button>
      </header>
      <form className="filters toolbar" aria-label="Filter runs" onSubmit={(event) => event.preventDefault()}>
        <label className="field field--inline">
          <span>Workflow id</span>
          <input
            className="input"
            value={filters.workflow_id}
            onChange={(event) => set("workflow_id")(event.target.value)}
          />
        </label>
        <label className="field field--inline">
          <span>Status</span>
          <select className="input" value={filters.status} onChange={(event) => set("status")(event.target.value)}>
            <option value="">any</option>
            {STATUSES.map((status) => (
              <option key={status}>{status}</option>
            ))}
          </select>
        </label>
        <label className="field field--inline">
          <span>Trigger</span>
          <select className="input" value={filters.trigger} onChange={(event) => set("trigger")(event.target.value)}>
            <option value="">any</option>
            {TRIGGERS.map((trigger) => (
              <option key={trigger}>{trigger}</option>
            ))}
          </select>
        </label>
        <label className="field field--inline">
          <span>Started after</span>
          <input
            className="input"
            type="datetime-local"
            value={filters.after}
            onChange={(event) => set("after")(event.target.value)}
          />
        </label>
        <label className="field field--inline">
          <span>Started before</span>
          <input
            className="input"
            type="datetime-local"
            value={filters.before}
            onChange={(event) => set("before")(event.target.value)}
          />
        </label>
      </form>
      <ErrorMessage error={runs.error} />
      {runs.loading && !runs.data && <Loading what="runs" />}
      {runs.data && (
        <>
          <p className="muted small" role="status">
            {runs.data.count} run{runs.data.count === 1 ? "" : "s"} (visibility is updated a moment after a run starts
            or ends)
          </p>
          <table className="table">
            <caption className="visually-hidden">Runs</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Workflow</th>
                <th scope="col">Trigger</th>
                <th scope="col">Started</th>
                <th scope="col">Took</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.data.map((run) => (
                <tr key={run.id}>
                  <td>
                    <Link to={`/runs/${encodeURIComponent(run.id)}`}>{run.id}</Link>
                  </td>
                  <td>
                    <span className={`badge badge--${run.status}`}>{run.status}</span>
                  </td>
                  <td>
                    {run.workflow_id ? <Link to={`/workflows/${run.workflow_id}`}>{run.workflow_id}</Link> : "—"} v
                    {run.workflow_version}
                  </td>
                  <td>{run.trigger ?? "—"}</td>
                  <td>{formatTime(run.started_at)}</td>
                  <td>{formatDuration(run.started_at, run.ended_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="toolbar">
            <button
              type="button"
              className="button"
              disabled={pages.length < 2}
              onClick={() => setPages((p) => p.slice(0, -1))}
            >
              Previous page
            </button>
            <button
              type="button"
              className="button"
              disabled={!runs.data.next_page_token}
              onClick={() => setPages((p) => [...p, runs.data?.next_page_token ?? undefined])}
            >
              Next page
            </button>
          </div>
        </>
      )}
    </main>
  );
}
