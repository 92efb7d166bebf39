// A workflow graph as stored by the API (the native form the builder saves) and as React Flow
// nodes and edges. Sticky notes and groups are UI-only nodes: the API keeps them in `nodes`
// and never runs them. Graphs saved before it kept them have their notes in `ui.notes`, which
// `fromStored` moves into the nodes.
import type { Edge, Node, XYPosition } from "@xyflow/react";

import type { Schemas } from "./api/client";

export type RunNodeState = Schemas["NodeState"];

export interface RetrySpec {
  maximum_attempts?: number;
  initial_interval_seconds?: number;
  backoff_coefficient?: number;
  maximum_interval_seconds?: number;
  non_retryable_error_types?: string[];
}

export type OnError = "fail" | "continue" | "route";

export interface Problem {
  /** The field under the node: `["parameters", "value"]`, `["retry", "maximum_attempts"]`. */
  field: (string | number)[];
  message: string;
  code?: string | null;
}

export interface EngineNodeData extends Record<string, unknown> {
  type: string;
  name?: string | null;
  parameters: Record<string, unknown>;
  account_id?: string | null;
  retry?: RetrySpec | null;
  timeout_seconds?: number | null;
  on_error?: OnError;
  disabled?: boolean;
  problems?: Problem[];
  run?: RunNodeState;
}

export interface NoteData extends Record<string, unknown> {
  text: string;
}

export interface GroupData extends Record<string, unknown> {
  label: string;
}

export type EngineNode = Node<EngineNodeData, "engine">;
export type NoteNode = Node<NoteData, "note">;
export type GroupNode = Node<GroupData, "group">;
export type FlowNode = EngineNode | NoteNode | GroupNode;

/** Node types the API keeps with the graph and never runs; no edge may join them. */
export const UI_ONLY_TYPES = new Set(["note", "group"]);

export interface StoredNode {
  id: string;
  type: string;
  name?: string | null;
  parameters?: Record<string, unknown>;
  account_id?: string | null;
  retry?: RetrySpec | null;
  timeout_seconds?: number | null;
  on_error?: OnError;
  disabled?: boolean;
  position?: XYPosition;
  parentId?: string;
  width?: number;
  height?: number;
  data?: Record<string, unknown>;
}

export interface StoredEdge {
  id?: string | null;
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}

export interface StoredNote {
  id: string;
  text: string;
  position: XYPosition;
}

export interface StoredGraph {
  nodes: StoredNode[];
  edges?: StoredEdge[];
  ui?: { notes?: StoredNote[] };
  [other: string]: unknown;
}

const ENGINE_FIELDS = ["name", "account_id", "retry", "timeout_seconds", "on_error", "disabled"] as const;

function isPosition(value: unknown): value is XYPosition {
  const p = value as XYPosition | undefined;
  return typeof p?.x === "number" && typeof p?.y === "number";
}

function size(stored: StoredNode): { width?: number; height?: number } {
  return {
    ...(typeof stored.width === "number" ? { width: stored.width } : {}),
    ...(typeof stored.height === "number" ? { height: stored.height } : {}),
  };
}

/** A stored sticky note or group as React Flow draws it. */
function uiNode(stored: StoredNode, type: string, position: XYPosition): FlowNode {
  const data = stored.data ?? {};
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const common = { id: stored.id, position, ...size(stored) };
  if (type === "group")
    return { ...common, type: "group", data: { label: text(data.label) }, style: { ...size(stored) } };
  return { ...common, type: "note", data: { text: text(data.text ?? (stored as { text?: unknown }).text) } };
}

/** React Flow nodes and edges for a stored graph (native, or a React Flow export with our
 * fields under `data`); `complete` is false when some node had no position. */
