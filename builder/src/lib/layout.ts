// Auto-layout: left to right in ranks, handles on the sides as the nodes draw them. Dagre for
// graphs people draw; over LARGE nodes a linear-time layered layout, because dagre's
// crossing reduction and placement take about a second at 500 nodes (bench/builder.py),
// which is when a big generated graph without positions opens.
import dagre from "@dagrejs/dagre";
import type { Edge, XYPosition } from "@xyflow/react";

import type { FlowNode } from "./graph";

const WIDTH = 220;
const HEIGHT = 72;
const NODE_SEP = 40;
const RANK_SEP = 80;
/** Over this many nodes, a graph is laid out in linear time and React Flow draws only the
 * nodes in view. */
export const LARGE = 200;
/** The whole graph in view when it opens, never zoomed in past 100 %. */
export const FIT_VIEW = { maxZoom: 1 };

interface Box {
  width: number;
  height: number;
}

// Notes and groups stay where people put them, and so do the nodes inside a group.
const placed = (node: FlowNode) => node.type === "engine" && !node.parentId;
const boxOf = (node: FlowNode): Box => ({
  width: node.measured?.width ?? WIDTH,
  height: node.measured?.height ?? HEIGHT,
});

export function layout(nodes: FlowNode[], edges: Edge[]): FlowNode[] {
  const boxes = new Map(nodes.filter(placed).map((node) => [node.id, boxOf(node)]));
  const links = edges.filter((edge) => boxes.has(edge.source) && boxes.has(edge.target));
  const at = boxes.size > LARGE ? layered(boxes, links) : withDagre(boxes, links);
  return nodes.map((node) => {
    const position = at.get(node.id);
    return position ? { ...node, position } : node;
  });
}

/** Top-left corners from dagre. */
function withDagre(boxes: Map<string, Box>, edges: Edge[]): Map<string, XYPosition> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: NODE_SEP, ranksep: RANK_SEP });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const [id, box] of boxes) graph.setNode(id, box);
  for (const edge of edges) graph.setEdge(edge.source, edge.target);
  dagre.layout(graph);
  const at = new Map<string, XYPosition>();
  for (const [id, box] of boxes) {
    const centre = graph.node(id);
    if (centre) at.set(id, { x: centre.x - box.width / 2, y: centre.y - box.height / 2 });
  }
  return at;
}

/** Top-left corners in ranks by longest path from the sources (edges closing a cycle are
 * left out), each node level with its parents, then each parent level with its children;
 * nodes of a rank never overlap and keep their order. */
function layered(boxes: Map<string, Box>, edges: Edge[]): Map<string, XYPosition> {
  const children = new Map<string, string[]>([...boxes.keys()].map((id) => [id, []]));
  for (const edge of edges) children.get(edge.source)!.push(edge.target);
  // Depth-first from every node in graph order: reverse post-order is a topological order of
  // the graph without the edges that go back to a node still on the path.
  const state = new Map<string, "open" | "done">();
  const order: string[] = [];
  const forward = new Map<string, string[]>([...boxes.keys()].map((id) => [id, []]));
  for (const root of boxes.keys()) {
    if (state.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    state.set(root, "open");
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [id, next] = top;
      const targets = children.get(id)!;
      if (next < targets.length) {
        top[1] += 1;
        const target = targets[next]!;
        if (state.get(target) === "open") continue; // closes a cycle
        forward.get(id)!.push(target);
        if (!state.has(target)) {
          state.set(target, "open");
          stack.push([target, 0]);
        }
      } else {
        state.set(id, "done");
        order.push(id);
        stack.pop();
      }
    }
  }
  order.reverse();
  const rank = new Map<string, number>(order.map((id) => [id, 0]));
  const parents = new Map<string, string[]>(order.map((id) => [id, []]));
  for (const id of order) {
    for (const target of forward.get(id)!) {
      rank.set(target, Math.max(rank.get(target)!, rank.get(id)! + 1));
      parents.get(target)!.push(id);
    }
  }
  const ranks: string[][] = [];
  for (const id of boxes.keys()) (ranks[rank.get(id)!] ??= []).push(id);

  const centre = new Map<string, number>();
  const box = (id: string) => boxes.get(id)!;
  const mean = (ids: string[]) => ids.reduce((sum, id) => sum + centre.get(id)!, 0) / ids.length;
  /** Places a rank's nodes at their wanted centres, in that order, pushed down to not overlap. */
  const place = (ids: string[], wanted: (id: string) => number) => {
    let bottom = -Infinity;
    for (const id of ids) {
      const { height } = box(id);
      const top = Math.max(wanted(id) - height / 2, bottom + NODE_SEP);
      centre.set(id, top + height / 2);
      bottom = top + height;
    }
  };
  // Down: each node level with its parents (a new rank starts below the rest).
  for (const ids of ranks) {
    const wanted = new Map(
      ids.map((id, index) => {
        const from = parents.get(id)!;
        return [id, from.length ? mean(from) : index * (HEIGHT + NODE_SEP)] as const;
      }),
    );
    ids.sort((a, b) => wanted.get(a)! - wanted.get(b)!);
    place(ids, (id) => wanted.get(id)!);
  }
  // Up: each parent level with its children, in the order it has.
  for (let index = ranks.length - 2; index >= 0; index--) {
    place(ranks[index]!, (id) => {
      const below = forward.get(id)!.filter((target) => rank.get(target) === index + 1);
      return below.length ? Math.max(centre.get(id)!, mean(below)) : centre.get(id)!;
    });
  }
  const at = new Map<string, XYPosition>();
  let x = 0;
  for (const ids of ranks) {
    const width = Math.max(...ids.map((id) => box(id).width));
    for (const id of ids) at.set(id, { x, y: centre.get(id)! - box(id).height / 2 });
    x += width + RANK_SEP;
  }
  return at;
}
