import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, useNodesState, type Edge } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";

import { FlowModeContext } from "../../../components/flow/mode";
import { nodeTypes } from "../../../components/flow/nodeTypes";
import { ErrorMessage, JsonView, Loading } from "../../../components/ui/feedback";
import { formatDuration, formatTime } from "../../../lib/format";
import { fromStored, type FlowNode, type RunNodeState, type StoredGraph } from "../../../lib/graph";
import { FIT_VIEW, LARGE, layout } from "../../../lib/layout";
import { Link, navigate } from "../../../lib/router";
import { useAsync } from "../../../lib/useAsync";
import { cancelRun, getRunNode, getVersion, rerunRun, type NodeDetail } from "../api/runs";
import { useRunStream } from "../hooks/useRunStream";
import { WaitingActions } from "./WaitingActions";

function sameState(a: RunNodeState | undefined, b: RunNodeState | undefined): boolean {
  return (
    a === b ||
    (a !== undefined &&
      b !== undefined &&
      a.status === b.status &&
      a.attempts === b.attempts &&
      a.started_at === b.started_at &&
      a.ended_at === b.ended_at &&
      a.error?.message === b.error?.message)
  );
}

const STATUS_COLORS: Record<string, string> = {
  succeeded: "#1e7b34",
  failed: "#b3261e",
  running: "#1f5fbf",
  waiting: "#1f5fbf",
  cancelled: "#8a5a00",
};

function minimapColor(node: FlowNode): string {
  const status = node.type === "engine" ? node.data.run?.status : undefined;
  return (status && STATUS_COLORS[status]) ?? "#c4cad3";
}

function Attempts({ id, detail }: { id: string; detail: NodeDetail }) {
  if (!detail.attempts?.length) return null;
  return (
    <>
      <h4>Attempts</h4>
      <ol className="attempts" aria-label={`Attempts of ${id}`}>
        {detail.attempts.map((attempt, index) => (
          <li key={index}>
            <span className={`badge badge--${attempt.outcome}`}>
              {attempt.attempt}: {attempt.outcome}
            </span>{" "}
            {attempt.started_at && (
              <span className="muted small">
                {formatTime(attempt.started_at)}
                {attempt.ended_at ? ` · ${formatDuration(attempt.started_at, attempt.ended_at)}` : ""}
              </span>
            )}
            {attempt.error && (
              <p className="error small">
                {attempt.error.type}: {attempt.error.message}
              </p>
            )}
          </li>
        ))}
      </ol>
    </>
  );
}

function NodeDetails({ runId, id, state }: { runId: string; id: string; state: RunNodeState | undefined }) {
  // What the node received and each attempt are read from the run's history when the node
  // is shown, and again when its state changes (never with every stream update).
  const detail = useAsync(
    async () => (state ? getRunNode(runId, id) : null),
    [runId, id, state?.status, state?.attempts, state?.ended_at],
  );
  return (
    <section className="card" aria-label={`Node ${id}`}>
      <h3>{id}</h3>
      {!state ? (
        <p className="muted">Not reached (yet).</p>
      ) : (
        <dl className="facts">
          <dt>Status</dt>
          <dd>
            <span className={`badge badge--${state.status}`}>{state.status}</span>
          </dd>
          <dt>Attempts</dt>
          <dd>{state.attempts ?? 0}</dd>
          <dt>Started</dt>
          <dd>{formatTime(state.started_at)}</dd>
          <dt>Ended</dt>
          <dd>{formatTime(state.ended_at)}</dd>
          <dt>Took</dt>
          <dd>{formatDuration(state.started_at, state.ended_at)}</dd>
        </dl>
      )}
      {state?.error && (
        <>
          <h4>Error</h4>
          <p className="error">
            {state.error.type}: {state.error.message}
          </p>
        </>
      )}
      {detail.data?.input !== undefined && detail.data?.input !== null && (
        <>
          <h4>Input</h4>
          <JsonView value={detail.data.input} label={`Input of ${id}`} />
        </>
      )}
      {detail.data && <Attempts id={id} detail={detail.data} />}
      {state?.output !== undefined && state.output !== null && (
        <>
          <h4>Output</h4>
          <JsonView value={state.output} label={`Output of ${id}`} />
        </>
      )}
    </section>
  );
}