export function fromStored(graph: StoredGraph): { nodes: FlowNode[]; edges: Edge[]; complete: boolean } {
  let complete = true;
  const nodes: FlowNode[] = graph.nodes.map((stored, index) => {
    const fields: Record<string, unknown> = { ...stored, ...(stored.data ?? {}) };
    const type = typeof stored.data?.type === "string" ? stored.data.type : stored.type;
    if (UI_ONLY_TYPES.has(type)) {
      if (!isPosition(stored.position)) complete = false;
      return uiNode(stored, type, isPosition(stored.position) ? stored.position : { x: index * 240, y: 0 });
    }
    const data: EngineNodeData = {
      type,
      parameters: (fields.parameters as Record<string, unknown>) ?? {},
    };
    for (const field of ENGINE_FIELDS) {
      if (fields[field] !== undefined && fields[field] !== null)
        (data as Record<string, unknown>)[field] = fields[field];
    }
    if (!isPosition(stored.position)) complete = false;
    const position = isPosition(stored.position) ? stored.position : { x: index * 240, y: 0 };
    const parent = typeof stored.parentId === "string" ? { parentId: stored.parentId } : {};
    return { id: stored.id, type: "engine", position, data, ...parent };
  });
  // A graph saved before the API kept UI-only nodes: its notes become nodes.
  for (const note of graph.ui?.notes ?? []) {
    nodes.push({ id: note.id, type: "note", position: note.position, data: { text: note.text } });
  }
  // React Flow draws a child only after its parent: groups first.
  nodes.sort((a, b) => Number(b.type === "group") - Number(a.type === "group"));
  const edges: Edge[] = (graph.edges ?? []).map((edge, index) => ({
    id: edge.id ?? `e${index}-${edge.source}-${edge.target}`,
    source: edge.source,
    target: edge.target,
    sourceHandle: edge.sourceHandle ?? null,
  }));
  return { nodes, edges, complete };
}

function round(position: XYPosition): XYPosition {
  return { x: Math.round(position.x), y: Math.round(position.y) };
}

/** A size people gave (a group's, a resized note's); not the measured one, which would make
 * a graph just opened look changed. */
function storedSize(node: FlowNode): { width?: number; height?: number } {
  const { width, height } = node;
  return {
    ...(typeof width === "number" ? { width: Math.round(width) } : {}),
    ...(typeof height === "number" ? { height: Math.round(height) } : {}),
  };
}

/** The graph the builder saves: engine nodes in the native form with their fields, sticky
 * notes and groups as UI-only nodes, edges. `base` carries what the builder does not edit
 * (e.g. `settings`); an old `ui.notes` is dropped, its notes being nodes now. */
export function toStored(nodes: FlowNode[], edges: Edge[], base: Partial<StoredGraph> = {}): StoredGraph {
  const engine: StoredNode[] = [];
  for (const node of nodes) {
    const parent = node.parentId ? { parentId: node.parentId } : {};
    if (node.type === "note" || node.type === "group") {
      const data = node.type === "note" ? { text: node.data.text } : { label: node.data.label };
      engine.push({
        id: node.id,
        type: node.type,
        position: round(node.position),
        ...storedSize(node),
        ...parent,
        data,
      });
      continue;
    }
    const data = node.data as EngineNodeData;
    const stored: StoredNode = { id: node.id, type: data.type, parameters: data.parameters };
    if (data.name) stored.name = data.name;
    if (data.account_id) stored.account_id = data.account_id;
    if (data.retry) stored.retry = data.retry;
    if (data.timeout_seconds != null) stored.timeout_seconds = data.timeout_seconds;
    if (data.on_error && data.on_error !== "fail") stored.on_error = data.on_error;
    if (data.disabled) stored.disabled = true;
    stored.position = round(node.position);
    if (node.parentId) stored.parentId = node.parentId;
    engine.push(stored);
  }
  const { nodes: _n, edges: _e, ui: _u, ...rest } = base;
  return {
    ...rest,
    nodes: engine,
    edges: edges.map((edge) => ({
      id: edge.id,
      source: edge.source,
      target: edge.target,
      ...(edge.sourceHandle ? { sourceHandle: edge.sourceHandle } : {}),
    })),
  };
}

