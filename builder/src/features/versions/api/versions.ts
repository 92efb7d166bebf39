import { api, unwrap } from "../../../lib/api/client";

export const listVersions = (workflowId: string) =>
  unwrap(
    api.GET("/workflows/{workflow_id}/versions", {
      params: { path: { workflow_id: workflowId }, query: { limit: 200 } },
    }),
  );

export const getVersion = (workflowId: string, version: number) =>
  unwrap(
    api.GET("/workflows/{workflow_id}/versions/{version}", { params: { path: { workflow_id: workflowId, version } } }),
  );
