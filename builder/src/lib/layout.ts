// Auto-layout: left to right in ranks (dagre), handles on the sides as the nodes draw them.
import dagre from "@dagrejs/dagre";
import type { Edge } from "@xyflow/react";

import type { FlowNode } from "./graph";

const WIDTH = 220;
const HEIGHT = 72;

export function layout(nodes: FlowNode[], edges: Edge[]): FlowNode[] {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 80 });
  graph.setDefaultEdgeLabel(() => ({}));
  // Notes and groups stay where people put them, and so do the nodes inside a group.
  const placed = (node: FlowNode) => node.type === "engine" && !node.parentId;
  const engine = nodes.filter(placed);
  for (const node of engine) {
    graph.setNode(node.id, { width: node.measured?.width ?? WIDTH, height: node.measured?.height ?? HEIGHT });
  }
  for (const edge of edges) {
    if (graph.hasNode(edge.source) && graph.hasNode(edge.target)) graph.setEdge(edge.source, edge.target);
  }
  dagre.layout(graph);
  return nodes.map((node) => {
    if (!placed(node)) return node;
    const at = graph.node(node.id);
    if (!at) return node;
    const width = node.measured?.width ?? WIDTH;
    const height = node.measured?.height ?? HEIGHT;
    return { ...node, position: { x: at.x - width / 2, y: at.y - height / 2 } };
  });
}