function RunGraph({
  graph,
  nodes: states,
  onSelect,
}: {
  graph: StoredGraph;
  nodes: Record<string, RunNodeState>;
  onSelect: (id: string) => void;
}) {
  const base = useMemo(() => {
    const { nodes, edges, complete } = fromStored(graph);
    return { nodes: complete ? nodes : layout(nodes, edges), edges };
  }, [graph]);
  // React Flow keeps the nodes (their measured sizes feed the minimap); a run update gives a
  // new object only to the nodes whose state changed, so 1,000 updates redraw little.
  const [nodes, setNodes, onNodesChange] = useNodesState<FlowNode>(base.nodes);
  useEffect(() => {
    setNodes((current) =>
      current.map((node) => {
        if (node.type !== "engine") return node;
        const state = states[node.id];
        if (sameState(node.data.run as RunNodeState | undefined, state)) return node;
        return { ...node, data: { ...node.data, run: state } } as FlowNode;
      }),
    );
  }, [states, setNodes]);
  // The same function at every update: a new one would be a change of React Flow's store.
  const onNodeClick = useCallback((_: unknown, node: FlowNode) => onSelect(node.id), [onSelect]);
  return (
    <FlowModeContext.Provider value="view">
      <ReactFlow<FlowNode, Edge>
        nodes={nodes}
        edges={base.edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        nodesConnectable={false}
        nodesDraggable={false}
        onNodeClick={onNodeClick}
        onlyRenderVisibleElements={base.nodes.length > LARGE}
        fitView
        fitViewOptions={FIT_VIEW}
        minZoom={0.1}
      >
        <Background />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable ariaLabel="Minimap" nodeColor={minimapColor} />
      </ReactFlow>
    </FlowModeContext.Provider>
  );
}

/** One run: the graph of its version with each node's live status, and what can be done. */
export function ExecutionView({ runId }: { runId: string }) {
  const { run, live, updates, error } = useRunStream(runId);
  const [selected, setSelected] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const workflowId = run?.workflow_id ?? null;
  const versionNumber = run?.workflow_version ?? null;
  const version = useAsync(
    async () => (workflowId && versionNumber ? getVersion(workflowId, versionNumber) : null),
    [workflowId, versionNumber],
  );

  const act = async (call: () => Promise<{ id?: string }>) => {
    setActionError(null);
    try {
      const answer = await call();
      if (answer.id) navigate(`/runs/${encodeURIComponent(answer.id)}`);
    } catch (failure) {
      setActionError(failure);
    }
  };

  if (!run) return error ? <ErrorMessage error={error} /> : <Loading what="the run" />;
  const states = (run.nodes ?? {}) as Record<string, RunNodeState>;
  const finished = run.status !== "running";
  return (
    <div className="execution">
      <header className="editor__toolbar toolbar" aria-label="Run">
        <h1 className="title">Run {run.id}</h1>
        <span className={`badge badge--${run.status}`} data-testid="run-status">
          {run.status}
        </span>
        <span className="muted small" role="status" aria-live="polite">
          {live ? "live" : finished ? "ended" : "reconnecting…"} · {updates} update{updates === 1 ? "" : "s"}
        </span>
        {workflowId && <Link to={`/workflows/${workflowId}`}>Workflow v{versionNumber}</Link>}
        {!finished && (
          <button
            type="button"
            className="button button--danger"
            onClick={() => act(() => cancelRun(run.id).then(() => ({})))}
          >
            Cancel run
          </button>
        )}
        {finished && run.status !== "succeeded" && (
          <button type="button" className="button" onClick={() => act(() => rerunRun(run.id))}>
            Rerun
          </button>
        )}
      </header>
      <ErrorMessage error={actionError ?? error ?? version.error} />
      <div className="execution__body">
        <div className="editor__canvas" role="region" aria-label="Run graph">
          {version.data ? (
            <ReactFlowProvider>
              <RunGraph graph={version.data.graph as StoredGraph} nodes={states} onSelect={setSelected} />
            </ReactFlowProvider>
          ) : (
            <Loading what="the graph" />
          )}
        </div>
        <aside className="editor__side panel" aria-label="Run details">
          <dl className="facts">
            <dt>Trigger</dt>
            <dd>{run.trigger ?? "—"}</dd>
            <dt>Started</dt>
            <dd>{formatTime(run.started_at)}</dd>
            <dt>Ended</dt>
            <dd>{formatTime(run.ended_at)}</dd>
            {run.rerun_of && (
              <>
                <dt>Re-runs</dt>
                <dd>
                  <Link to={`/runs/${encodeURIComponent(run.rerun_of)}`}>{run.rerun_of}</Link>
                </dd>
              </>
            )}
          </dl>
          {run.input !== undefined && run.input !== null && (
            <details>
              <summary>Run input</summary>
              <JsonView value={run.input} label="Run input" />
            </details>
          )}
          <WaitingActions runId={run.id} waiting={run.waiting_for ?? []} />
          {run.error && (
            <p className="error">
              {run.error.type}: {run.error.message}
              {run.error.node_id ? ` (node ${run.error.node_id})` : ""}
            </p>
          )}
          {selected ? (
            <NodeDetails runId={run.id} id={selected} state={states[selected]} />
          ) : (
            <p className="muted">Select a node to see its attempts, times, output and error.</p>
          )}
          {finished && run.output !== undefined && run.output !== null && (
            <>
              <h3>Run output</h3>
              <JsonView value={run.output} label="Run output" />
            </>
          )}
        </aside>
      </div>
    </div>
  );
}
