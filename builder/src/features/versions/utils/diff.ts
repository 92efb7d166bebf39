import type { StoredEdge, StoredGraph, StoredNode } from "../../../lib/graph";

export interface GraphDiff {
  added: string[];
  removed: string[];
  changed: { id: string; fields: string[] }[];
  edgesAdded: string[];
  edgesRemoved: string[];
}

function edgeKey(edge: StoredEdge): string {
  return `${edge.source} → ${edge.target}${edge.sourceHandle && edge.sourceHandle !== "out" ? ` (${edge.sourceHandle})` : ""}`;
}

function comparable(node: StoredNode): Record<string, unknown> {
  // Where a node sits on the canvas is not a change of the workflow.
  const { position: _position, ...rest } = { ...node, ...(node.data ?? {}) };
  delete (rest as { data?: unknown }).data;
  return rest;
}

/** What changed from `before` to `after`: nodes by id (which fields), edges by ends. */
export function diffGraphs(before: StoredGraph, after: StoredGraph): GraphDiff {
  const old = new Map(before.nodes.map((node) => [node.id, comparable(node)]));
  const now = new Map(after.nodes.map((node) => [node.id, comparable(node)]));
  const changed: GraphDiff["changed"] = [];
  for (const [id, node] of now) {
    const previous = old.get(id);
    if (!previous) continue;
    const fields = [...new Set([...Object.keys(previous), ...Object.keys(node)])].filter(
      (field) => JSON.stringify(previous[field]) !== JSON.stringify(node[field]),
    );
    if (fields.length) changed.push({ id, fields });
  }
  const oldEdges = new Set((before.edges ?? []).map(edgeKey));
  const newEdges = new Set((after.edges ?? []).map(edgeKey));
  return {
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    changed,
    edgesAdded: [...newEdges].filter((key) => !oldEdges.has(key)),
    edgesRemoved: [...oldEdges].filter((key) => !newEdges.has(key)),
  };
}
