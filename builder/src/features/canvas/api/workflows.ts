import { api, unwrap, type Schemas } from "../../../lib/api/client";
import type { StoredGraph } from "../../../lib/graph";

export type Workflow = Schemas["WorkflowPublic"];
export type Webhook = Schemas["WebhookPublic"];
export type Schedule = Schemas["SchedulePublic"];
export type Account = Schemas["AccountPublic"];
export type Validation = Schemas["GraphValidation"];

const workflowPath = (id: string) => ({ params: { path: { workflow_id: id } } });

export const listWorkflows = (name?: string) =>
  unwrap(api.GET("/workflows", { params: { query: { limit: 200, ...(name ? { name } : {}) } } }));

export const getWorkflow = (id: string) => unwrap(api.GET("/workflows/{workflow_id}", workflowPath(id)));

const prefetched = new Map<string, ReturnType<typeof getWorkflow>>();

/** Starts reading a workflow before the editor's code has loaded (`preloadPage`). */
export function prefetchWorkflow(id: string): void {
  const pending = getWorkflow(id);
  pending.catch(() => prefetched.delete(id));
  prefetched.set(id, pending);
}

/** The workflow with its latest graph: the prefetched answer the first time, then anew. */
export function openWorkflow(id: string): ReturnType<typeof getWorkflow> {
  const pending = prefetched.get(id);
  prefetched.delete(id);
  return pending ?? getWorkflow(id);
}

export const createWorkflow = (name: string, graph: StoredGraph) =>
  unwrap(api.POST("/workflows", { body: { name, graph } }));

/** A new version from `base_version` (409 when someone saved another since). */
export const saveVersion = (id: string, graph: StoredGraph, baseVersion: number, name?: string) =>
  unwrap(
    api.PATCH("/workflows/{workflow_id}", {
      ...workflowPath(id),
      body: { graph, base_version: baseVersion, ...(name ? { name } : {}) },
    }),
  );

export const validateGraph = (graph: StoredGraph, signal?: AbortSignal) =>
  unwrap(api.POST("/workflows/validate", { body: { graph }, signal }));

export const setActive = (id: string, active: boolean) =>
  unwrap(
    active
      ? api.POST("/workflows/{workflow_id}/activate", workflowPath(id))
      : api.POST("/workflows/{workflow_id}/deactivate", workflowPath(id)),
  );

export const exportWorkflow = (id: string) => unwrap(api.GET("/workflows/{workflow_id}/export", workflowPath(id)));

export const importWorkflow = (document: Schemas["WorkflowExport"]) =>
  unwrap(api.POST("/workflows/import", { body: document }));

export const deleteWorkflow = (id: string) => unwrap(api.DELETE("/workflows/{workflow_id}", workflowPath(id)));

export const listWebhooks = (id: string) => unwrap(api.GET("/workflows/{workflow_id}/webhooks", workflowPath(id)));

export const newWebhookSecret = (id: string, nodeId: string) =>
  unwrap(
    api.PUT("/workflows/{workflow_id}/webhooks/{node_id}/secret", {
      params: { path: { workflow_id: id, node_id: nodeId } },
      body: {},
    }),
  );

export const listSchedules = (id: string) => unwrap(api.GET("/workflows/{workflow_id}/schedules", workflowPath(id)));

export const triggerSchedule = (id: string, nodeId: string) =>
  unwrap(
    api.POST("/workflows/{workflow_id}/schedules/{node_id}/trigger", {
      params: { path: { workflow_id: id, node_id: nodeId } },
    }),
  );

/** Accounts for the pickers of action nodes. */
export const listAccounts = () => unwrap(api.GET("/accounts"));

export const getExpressionReference = () => unwrap(api.GET("/schema/expressions"));

export type ExpressionRoot = Schemas["ExpressionRoot"];
export type Preview = Schemas["PreviewPublic"];

/** The workflow's latest run, whose data expression previews are evaluated against. */
export const lastRunOf = (workflowId: string) =>
  unwrap(api.GET("/runs", { params: { query: { workflow_id: workflowId, page_size: 1 } } })).then(
    (page) => page.data[0]?.id ?? null,
  );

/** Evaluate a field's text with the engine's evaluator and budgets: against what `nodeId` saw
 * in run `runId`, or against no data when there is no run (or the run lacks the node). */
export const previewExpression = async (
  source: string,
  bare: boolean,
  at: { runId: string | null; nodeId: string },
): Promise<Preview> => {
  const mode = bare ? "expression" : "template";
  if (at.runId) {
    const answer = await api.POST("/expressions/preview", {
      body: { source, mode, context: { run_id: at.runId, node_id: at.nodeId } },
    });
    if (answer.response.status !== 422 && answer.response.status !== 404) return unwrap(Promise.resolve(answer));
  }
  return unwrap(api.POST("/expressions/preview", { body: { source, mode, context: {} } }));
};
