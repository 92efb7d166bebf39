import { AccountsPage } from "../features/accounts/components/AccountsPage";
import { Editor } from "../features/canvas/components/Editor";
import { WorkflowList } from "../features/canvas/components/WorkflowList";
import { ExecutionView } from "../features/runs/components/ExecutionView";
import { RunsList } from "../features/runs/components/RunsList";
import { StartRun } from "../features/runs/components/StartRun";
import { VersionHistory } from "../features/versions/components/VersionHistory";
import { matchPath, type Location } from "../lib/router";

/** The page for a location: the one place features meet (they never import each other). */
export function Page({ location }: { location: Location }) {
  const { path, query } = location;
  let params: Record<string, string> | null;
  if (path === "/") return <WorkflowList />;
  if (path === "/workflows/new") return <Editor workflowId={null} />;
  if ((params = matchPath("/workflows/:id", path))) {
    return <Editor key={params.id} workflowId={params.id!} versionsPanel={(context) => <VersionHistory {...context} />} />;
  }
  if ((params = matchPath("/workflows/:id/run", path))) return <StartRun workflowId={params.id!} />;
  if (path === "/runs") return <RunsList key={query.get("workflow_id") ?? ""} workflowId={query.get("workflow_id") ?? undefined} />;
  if ((params = matchPath("/runs/:id", path))) return <ExecutionView key={params.id} runId={params.id!} />;
  if (path === "/accounts") return <AccountsPage />;
  return (
    <main className="page">
      <h1>Not found</h1>
      <p>Nothing lives at {path}.</p>
    </main>
  );
}
