import { useState, type ChangeEvent } from "react";

import { ErrorMessage, Loading } from "../../../components/ui/feedback";
import type { Schemas } from "../../../lib/api/client";
import { formatTime } from "../../../lib/format";
import { Link, navigate } from "../../../lib/router";
import { useAsync } from "../../../lib/useAsync";
import { importWorkflow, listWorkflows } from "../api/workflows";

/** The organization's workflows; a new one, or one imported from an exported file. */
export function WorkflowList() {
  const [name, setName] = useState("");
  const workflows = useAsync(() => listWorkflows(name), [name]);
  const [error, setError] = useState<unknown>(null);

  const importFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    setError(null);
    try {
      const document = JSON.parse(await file.text()) as Schemas["WorkflowExport"];
      const created = await importWorkflow(document);
      navigate(`/workflows/${created.id}`);
    } catch (failure) {
      setError(failure instanceof SyntaxError ? new Error(`${file.name} is not JSON`) : failure);
    }
  };

  return (
    <main className="page">
      <header className="page__header">
        <h1>Workflows</h1>
        <div className="toolbar">
          <Link to="/workflows/new" className="button button--primary">
            New workflow
          </Link>
          <label className="button">
            Import JSON…
            <input type="file" accept="application/json,.json" className="visually-hidden" onChange={importFile} />
          </label>
        </div>
      </header>
      <label className="field field--inline">
        <span>Search</span>
        <input className="input" type="search" value={name} onChange={(event) => setName(event.target.value)} />
      </label>
      <ErrorMessage error={error ?? workflows.error} />
      {workflows.loading && !workflows.data && <Loading what="workflows" />}
      {workflows.data && (
        <table className="table">
          <caption className="visually-hidden">Workflows</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Version</th>
              <th scope="col">Updated</th>
              <th scope="col">Runs</th>
            </tr>
          </thead>
          <tbody>
            {workflows.data.data.map((workflow) => (
              <tr key={workflow.id}>
                <td>
                  <Link to={`/workflows/${workflow.id}`}>{workflow.name}</Link>
                </td>
                <td>{workflow.active ? "active" : "inactive"}</td>
                <td>{workflow.latest_version}</td>
                <td>{formatTime(workflow.updated_at)}</td>
                <td>
                  <Link to={`/runs?workflow_id=${workflow.id}`} aria-label={`Runs of ${workflow.name}`}>
                    runs
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {workflows.data?.count === 0 && <p className="muted">No workflow yet: start with “New workflow”.</p>}
    </main>
  );
}
