import { Suspense, type ReactNode } from "react";

import { Loading } from "../components/ui/feedback";
import { prefetchWorkflow } from "../features/canvas/api/workflows";
import { loadable } from "../lib/loadable";
import { matchPath, type Location } from "../lib/router";

// Each page loads with its own code: the sign-in page and the lists do not wait for the
// canvas, its form library and the layout engine.
const AccountsPage = loadable(() =>
  import("../features/accounts/components/AccountsPage").then((m) => m.AccountsPage),
).Component;
const editor = loadable(() => import("../features/canvas/components/Editor").then((m) => m.Editor));
const Editor = editor.Component;
const WorkflowList = loadable(() =>
  import("../features/canvas/components/WorkflowList").then((m) => m.WorkflowList),
).Component;
const executionView = loadable(() => import("../features/runs/components/ExecutionView").then((m) => m.ExecutionView));
const ExecutionView = executionView.Component;
const RunsList = loadable(() => import("../features/runs/components/RunsList").then((m) => m.RunsList)).Component;
const StartRun = loadable(() => import("../features/runs/components/StartRun").then((m) => m.StartRun)).Component;
const versionHistory = loadable(() =>
  import("../features/versions/components/VersionHistory").then((m) => m.VersionHistory),
);
const VersionHistory = versionHistory.Component;

/** Starts loading what the page at `location` needs, when the app starts: its code and a
 * workflow's graph load while the catalog does, not one after the other. */
export function preloadPage({ path }: Location): void {
  let params: Record<string, string> | null;
  if ((params = matchPath("/workflows/:id", path)) && params.id !== "new") {
    prefetchWorkflow(params.id!);
    editor.preload();
    versionHistory.preload();
  } else if (matchPath("/runs/:id", path)) executionView.preload();
}

export function Page({ location }: { location: Location }) {
  return <Suspense fallback={<Loading what="the page" />}>{pageFor(location)}</Suspense>;
}

/** The page for a location: the one place features meet (they never import each other). */
function pageFor(location: Location): ReactNode {
  const { path, query } = location;
  let params: Record<string, string> | null;
  if (path === "/") return <WorkflowList />;
  if (path === "/workflows/new") return <Editor workflowId={null} />;
  if ((params = matchPath("/workflows/:id", path))) {
    return (
      <Editor key={params.id} workflowId={params.id!} versionsPanel={(context) => <VersionHistory {...context} />} />
    );
  }
  if ((params = matchPath("/workflows/:id/run", path))) return <StartRun workflowId={params.id!} />;
  if (path === "/runs")
    return <RunsList key={query.get("workflow_id") ?? ""} workflowId={query.get("workflow_id") ?? undefined} />;
  if ((params = matchPath("/runs/:id", path))) return <ExecutionView key={params.id} runId={params.id!} />;
  if (path === "/accounts") return <AccountsPage />;
  return (
    <main className="page">
      <h1>Not found</h1>
      <p>Nothing lives at {path}.</p>
    </main>
  );
}
