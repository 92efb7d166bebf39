import { ReactFlowProvider } from "@xyflow/react";
import type { ReactNode } from "react";

import { ErrorMessage, Loading } from "../../../components/ui/feedback";
import { fromStored, type StoredGraph } from "../../../lib/graph";
import { useAsync } from "../../../lib/useAsync";
import { openWorkflow } from "../api/workflows";
import { Canvas, type VersionsContext } from "./Canvas";

const EMPTY: StoredGraph = { nodes: [], edges: [] };

/** Opens a workflow's latest version on the canvas (or an empty canvas for a new one). */
export function Editor({
  workflowId,
  versionsPanel,
}: {
  workflowId: string | null;
  versionsPanel?: (context: VersionsContext) => ReactNode;
}) {
  const loaded = useAsync(async () => {
    if (!workflowId) return { workflow: null, graph: EMPTY };
    // The workflow comes with its latest version's graph.
    const { graph, plan_hash: _hash, ...workflow } = await openWorkflow(workflowId);
    return { workflow, graph: graph as StoredGraph };
  }, [workflowId]);

  if (loaded.error) return <ErrorMessage error={loaded.error} />;
  if (!loaded.data || loaded.loading) return <Loading what="the workflow" />;
  const { workflow, graph } = loaded.data;
  const { nodes: _nodes, edges: _edges, ui: _ui, ...base } = graph;
  return (
    <ReactFlowProvider>
      <Canvas
        key={workflow?.id ?? "new"}
        workflow={workflow}
        initial={fromStored(graph)}
        base={base}
        fromGraph={fromStored}
        versionsPanel={versionsPanel}
      />
    </ReactFlowProvider>
  );
}