/** Every node `nodeId` can be reached from (its upstream nodes), nearest first. */
export function upstreamOf(nodeId: string, edges: { source: string; target: string }[]): string[] {
  const parents = new Map<string, string[]>();
  for (const edge of edges) parents.set(edge.target, [...(parents.get(edge.target) ?? []), edge.source]);
  const seen = new Set<string>([nodeId]);
  const order: string[] = [];
  let frontier = [nodeId];
  while (frontier.length) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const parent of parents.get(id) ?? []) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        order.push(parent);
        next.push(parent);
      }
    }
    frontier = next;
  }
  return order;
}

export interface GraphIssue {
  path: (string | number)[];
  message: string;
  node_id?: string | null;
  /** The edge the problem is about: its id, or its index in `edges` when it has none. */
  edge_id?: string | number | null;
  code?: string | null;
}

/** Validation issues by node id (fields relative to the node), by edge id, and the rest (an
 * issue about an edge and a node is in both). `stored` is the graph that was validated, so
 * `nodes.<i>` paths find their node even without node_id. */
export function issuesByNode(
  issues: GraphIssue[],
  stored: StoredGraph,
): { byNode: Map<string, Problem[]>; byEdge: Map<string, GraphIssue[]>; general: GraphIssue[] } {
  const byNode = new Map<string, Problem[]>();
  const byEdge = new Map<string, GraphIssue[]>();
  const general: GraphIssue[] = [];
  for (const issue of issues) {
    const edgeId =
      typeof issue.edge_id === "number" ? (stored.edges?.[issue.edge_id]?.id ?? null) : (issue.edge_id ?? null);
    if (edgeId) byEdge.set(edgeId, [...(byEdge.get(edgeId) ?? []), issue]);
    const path = issue.path[0] === "graph" ? issue.path.slice(1) : issue.path;
    let nodeId = issue.node_id ?? null;
    let field: (string | number)[] = [];
    if (path[0] === "nodes" && typeof path[1] === "number") {
      nodeId ??= stored.nodes[path[1]]?.id ?? null;
      field = path.slice(2);
    }
    if (!nodeId) {
      if (!edgeId) general.push(issue);
      continue;
    }
    byNode.set(nodeId, [...(byNode.get(nodeId) ?? []), { field, message: issue.message, code: issue.code }]);
  }
  return { byNode, byEdge, general };
}

/** Nodes reached going forward from `starts`, never passing through `stop`. */
function reachedFrom(starts: string[], edges: { source: string; target: string }[], stop?: string): Set<string> {
  const next = new Map<string, string[]>();
  for (const edge of edges) next.set(edge.source, [...(next.get(edge.source) ?? []), edge.target]);
  const seen = new Set<string>();
  const queue = [...starts];
  while (queue.length) {
    const id = queue.pop()!;
    if (id === stop || seen.has(id)) continue;
    seen.add(id);
    queue.push(...(next.get(id) ?? []));
  }
  return seen;
}

/** Where a node sits, for the expression roots only some places have (`GET
 * /schema/expressions`, `available_in`): in a loop's body (`item`, `index`), after an error
 * route (`error`). */
export function rootContextsOf(
  nodeId: string,
  nodes: { id: string; data: object }[],
  edges: { source: string; target: string; sourceHandle?: string | null }[],
): Set<string> {
  const contexts = new Set(["any"]);
  for (const loop of nodes.filter((node) => (node.data as { type?: unknown }).type === "loop")) {
    const body = edges.filter((edge) => edge.source === loop.id && edge.sourceHandle === "body");
    if (
      reachedFrom(
        body.map((edge) => edge.target),
        edges,
        loop.id,
      ).has(nodeId)
    )
      contexts.add("loop_body");
  }
  const routed = edges.filter((edge) => edge.sourceHandle === "error").map((edge) => edge.target);
  if (reachedFrom(routed, edges).has(nodeId)) contexts.add("error_route");
  return contexts;
}
