import {
  addEdge,
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type ReactNode } from "react";

import { nodeTypes } from "../../../components/flow/nodeTypes";
import { ErrorMessage } from "../../../components/ui/feedback";
import { ApiError } from "../../../lib/api/client";
import { useCatalog } from "../../../lib/catalog";
import {
  issuesByNode,
  rootContextsOf,
  toStored,
  upstreamOf,
  type EngineNodeData,
  type FlowNode,
  type GraphIssue,
  type Problem,
  type StoredGraph,
} from "../../../lib/graph";
import { FIT_VIEW, LARGE, layout } from "../../../lib/layout";
import { navigate } from "../../../lib/router";
import { useAsync } from "../../../lib/useAsync";
import {
  createWorkflow,
  exportWorkflow,
  getExpressionReference,
  lastRunOf,
  listAccounts,
  saveVersion,
  setActive,
  type Workflow,
} from "../api/workflows";
import { copySelection, pasteInto } from "../hooks/useClipboard";
import { useHistory } from "../hooks/useHistory";
import { useValidation } from "../hooks/useValidation";
import { edgeId, newNodeId } from "../utils/ids";
import { Palette, DRAG_TYPE } from "./Palette";
import { preloadForms, PropertyPanel } from "./PropertyPanel";
import { TriggersPanel } from "./TriggersPanel";

export interface VersionsContext {
  workflowId: string;
  latestVersion: number;
  /** The graph on the canvas now (what a diff compares against). */
  current: StoredGraph;
  /** Put a stored graph on the canvas (restore); saving makes it the next version. */
  load: (graph: StoredGraph) => void;
}

interface Props {
  workflow: Workflow | null;
  initial: { nodes: FlowNode[]; edges: Edge[]; complete: boolean };
  base: Partial<StoredGraph>;
  versionsPanel?: (context: VersionsContext) => ReactNode;
  fromGraph: (graph: StoredGraph) => { nodes: FlowNode[]; edges: Edge[]; complete: boolean };
}

// Props of React Flow are kept the same from one render to the next: each new value is a
// change of its store, which every node's and edge's selector then runs again for.
type Snapshot = { nodes: FlowNode[]; edges: Edge[] };
type Tab = "properties" | "problems" | "triggers" | "versions";

function isTyping(target: EventTarget): boolean {
  const element = target as HTMLElement;
  return ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName) || element.isContentEditable;
}

