// Applying a run stream's events to the run shown: the first event of a connection is the
// whole `state`; then `node` events carry one node's state and `run` events every run-level
// field (README, "Following a run").
import type { Schemas } from "../../../lib/api/client";
import type { Run } from "../api/runs";

type NodeState = Schemas["NodeState"];

interface NodeEvent {
  node_id: string;
  iteration: number | null;
  state: NodeState;
}

/** `view` with the event applied; `view` itself when the event changes nothing shown. */
export function applyStreamEvent(view: Run | null, event: string, data: string): Run | null {
  if (event === "state" || event === "run") {
    return { ...view, ...(JSON.parse(data) as Partial<Run>) } as Run;
  }
  if (event === "node" && view) {
    const change = JSON.parse(data) as NodeEvent;
    return { ...view, nodes: { ...view.nodes, [change.node_id]: change.state } };
  }
  return view;
}

/** The message of an `error` event, which ends a stream for good. */
export function streamError(data: string): string {
  try {
    const parsed = JSON.parse(data) as { error?: { message?: string } };
    return parsed.error?.message ?? "the run stream ended";
  } catch {
    return "the run stream ended";
  }
}
