import type { Edge } from "@xyflow/react";

import type { FlowNode } from "../../../lib/graph";
import { edgeId, newNodeId } from "../utils/ids";

// Kept for the page's life, so copy in one workflow and paste in another works.
let copied: { nodes: FlowNode[]; edges: Edge[] } | null = null;

/** Remembers the selected nodes and the edges between them. */
export function copySelection(nodes: FlowNode[], edges: Edge[]): number {
  const chosen = nodes.filter((node) => node.selected);
  if (!chosen.length) return 0;
  const ids = new Set(chosen.map((node) => node.id));
  copied = {
    nodes: structuredClone(chosen.map(({ measured: _m, ...node }) => node)) as FlowNode[],
    edges: structuredClone(edges.filter((edge) => ids.has(edge.source) && ids.has(edge.target))),
  };
  return chosen.length;
}

/** The copied nodes with new ids, moved a little and selected; null when nothing was copied. */
export function pasteInto(nodes: FlowNode[], edges: Edge[]): { nodes: FlowNode[]; edges: Edge[] } | null {
  if (!copied) return null;
  const taken = new Set(nodes.map((node) => node.id));
  const renamed = new Map<string, string>();
  const pasted = copied.nodes.map((node) => {
    const base = node.type === "engine" ? node.data.type : node.type;
    const id = newNodeId(base, taken);
    taken.add(id);
    renamed.set(node.id, id);
    return {
      ...structuredClone(node),
      id,
      selected: true,
      position: { x: node.position.x + 40, y: node.position.y + 40 },
    } as FlowNode;
  });
  const pastedEdges = copied.edges.map((edge) => {
    const source = renamed.get(edge.source) ?? edge.source;
    const target = renamed.get(edge.target) ?? edge.target;
    return { ...edge, id: edgeId(source, edge.sourceHandle, target), source, target, selected: false };
  });
  return {
    nodes: [...nodes.map((node) => (node.selected ? { ...node, selected: false } : node)), ...pasted],
    edges: [...edges, ...pastedEdges],
  };
}