function download(name: string, value: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

/** The editing surface: palette, graph, property panel and the workflow's toolbar. */
export function Canvas({ workflow: initialWorkflow, initial, base, versionsPanel, fromGraph }: Props) {
  const catalog = useCatalog();
  const flow = useReactFlow<FlowNode, Edge>();
  const [workflow, setWorkflow] = useState(initialWorkflow);
  const [name, setName] = useState(initialWorkflow?.name ?? "Untitled workflow");
  const [nodes, setNodes] = useState<FlowNode[]>(() =>
    initial.complete ? initial.nodes : layout(initial.nodes, initial.edges),
  );
  const [edges, setEdges] = useState<Edge[]>(initial.edges);
  const [tab, setTab] = useState<Tab>("properties");
  const [notice, setNotice] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const history = useHistory<Snapshot>();
  const record = history.record; // the same function at every render, unlike `history`
  const current = useRef<Snapshot>({ nodes, edges });
  current.current = { nodes, edges };

  const stored = useMemo(() => toStored(nodes, edges, base), [nodes, edges, base]);
  const storedKey = useMemo(() => JSON.stringify(stored), [stored]);
  const [savedKey, setSavedKey] = useState(() => (initialWorkflow ? storedKey : ""));
  const dirty = storedKey !== savedKey;
  const validation = useValidation(stored, true);
  const { byNode, byEdge, general } = useMemo(
    () =>
      validation.graph
        ? issuesByNode(validation.issues, validation.graph)
        : {
            byNode: new Map<string, Problem[]>(),
            byEdge: new Map<string, GraphIssue[]>(),
            general: [] as GraphIssue[],
          },
    [validation],
  );
  const accounts = useAsync(listAccounts, []);
  const reference = useAsync(getExpressionReference, []);

  // The same arrays when no problem is found: a new one is a change of React Flow's store.
  const viewNodes = useMemo(
    () =>
      byNode.size === 0
        ? nodes
        : nodes.map((node) => {
            const problems = byNode.get(node.id);
            return problems && node.type === "engine" ? { ...node, data: { ...node.data, problems } } : node;
          }),
    [nodes, byNode],
  );
  // An edge a problem names is drawn as faulty and says why to assistive technology.
  const viewEdges = useMemo(
    () =>
      byEdge.size === 0
        ? edges
        : edges.map((edge) => {
            const problems = byEdge.get(edge.id);
            if (!problems) return edge;
            return {
              ...edge,
              className: "edge--problem",
              ariaLabel: `Edge ${edge.source} to ${edge.target}: ${problems.map((p) => p.message).join("; ")}`,
            };
          }),
    [edges, byEdge],
  );

  const commit = useCallback(
    (next: Partial<Snapshot>, key: string | null = null) => {
      record(current.current, key);
      if (next.nodes) setNodes(next.nodes);
      if (next.edges) setEdges(next.edges);
    },
    [record],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      if (changes.some((change) => change.type === "remove")) record(current.current, "remove");
      setNodes((previous) => applyNodeChanges(changes, previous));
    },
    [record],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      if (changes.some((change) => change.type === "remove")) record(current.current, "remove");
      setEdges((previous) => applyEdgeChanges(changes, previous));
    },
    [record],
  );
  const onNodeDragStart = useCallback(() => record(current.current), [record]);
  const onConnect = useCallback(
    (connection: Connection) => {
      const edge: Edge = {
        ...connection,
        targetHandle: null,
        id: edgeId(connection.source, connection.sourceHandle, connection.target),
      };
      commit({ edges: addEdge<Edge>(edge, current.current.edges) });
    },
    [commit],
  );

  const addNode = useCallback(
    (type: string, position?: { x: number; y: number }) => {
      const taken = new Set(current.current.nodes.map((node) => node.id));
      const id = newNodeId(type, taken);
      const at = position ?? flow.screenToFlowPosition({ x: window.innerWidth / 2, y: window.innerHeight / 2 });
      const node: FlowNode =
        type === "note"
          ? { id, type: "note", position: at, data: { text: "" }, selected: true }
          : type === "group"
            ? { id, type: "group", position: at, width: 400, height: 240, data: { label: "Group" }, selected: true }
            : { id, type: "engine", position: at, data: { type, parameters: {} }, selected: true };
      const others = current.current.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
      // A group goes first, so it is drawn under the nodes it frames.
      commit({ nodes: type === "group" ? [node, ...others] : [...others, node] });
      setTab("properties");
    },
    [commit, flow],
  );

  const updateNode = useCallback(
    (id: string, patch: Partial<EngineNodeData>, key: string) => {
      commit(
        {
          nodes: current.current.nodes.map((node) =>
            node.id === id ? ({ ...node, data: { ...node.data, ...patch } } as FlowNode) : node,
          ),
        },
        key,
      );
    },
    [commit],
  );

  const undo = () => {
    const previous = history.undo(current.current);
    if (previous) {
      setNodes(previous.nodes);
      setEdges(previous.edges);
    }
  };
  const redo = () => {
    const next = history.redo(current.current);
    if (next) {
      setNodes(next.nodes);
      setEdges(next.edges);
    }
  };
  const autoLayout = () => {
    commit({ nodes: layout(nodes, edges) });
    window.requestAnimationFrame(() => void flow.fitView({ padding: 0.2 }));
  };
  const load = useCallback(
    (graph: StoredGraph) => {
      const next = fromGraph(graph);
      commit({ nodes: next.complete ? next.nodes : layout(next.nodes, next.edges), edges: next.edges });
      setNotice("Loaded into the canvas: save to make it the latest version.");
    },
    [commit, fromGraph],
  );

  // On the window: after a node is deleted the focus is on the page, not in the editor.
  const onKeyDown = (event: globalThis.KeyboardEvent) => {
    if (event.defaultPrevented || isTyping(event.target as EventTarget) || document.querySelector("dialog[open]"))
      return;
    const mod = event.ctrlKey || event.metaKey;
    if (!mod) return;
    const key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) undo();
    else if ((key === "z" && event.shiftKey) || key === "y") redo();
    else if (key === "c") {
      const count = copySelection(nodes, edges);
      if (count) setNotice(`Copied ${count} node${count > 1 ? "s" : ""}`);
    } else if (key === "v") {
      const pasted = pasteInto(nodes, edges);
      if (pasted) commit(pasted);
    } else return;
    event.preventDefault();
  };

  useEffect(preloadForms, []);

  const keys = useRef(onKeyDown);
  keys.current = onKeyDown;
  useEffect(() => {
    const listener = (event: globalThis.KeyboardEvent) => keys.current(event);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  const onDrop = (event: DragEvent) => {
    const type = event.dataTransfer.getData(DRAG_TYPE);
    if (!type) return;
    event.preventDefault();
    addNode(type, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      if (!workflow) {
        const created = await createWorkflow(name, stored);
        setSavedKey(storedKey);
        navigate(`/workflows/${created.id}`, { replace: true });
        return;
      }
      const saved = await saveVersion(
        workflow.id,
        stored,
        workflow.latest_version,
        name !== workflow.name ? name : undefined,
      );
      setWorkflow(saved);
      setSavedKey(storedKey);
      setNotice(`Saved version ${saved.latest_version}`);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 409
          ? new Error(`${failure.message}: reload to see it`)
          : failure,
      );
    } finally {
      setBusy(false);
    }
  };

  const toggleActive = async () => {
    if (!workflow) return;
    setError(null);
    try {
      setWorkflow(await setActive(workflow.id, !workflow.active));
    } catch (failure) {
      setError(failure);
    }
  };

  const exportFile = async () => {
    const fileName = `${workflow?.id ?? "workflow"}.json`;
    if (workflow && !dirty) download(fileName, await exportWorkflow(workflow.id));
    else
      download(fileName, {
        format: "flowhold.workflow",
        format_version: 1,
        name,
        description: workflow?.description ?? "",
        graph: stored,
      });
  };

  const selected = nodes.filter((node) => node.selected);
  const only = selected.length === 1 && selected[0]?.type === "engine" ? selected[0] : null;
  const upstream = useMemo(() => (only ? upstreamOf(only.id, edges) : []), [only, edges]);
  // Keyed by its text, so that moving nodes around does not redraw the form.
  const contextKey = only ? [...rootContextsOf(only.id, nodes, edges)].join(",") : "";
  const contexts = useMemo(() => new Set(contextKey.split(",")), [contextKey]);
  const workflowId = workflow?.id ?? null;
  const lastRun = useAsync(() => (workflowId ? lastRunOf(workflowId) : Promise.resolve(null)), [workflowId]);
  const problemCount = validation.issues.length;

  return (
    <div className="editor">
      <header className="editor__toolbar toolbar" aria-label="Workflow">
        <label className="field field--inline">
          <span className="visually-hidden">Workflow name</span>
          <input
            className="input input--title"
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-label="Workflow name"
          />
        </label>
        <span className="muted small">
          {workflow ? `v${workflow.latest_version}${dirty ? " · unsaved changes" : ""}` : "not saved yet"}
        </span>
        <button
          type="button"
          className="button button--primary"
          onClick={save}
          disabled={busy || (!dirty && Boolean(workflow))}
        >
          Save
        </button>
        <button
          type="button"
          className="button"
          onClick={undo}
          disabled={!history.canUndo}
          aria-keyshortcuts="Control+Z"
        >
          Undo
        </button>
        <button
          type="button"
          className="button"
          onClick={redo}
          disabled={!history.canRedo}
          aria-keyshortcuts="Control+Shift+Z"
        >
          Redo
        </button>
        <button type="button" className="button" onClick={autoLayout}>
          Auto-layout
        </button>
        <button type="button" className="button" onClick={() => addNode("note")}>
          Add note
        </button>
        <button type="button" className="button" onClick={() => addNode("group")}>
          Add group
        </button>
        <button type="button" className="button" onClick={exportFile}>
          Export JSON
        </button>
        {workflow && (
          <>
            <button type="button" className="button" onClick={toggleActive} aria-pressed={workflow.active}>
              {workflow.active ? "Deactivate" : "Activate"}
            </button>
            <button
              type="button"
              className="button button--primary"
              onClick={() => navigate(`/workflows/${workflow.id}/run`)}
              disabled={dirty}
              title={dirty ? "Save first: a run takes the saved version" : undefined}
            >
              Run
            </button>
          </>
        )}
        <span role="status" className={`validity ${problemCount ? "validity--bad" : "validity--ok"}`}>
          {validation.checking
            ? "Checking…"
            : validation.valid === null
              ? ""
              : problemCount
                ? `${problemCount} problem${problemCount > 1 ? "s" : ""}`
                : "Valid"}
        </span>
      </header>
      <ErrorMessage error={error ?? validation.error} />
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <div className="editor__body">
        <Palette onAdd={(type) => addNode(type)} />
        <div
          className="editor__canvas"
          onDrop={onDrop}
          onDragOver={(event) => {
            event.preventDefault();
            event.dataTransfer.dropEffect = "move";
          }}
          aria-label="Canvas"
          role="region"
        >
          <ReactFlow<FlowNode, Edge>
            nodes={viewNodes}
            edges={viewEdges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onNodeDragStart={onNodeDragStart}
            deleteKeyCode={["Backspace", "Delete"]}
            onlyRenderVisibleElements={nodes.length > LARGE}
            fitView
            fitViewOptions={FIT_VIEW}
            minZoom={0.1}
          >
            <Background />
            <Controls />
            <MiniMap pannable zoomable ariaLabel="Minimap" />
          </ReactFlow>
        </div>
        <aside className="editor__side" aria-label="Details">
          <div role="tablist" className="tabs" aria-label="Side panel">
            {(
              [
                ["properties", "Properties"],
                ["problems", `Problems (${problemCount})`],
                ["triggers", "Triggers"],
                ["versions", "History"],
              ] as [Tab, string][]
            ).map(([value, label]) => (
              <button
                key={value}
                type="button"
                role="tab"
                aria-selected={tab === value}
                className="tab"
                onClick={() => setTab(value)}
              >
                {label}
              </button>
            ))}
          </div>
          <div role="tabpanel" className="editor__panel">
            {tab === "properties" &&
              (only ? (
                <PropertyPanel
                  nodeId={only.id}
                  data={only.data as EngineNodeData}
                  problems={byNode.get(only.id) ?? []}
                  accounts={accounts.data?.data ?? []}
                  upstream={upstream}
                  roots={reference.data?.roots ?? []}
                  contexts={contexts}
                  lastRunId={lastRun.data ?? null}
                  onChange={(patch, key) => updateNode(only.id, patch, key)}
                />
              ) : (
                <p className="muted panel">
                  Select a node to edit it. Drag nodes from the palette; connect an output to an input.
                </p>
              ))}
            {tab === "problems" && (
              <section className="panel" aria-label="Problems">
                {problemCount === 0 && <p className="muted">No problem found.</p>}
                <ul>
                  {general.map((issue, index) => (
                    <li key={`g${index}`}>
                      <code>{issue.path.join(".")}</code> {issue.message}
                    </li>
                  ))}
                  {[...byEdge.entries()].flatMap(([id, issues]) =>
                    issues
                      .filter((issue) => !issue.node_id)
                      .map((issue, index) => (
                        <li key={`e${id}${index}`}>
                          <button
                            type="button"
                            className="link"
                            onClick={() =>
                              setEdges((all) => all.map((edge) => ({ ...edge, selected: edge.id === id })))
                            }
                          >
                            edge {id}
                          </button>{" "}
                          {issue.message}
                        </li>
                      )),
                  )}
                  {[...byNode.entries()].flatMap(([nodeId, problems]) =>
                    problems.map((problem, index) => (
                      <li key={`${nodeId}${index}`}>
                        <button
                          type="button"
                          className="link"
                          onClick={() => {
                            setNodes((all) => all.map((node) => ({ ...node, selected: node.id === nodeId })));
                            setTab("properties");
                          }}
                        >
                          {nodeId}
                        </button>{" "}
                        <code>{problem.field.join(".")}</code> {problem.message}
                      </li>
                    )),
                  )}
                </ul>
              </section>
            )}
            {tab === "triggers" &&
              (workflow ? (
                <TriggersPanel workflowId={workflow.id} version={workflow.latest_version} />
              ) : (
                <p className="muted panel">Save the workflow to get its webhook URLs and schedules.</p>
              ))}
            {tab === "versions" &&
              (workflow && versionsPanel ? (
                versionsPanel({
                  workflowId: workflow.id,
                  latestVersion: workflow.latest_version,
                  current: stored,
                  load,
                })
              ) : (
                <p className="muted panel">Saved versions appear here.</p>
              ))}
          </div>
        </aside>
      </div>
      {catalog.types.length === 0 && <p className="error">The catalog is empty.</p>}
    </div>
  );
}
