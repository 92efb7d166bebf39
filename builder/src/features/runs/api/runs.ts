import { api, unwrap, type Schemas } from "../../../lib/api/client";
import type { operations } from "../../../lib/api/schema";

export type Run = Schemas["RunPublic"];
export type RunSummary = Schemas["RunSummaryPublic"];
export type NodeDetail = Schemas["NodeDetailPublic"];
export type RunFilters = NonNullable<operations["list_runs"]["parameters"]["query"]>;

const runPath = (id: string) => ({ params: { path: { run_id: id } } });

export const listRuns = (query: RunFilters) => unwrap(api.GET("/runs", { params: { query } }));

export const getRun = (id: string) => unwrap(api.GET("/runs/{run_id}", runPath(id)));

export const getRunNode = (runId: string, nodeId: string) =>
  unwrap(api.GET("/runs/{run_id}/nodes/{node_id}", { params: { path: { run_id: runId, node_id: nodeId } } }));

export const getWorkflow = (id: string) =>
  unwrap(api.GET("/workflows/{workflow_id}", { params: { path: { workflow_id: id } } }));

export const getVersion = (id: string, version: number) =>
  unwrap(api.GET("/workflows/{workflow_id}/versions/{version}", { params: { path: { workflow_id: id, version } } }));

export const startRun = (workflowId: string, input: unknown) =>
  unwrap(
    api.POST("/workflows/{workflow_id}/runs", {
      params: { path: { workflow_id: workflowId } },
      body: { input },
      // One run per press of the button, even if the request is sent again.
      headers: { "Idempotency-Key": crypto.randomUUID() },
    }),
  );

/** The key the builder is signed in with: a key bound to a person decides as that person. */
export const getCurrentKey = () => unwrap(api.GET("/api-keys/current"));

export const decide = (runId: string, body: Schemas["DecisionInput"]) =>
  unwrap(api.POST("/runs/{run_id}/decisions", { ...runPath(runId), body }));

export const sendEvent = (runId: string, body: Schemas["EventInput"]) =>
  unwrap(api.POST("/runs/{run_id}/events", { ...runPath(runId), body }));

export const cancelRun = (runId: string) => unwrap(api.POST("/runs/{run_id}/cancel", runPath(runId)));

export const rerunRun = (runId: string) => unwrap(api.POST("/runs/{run_id}/rerun", runPath(runId)));

export function streamUrl(runId: string): string {
  return `${window.location.origin}/runs/${encodeURIComponent(runId)}/stream`;
}
