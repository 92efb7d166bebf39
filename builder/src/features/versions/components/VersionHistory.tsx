import { useState } from "react";

import { ErrorMessage, Loading } from "../../../components/ui/feedback";
import { formatTime } from "../../../lib/format";
import type { StoredGraph } from "../../../lib/graph";
import { useAsync } from "../../../lib/useAsync";
import { getVersion, listVersions } from "../api/versions";
import { diffGraphs, type GraphDiff } from "../utils/diff";

interface Props {
  workflowId: string;
  latestVersion: number;
  current: StoredGraph;
  load: (graph: StoredGraph) => void;
}

function DiffView({ diff, label }: { diff: GraphDiff; label: string }) {
  const empty =
    !diff.added.length &&
    !diff.removed.length &&
    !diff.changed.length &&
    !diff.edgesAdded.length &&
    !diff.edgesRemoved.length;
  return (
    <section aria-label={label} className="diff">
      <h3>{label}</h3>
      {empty && <p className="muted">No change.</p>}
      <ul>
        {diff.added.map((id) => (
          <li key={`a${id}`} className="diff__added">
            + node {id}
          </li>
        ))}
        {diff.removed.map((id) => (
          <li key={`r${id}`} className="diff__removed">
            − node {id}
          </li>
        ))}
        {diff.changed.map((change) => (
          <li key={`c${change.id}`} className="diff__changed">
            ~ node {change.id}: {change.fields.join(", ")}
          </li>
        ))}
        {diff.edgesAdded.map((key) => (
          <li key={`ea${key}`} className="diff__added">
            + edge {key}
          </li>
        ))}
        {diff.edgesRemoved.map((key) => (
          <li key={`er${key}`} className="diff__removed">
            − edge {key}
          </li>
        ))}
      </ul>
    </section>
  );
}

function VersionOptions({ numbers }: { numbers: number[] }) {
  return numbers.map((number) => (
    <option key={number} value={number}>
      v{number}
    </option>
  ));
}

/** Every saved version: compare two (or one with the canvas) and restore one. */
export function VersionHistory({ workflowId, latestVersion, current, load }: Props) {
  const versions = useAsync(() => listVersions(workflowId), [workflowId, latestVersion]);
  const [from, setFrom] = useState(Math.max(1, latestVersion - 1));
  const [to, setTo] = useState<number | "canvas">("canvas");
  const [error, setError] = useState<unknown>(null);
  const compared = useAsync(async () => {
    const before = (await getVersion(workflowId, from)).graph as StoredGraph;
    const after = to === "canvas" ? current : ((await getVersion(workflowId, to)).graph as StoredGraph);
    return diffGraphs(before, after);
  }, [workflowId, from, to, to === "canvas" ? JSON.stringify(current) : ""]);

  const restore = async (version: number) => {
    setError(null);
    try {
      load((await getVersion(workflowId, version)).graph as StoredGraph);
    } catch (failure) {
      setError(failure);
    }
  };

  const numbers = versions.data?.data.map((version) => version.version) ?? [];
  return (
    <section className="panel" aria-label="Version history">
      <h2>Versions</h2>
      <ErrorMessage error={versions.error ?? error} />
      {versions.loading && !versions.data && <Loading what="versions" />}
      <ol className="plain-list versions" reversed>
        {versions.data?.data.map((version) => (
          <li key={version.version} className="versions__item">
            <span>
              <strong>v{version.version}</strong> <span className="muted small">{formatTime(version.created_at)}</span>
            </span>
            <button
              type="button"
              className="button button--small"
              onClick={() => restore(version.version)}
              aria-label={`Restore version ${version.version}`}
            >
              Restore
            </button>
          </li>
        ))}
      </ol>
      <h3>Compare</h3>
      <div className="toolbar">
        <label className="field field--inline">
          <span>From</span>
          <select
            className="input"
            aria-label="Compare from"
            value={from}
            onChange={(event) => setFrom(Number(event.target.value))}
          >
            <VersionOptions numbers={numbers} />
          </select>
        </label>
        <label className="field field--inline">
          <span>to</span>
          <select
            className="input"
            aria-label="Compare to"
            value={to}
            onChange={(event) => setTo(event.target.value === "canvas" ? "canvas" : Number(event.target.value))}
          >
            <option value="canvas">the canvas</option>
            <VersionOptions numbers={numbers} />
          </select>
        </label>
      </div>
      <ErrorMessage error={compared.error} />
      {compared.data && (
        <DiffView
          diff={compared.data}
          label={`Changes from v${from} to ${to === "canvas" ? "the canvas" : `v${to}`}`}
        />
      )}
    </section>
  );
}
